// One subdir's monolithic repodata through the cache: decide between the fresh cache, a
// conditional request and a full download; downloads stream through the decompressor into the
// parser while the compressed body is written next to the cache (renamed into place only when
// complete and valid, so a truncated or corrupt body is never cached).
#include "loader.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "decoder.hpp"
#include "envctl/repodata/builder.hpp"
#include "envctl/repodata/parse.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/url.hpp"

namespace envctl::repodata::detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStoreFile = "repodata.store";

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// The variants to try, best first.
std::vector<std::string> variant_order(const Options& options) {
    std::vector<std::string> out;
    if (options.use_zst) out.emplace_back("repodata.json.zst");
    out.emplace_back("repodata.json");
    out.emplace_back("repodata.json.bz2");
    return out;
}

struct FileIdentity {
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
};

std::optional<FileIdentity> identity_of(const fs::path& file) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return std::nullopt;
    return FileIdentity{static_cast<std::uint64_t>(info.st_size),
                        static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

Error with_label(Error error, const SubdirTask& task) {
    const auto url = redact_url(task.url);
    if (task.label.starts_with(redact_url(task.channel->base_url())))
        return std::move(error).with_context(fmt::format("repodata of {}", url));
    return std::move(error).with_context(fmt::format("repodata of {} ({})", task.label, url));
}

// Parses a local file (a cached body or a file:// channel's repodata) into the builder.
Status parse_file(const fs::path& file, Compression compression, StoreBuilder& builder, Reporter& reporter,
                  const SubdirTask& task, Progress& progress) {
    JsonStreamParser parser(builder, [&](const std::string& message) { reporter.warn(with_label(Error{ErrorKind::Input, message, {}, {}}, task).message); });
    PipelinedDecoder decoder(compression, parser);
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
    std::vector<char> chunk(1 << 20);
    while (true) {
        const auto n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", file.string(), std::strerror(saved)));
        }
        if (n == 0) break;
        if (auto fed = decoder.feed(std::string_view(chunk.data(), static_cast<std::size_t>(n))); !fed) {
            ::close(fd);
            return fed;
        }
        progress.bytes += static_cast<std::uint64_t>(n);
        progress.records = parser.records();
        reporter.progress(progress);
    }
    ::close(fd);
    return decoder.finish();
}

// Where a download goes while it arrives: the body file (temporary) and the parser.
class DownloadSink {
public:
    DownloadSink(const fs::path& target, Compression compression, Reporter& reporter, const SubdirTask& task)
        : parser_(builder_, [&reporter, &task](const std::string& message) {
              reporter.warn(with_label(Error{ErrorKind::Input, message, {}, {}}, task).message);
          }),
          decoder_(compression, parser_) {
        if (!target.empty()) {
            temporary_ = temporary_sibling(target);
            fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd_ < 0) temporary_.clear();  // no cache copy, still parsed
        }
    }
    DownloadSink(const DownloadSink&) = delete;
    DownloadSink& operator=(const DownloadSink&) = delete;
    ~DownloadSink() { discard(); }

    Status write(std::string_view bytes) {
        if (fd_ >= 0) {
            std::string_view rest = bytes;
            while (!rest.empty()) {
                const auto n = ::write(fd_, rest.data(), rest.size());
                if (n < 0) {
                    if (errno == EINTR) continue;
                    // A full disk only costs the cache copy.
                    ::close(fd_);
                    fd_ = -1;
                    ::unlink(temporary_.c_str());
                    temporary_.clear();
                    break;
                }
                rest.remove_prefix(static_cast<std::size_t>(n));
            }
        }
        bytes_ += bytes.size();
        return decoder_.feed(bytes);
    }
    Status restart() {
        if (fd_ >= 0 && (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)) {
            ::close(fd_);
            fd_ = -1;
            ::unlink(temporary_.c_str());
            temporary_.clear();
        }
        decoder_.reset();  // stops the parsing thread before the builder is emptied
        builder_.reset();
        bytes_ = 0;
        return {};
    }
    Status finish() { return decoder_.finish(); }
    // Moves the body into place; false when there is no complete copy.
    bool commit(const fs::path& target) {
        if (fd_ < 0) return false;
        const bool closed = ::close(fd_) == 0;
        fd_ = -1;
        if (!closed || ::rename(temporary_.c_str(), target.c_str()) != 0) {
            ::unlink(temporary_.c_str());
            temporary_.clear();
            return false;
        }
        temporary_.clear();
        return true;
    }
    void discard() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        if (!temporary_.empty()) ::unlink(temporary_.c_str());
        temporary_.clear();
    }
    StoreBuilder& builder() { return builder_; }
    std::uint64_t records() const { return parser_.records(); }
    std::uint64_t bytes() const { return bytes_; }

private:
    StoreBuilder builder_;
    JsonStreamParser parser_;
    PipelinedDecoder decoder_;
    fs::path temporary_;
    int fd_ = -1;
    std::uint64_t bytes_ = 0;
};

Result<std::shared_ptr<const Store>> finish_store(StoreBuilder& builder, const fs::path& folder, bool cache_ok,
                                                  std::uint64_t key, Reporter& reporter, const SubdirTask& task) {
    if (cache_ok) {
        auto store = builder.finish_to_file(folder / kStoreFile, key);
        if (store) return std::make_shared<const Store>(std::move(*store));
        reporter.warn(fmt::format("cannot cache the parsed repodata of {}: {}", task.label, store.error().message));
        return fail(std::move(store.error()));
    }
    auto store = builder.finish_in_memory(key);
    if (!store) return fail(std::move(store.error()));
    return std::make_shared<const Store>(std::move(*store));
}

}  // namespace

void Reporter::progress(const Progress& progress, bool force) {
    if (!options_.on_progress) return;
    std::lock_guard lock(mutex_);
    const auto key = progress.channel + "/" + progress.subdir;
    const auto now = now_ms();
    auto& last = last_ms_[key];
    if (!force && progress.stage != Progress::Stage::Done && now - last < 100) return;
    last = now;
    options_.on_progress(progress);
}

void Reporter::warn(const std::string& message) {
    std::lock_guard lock(mutex_);
    if (options_.on_warning)
        options_.on_warning(message);
    else
        spdlog::warn("{}", message);
}

SubdirTask make_task(const conda::Channel& channel, std::size_t channel_index, const std::string& subdir) {
    SubdirTask task;
    task.channel = &channel;
    task.channel_index = channel_index;
    task.subdir = subdir;
    task.url = channel.subdir_url(subdir);
    task.label = fmt::format("{}/{}", redact_url(channel.name()), subdir);
    return task;
}

FolderLock::FolderLock(const fs::path& folder) {
    if (!ensure_directory(folder)) return;
    fd_ = ::open((folder / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return;
    while (::flock(fd_, LOCK_EX) != 0) {
        if (errno != EINTR) {
            ::close(fd_);
            fd_ = -1;
            return;
        }
    }
}

FolderLock::~FolderLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

fs::path subdir_folder(const Options& options, const std::string& url) {
    return options.cache_dir / cache_folder_name(url);
}

bool is_not_found(const Error& error) {
    return error.kind == ErrorKind::Network &&
           (error.message.find("HTTP 404") != std::string::npos || error.message.find("HTTP 410") != std::string::npos);
}

namespace {

SubdirData make_data(const SubdirTask& task, std::shared_ptr<const Store> store, bool from_cache) {
    SubdirData data;
    data.channel_index = task.channel_index;
    data.subdir = task.subdir;
    data.url = task.url;
    data.context.channel = task.channel->base_url();
    data.context.subdir_url = task.url;
    data.store = std::move(store);
    data.from_cache = from_cache;
    return data;
}

// The cached store, or one rebuilt from the cached body; nullopt when the cache cannot serve.
std::optional<std::shared_ptr<const Store>> from_cache(const SubdirTask& task, const fs::path& folder,
                                                       const CacheState& state, Reporter& reporter, Progress& progress) {
    if (state.repodata.file.empty()) return std::nullopt;
    const auto key = store_key(task.url, state.repodata);
    if (auto store = Store::open(folder / kStoreFile, key)) return std::make_shared<const Store>(std::move(*store));
    const auto body = folder / state.repodata.file;
    const auto identity = identity_of(body);
    if (!identity || identity->size != state.repodata.size || identity->mtime_ns != state.repodata.mtime_ns)
        return std::nullopt;
    progress.stage = Progress::Stage::Parsing;
    progress.total_bytes = identity->size;
    StoreBuilder builder;
    if (auto parsed = parse_file(body, compression_of(state.repodata.file), builder, reporter, task, progress); !parsed) {
        reporter.warn(fmt::format("the cached repodata of {} is unusable ({}); fetching it again", task.label,
                                  parsed.error().message));
        return std::nullopt;
    }
    auto store = finish_store(builder, folder, true, key, reporter, task);
    if (!store) return std::nullopt;
    return *store;
}

MonolithicOutcome load_local(const SubdirTask& task, const Options& options, Reporter& reporter, Progress& progress) {
    MonolithicOutcome outcome;
    const auto folder = subdir_folder(options, task.url);
    for (const auto& variant : variant_order(options)) {
        const auto path = conda::file_url_to_path(join_url(task.url, variant));
        if (!path) break;
        const auto identity = identity_of(*path);
        if (!identity) continue;
        CachedFile file;
        file.file = variant;
        file.size = identity->size;
        file.mtime_ns = identity->mtime_ns;
        const auto key = store_key(task.url, file);
        FolderLock lock(folder);
        if (auto store = Store::open(folder / kStoreFile, key)) {
            outcome.data = make_data(task, std::make_shared<const Store>(std::move(*store)), true);
            return outcome;
        }
        progress.stage = Progress::Stage::Parsing;
        progress.total_bytes = identity->size;
        StoreBuilder builder;
        if (auto parsed = parse_file(*path, compression_of(variant), builder, reporter, task, progress); !parsed) {
            outcome.error = with_label(std::move(parsed.error()), task);
            return outcome;
        }
        auto store = finish_store(builder, folder, lock.locked(), key, reporter, task);
        if (!store) store = finish_store(builder, folder, false, key, reporter, task);
        if (!store) {
            outcome.error = with_label(std::move(store.error()), task);
            return outcome;
        }
        outcome.data = make_data(task, std::move(*store), false);
        return outcome;
    }
    outcome.not_found = true;
    return outcome;
}

}  // namespace

MonolithicOutcome load_monolithic(const SubdirTask& task, const Options& options, Reporter& reporter) {
    Progress progress;
    progress.channel = redact_url(task.channel->name());
    progress.subdir = task.subdir;
    auto done = [&](MonolithicOutcome outcome) {
        if (outcome.data) {
            progress.stage = Progress::Stage::Done;
            progress.records = outcome.data->store->size();
            progress.from_cache = outcome.data->from_cache;
            reporter.progress(progress, true);
        }
        return outcome;
    };
    if (task.channel->is_local()) return done(load_local(task, options, reporter, progress));

    MonolithicOutcome outcome;
    const auto folder = subdir_folder(options, task.url);
    FolderLock lock(folder);
    const bool cache_ok = lock.locked();
    std::string problem;
    CacheState state = cache_ok ? read_cache_state(folder / kStateFile, &problem) : CacheState{};
    if (!problem.empty()) reporter.warn(fmt::format("ignoring the repodata cache state of {}: {}", task.label, problem));
    if (state.url != task.url) state = CacheState{};
    state.url = task.url;
    const auto now = unix_now();

    if (options.offline || is_fresh(state.repodata, options.local_repodata_ttl, now)) {
        if (auto store = from_cache(task, folder, state, reporter, progress)) {
            outcome.data = make_data(task, std::move(*store), true);
            return done(std::move(outcome));
        }
        if (options.offline) {
            outcome.missing_offline = true;
            return outcome;
        }
    }

    net::Downloader downloader(options.network);
    bool all_not_found = true;
    for (const auto& variant : variant_order(options)) {
        auto& check = state.variants[variant];
        const bool recently_missing = !check.available && check.checked_at > 0 && now - check.checked_at < kVariantRecheckSeconds;
        const bool cached_variant = state.repodata.file == variant;
        if (recently_missing && !cached_variant) continue;

        const auto target = folder / variant;
        bool conditional = cached_variant && identity_of(target).has_value();
        std::optional<DownloadSink> sink_holder;
        Result<net::TransferResult> result = fail(ErrorKind::Internal, "not fetched");
        for (int round = 0; round < 2; ++round) {
            sink_holder.emplace(cache_ok ? target : fs::path(), compression_of(variant), reporter, task);
            auto& sink = *sink_holder;
            net::StreamSink stream;
            stream.write = [&sink](std::string_view bytes) { return sink.write(bytes); };
            stream.restart = [&sink] { return sink.restart(); };
            auto request =
                net::TransferRequest::to_sink(task.channel->authenticated_url(task.subdir) + "/" + variant, std::move(stream));
            request.accept_compressed = variant == "repodata.json";
            if (conditional) {
                request.if_none_match = state.repodata.etag;
                request.if_modified_since = state.repodata.last_modified;
            }
            progress.stage = Progress::Stage::Downloading;
            progress.bytes = 0;
            net::Callbacks callbacks;
            callbacks.on_progress = [&](const net::Progress& p) {
                progress.bytes = p.done;
                progress.total_bytes = p.total;
                progress.records = sink.records();
                reporter.progress(progress);
            };
            result = downloader.fetch(std::move(request), callbacks);
            if (!result || !result->not_modified) break;
            sink.discard();
            state.repodata.checked_at = now;
            if (!result->etag.empty()) state.repodata.etag = result->etag;
            if (!result->cache_control.empty()) state.repodata.cache_control = result->cache_control;
            if (auto store = from_cache(task, folder, state, reporter, progress)) {
                if (auto written = write_cache_state(folder / kStateFile, state); !written)
                    reporter.warn(written.error().message);
                outcome.data = make_data(task, std::move(*store), true);
                return done(std::move(outcome));
            }
            // The cached copy is gone or damaged: ask again without validators.
            state.repodata = CachedFile{};
            conditional = false;
        }
        auto& sink = *sink_holder;
        if (!result) {
            sink.discard();
            if (is_not_found(result.error())) {
                check = VariantCheck{false, now};
                continue;
            }
            all_not_found = false;
            outcome.error = with_label(std::move(result.error()), task);
            return outcome;
        }
        all_not_found = false;
        check = VariantCheck{true, now};
        if (result->not_modified) {
            outcome.error = with_label(Error{ErrorKind::Network, "the server answered 304 to a request without validators", {}, {}}, task);
            return outcome;
        }
        if (auto finished = sink.finish(); !finished) {
            sink.discard();
            outcome.error = with_label(std::move(finished.error()), task);
            return outcome;
        }
        CachedFile file;
        file.file = variant;
        file.etag = result->etag;
        file.last_modified = result->last_modified;
        file.cache_control = result->cache_control;
        file.fetched_at = file.checked_at = now;
        bool cached = cache_ok && sink.commit(target);
        if (cached) {
            if (const auto identity = identity_of(target)) {
                file.size = identity->size;
                file.mtime_ns = identity->mtime_ns;
            } else {
                cached = false;
            }
        }
        const auto key = store_key(task.url, file);
        auto store = finish_store(sink.builder(), folder, cached, key, reporter, task);
        if (!store && cached) store = finish_store(sink.builder(), folder, false, key, reporter, task);
        if (!store) {
            outcome.error = with_label(std::move(store.error()), task);
            return outcome;
        }
        if (cached) {
            // Other variants' bodies are now stale.
            for (const auto& other : variant_order(options)) {
                if (other == variant) continue;
                std::error_code ignored;
                fs::remove(folder / other, ignored);
            }
            state.repodata = file;
            if (auto written = write_cache_state(folder / kStateFile, state); !written) reporter.warn(written.error().message);
        }
        outcome.data = make_data(task, std::move(*store), false);
        return done(std::move(outcome));
    }
    if (cache_ok) {
        if (auto written = write_cache_state(folder / kStateFile, state); !written) reporter.warn(written.error().message);
    }
    outcome.not_found = all_not_found;
    return outcome;
}

}  // namespace envctl::repodata::detail
