// CEP 16: fetch each subdir's shard index (HTTP cache, conditional requests), then the shards
// of the names needed. Shards are content-addressed: cached under <cache>/shards/<sha256>,
// verified on download (the downloader checks the sha256) and on reading. Names discovered in
// a shard's depends are requested as soon as that shard is decoded, so waves overlap.
#include "shards.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "decoder.hpp"
#include "envctl/repodata/builder.hpp"
#include "envctl/repodata/msgpack.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"
#include "loader.hpp"

namespace envctl::repodata::detail {

namespace fs = std::filesystem;

namespace {

constexpr const char* kIndexFile = "repodata_shards.msgpack.zst";
constexpr std::size_t kMaxDecoded = 512u << 20;

struct ShardedSubdir {
    ShardIndex index;
    StoreBuilder builder;
    std::string shards_url;  // authenticated base for shard downloads (never shown)
    std::set<std::string> requested;
    std::size_t downloaded = 0;
    std::size_t cached = 0;
    std::size_t needed = 0;
};

// What happened when asking for the index.
struct IndexOutcome {
    std::optional<ShardIndex> index;  // the subdir is sharded
    std::optional<Error> error;
};

Error labelled(Error error, const SubdirTask& task) {
    return std::move(error).with_context(fmt::format("sharded repodata of {}", redact_url(task.url)));
}

Result<ShardIndex> read_index_file(const fs::path& file) {
    auto compressed = read_file(file);
    if (!compressed) return fail(std::move(compressed.error()));
    auto decoded = decompress_all(Compression::Zstd, *compressed, kMaxDecoded);
    if (!decoded) return fail(std::move(decoded.error()));
    return decode_shard_index(*decoded);
}

// The index from the cache or the server; nullopt index when the channel has none.
IndexOutcome fetch_index(const SubdirTask& task, const Options& options, Reporter& reporter) {
    IndexOutcome outcome;
    const auto folder = subdir_folder(options, task.url);
    FolderLock lock(folder);
    if (!lock.locked()) return outcome;  // no cache folder: monolithic repodata
    auto state = read_cache_state(folder / kStateFile);
    if (state.url != task.url) state = CacheState{};
    state.url = task.url;
    const auto now = unix_now();
    const auto cached_file = folder / kIndexFile;
    const bool have_cached = state.shard_index.file == kIndexFile && fs::exists(cached_file);
    if (options.offline || (have_cached && is_fresh(state.shard_index, options.local_repodata_ttl, now))) {
        if (!have_cached) return outcome;
        auto index = read_index_file(cached_file);
        if (index) {
            outcome.index = std::move(*index);
            return outcome;
        }
        if (options.offline) return outcome;
    }
    auto& check = state.variants[kIndexFile];
    if (!have_cached && !check.available && check.checked_at > 0 && now - check.checked_at < kVariantRecheckSeconds)
        return outcome;  // known not to be sharded

    Progress progress;
    progress.channel = redact_url(task.channel->name());
    progress.subdir = task.subdir;
    progress.stage = Progress::Stage::Checking;
    reporter.progress(progress, true);
    net::Downloader downloader(options.network);
    auto request = net::TransferRequest::to_file(task.channel->authenticated_url(task.subdir) + "/" + kIndexFile, cached_file);
    request.accept_compressed = false;
    if (have_cached) {
        request.if_none_match = state.shard_index.etag;
        request.if_modified_since = state.shard_index.last_modified;
    }
    auto result = downloader.fetch(std::move(request));
    if (!result) {
        if (is_not_found(result.error())) {
            check = VariantCheck{false, now};
            state.shard_index = CachedFile{};
            if (auto written = write_cache_state(folder / kStateFile, state); !written) reporter.warn(written.error().message);
            return outcome;
        }
        outcome.error = labelled(std::move(result.error()), task);
        return outcome;
    }
    check = VariantCheck{true, now};
    if (!result->not_modified) {
        state.shard_index.file = kIndexFile;
        state.shard_index.etag = result->etag;
        state.shard_index.last_modified = result->last_modified;
        state.shard_index.fetched_at = now;
        struct stat info {};
        if (::stat(cached_file.c_str(), &info) == 0) state.shard_index.size = static_cast<std::uint64_t>(info.st_size);
    }
    if (!result->cache_control.empty() || !result->not_modified) state.shard_index.cache_control = result->cache_control;
    state.shard_index.checked_at = now;
    auto index = read_index_file(cached_file);
    if (!index) {
        std::error_code ignored;
        fs::remove(cached_file, ignored);
        state.shard_index = CachedFile{};
        (void)write_cache_state(folder / kStateFile, state);
        outcome.error = labelled(std::move(index.error()), task);
        return outcome;
    }
    if (auto written = write_cache_state(folder / kStateFile, state); !written) reporter.warn(written.error().message);
    outcome.index = std::move(*index);
    return outcome;
}

std::string shards_base(const SubdirTask& task, const ShardIndex& index) {
    const auto& written = index.shards_base_url;
    if (written.find("://") != std::string::npos) return written;  // another host: no credentials sent
    std::string base = task.channel->authenticated_url(task.subdir);
    std::string_view rest = written;
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const auto part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            const auto cut = base.rfind('/');
            if (cut != std::string::npos && base.find("://") + 3 < cut) base.resize(cut);
        } else {
            base = join_url(base, part);
        }
    }
    return base;
}

// Writes a verified shard into the content-addressed cache (no fsync: it is re-verified on read).
void cache_shard(const fs::path& file, std::string_view bytes) {
    if (!ensure_directory(file.parent_path())) return;
    const auto temporary = temporary_sibling(file);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return;
    bool ok = true;
    while (!bytes.empty() && ok) {
        const auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(temporary.c_str(), file.c_str()) != 0) ::unlink(temporary.c_str());
}

}  // namespace

Result<Repodata> load_with_shards(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                                  std::span<const std::string> names, bool follow_depends, const Options& options) {
    Reporter reporter(options);
    const auto tasks = make_tasks(channels, subdirs);

    // 1. Shard indexes where channels have them; monolithic repodata elsewhere.
    std::vector<IndexOutcome> indexes(tasks.size());
    std::vector<MonolithicOutcome> outcomes(tasks.size());
    run_parallel(tasks.size(), parallelism(options, tasks.size()), [&](std::size_t i) {
        if (!tasks[i].channel->is_local()) indexes[i] = fetch_index(tasks[i], options, reporter);
        if (indexes[i].error) {
            outcomes[i].error = indexes[i].error;
        } else if (!indexes[i].index) {
            outcomes[i] = load_monolithic(tasks[i], options, reporter);
        }
    });
    std::vector<std::unique_ptr<ShardedSubdir>> sharded(tasks.size());
    std::vector<std::size_t> sharded_tasks;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!indexes[i].index) continue;
        auto subdir = std::make_unique<ShardedSubdir>();
        subdir->index = std::move(*indexes[i].index);
        subdir->shards_url = shards_base(tasks[i], subdir->index);
        subdir->builder.set_info(subdir->index.subdir, subdir->index.base_url, 2);
        sharded[i] = std::move(subdir);
        sharded_tasks.push_back(i);
    }
    for (auto& outcome : outcomes)
        if (outcome.error) return fail(std::move(*outcome.error));

    // 2. Shards, following depends. Monolithic stores take part in the closure too.
    std::unordered_set<std::string> seen;
    std::deque<std::string> queue;
    auto want = [&](std::string name) {
        if (name.empty() || name.starts_with("__")) return;
        if (seen.insert(name).second) queue.push_back(std::move(name));
    };
    for (const auto& name : names) want(dependency_name(name));

    net::NetworkOptions network = options.network;
    network.max_parallel = std::max<std::size_t>(network.max_parallel, 16);
    net::Downloader downloader(network);
    struct Pending {
        std::size_t task;
        std::string hex;
        std::string name;
    };
    std::vector<Pending> pending;  // by request index
    std::vector<net::TransferRequest> initial;
    std::optional<Error> failure;
    std::vector<std::string> missing_offline;
    bool running = false;
    const auto shard_cache = options.cache_dir / "shards";

    auto warn_for = [&](std::size_t task) {
        return [&reporter, &tasks, task](const std::string& message) {
            reporter.warn(fmt::format("sharded repodata of {}: {}", redact_url(tasks[task].url), message));
        };
    };
    auto report = [&](std::size_t task) {
        const auto& subdir = *sharded[task];
        Progress progress;
        progress.channel = redact_url(tasks[task].channel->name());
        progress.subdir = tasks[task].subdir;
        progress.stage = Progress::Stage::Downloading;
        progress.shards_fetched = subdir.downloaded + subdir.cached;
        progress.shards_needed = subdir.needed;
        progress.records = subdir.builder.record_count();
        reporter.progress(progress);
    };
    // Decodes one shard's bytes (compressed) into its subdir; queues the names it depends on.
    auto absorb = [&](std::size_t task, std::string_view compressed, const std::string& name) -> Status {
        auto decoded = decompress_all(Compression::Zstd, compressed, kMaxDecoded);
        if (!decoded) return fail(labelled(std::move(decoded.error()), tasks[task]).with_context(fmt::format("shard of '{}'", name)));
        std::vector<std::string> depends;
        if (auto added = decode_shard(*decoded, sharded[task]->builder, warn_for(task), follow_depends ? &depends : nullptr);
            !added)
            return fail(labelled(std::move(added.error()), tasks[task]));
        for (auto& dependency : depends) want(std::move(dependency));
        return {};
    };
    // Handles every queued name: monolithic closure, cached shards, new downloads.
    std::function<void()> drain = [&] {
        while (!queue.empty() && !failure) {
            const std::string name = queue.front();
            queue.pop_front();
            if (follow_depends) {
                for (auto& outcome : outcomes) {
                    if (!outcome.data) continue;
                    const auto& store = *outcome.data->store;
                    const auto index = store.find_name(name);
                    if (!index) continue;
                    const auto [first, last] = store.records_of(*index);
                    for (auto r = first; r < last; ++r)
                        for (const auto spec : store.record(r).depends()) want(dependency_name(spec));
                }
            }
            for (const auto task : sharded_tasks) {
                auto& subdir = *sharded[task];
                const auto* hash = subdir.index.find(name);
                if (!hash || !subdir.requested.insert(name).second) continue;
                ++subdir.needed;
                const auto hex = to_hex(hash->data(), hash->size());
                const auto cached = shard_cache / (hex + ".msgpack.zst");
                if (auto bytes = read_file(cached); bytes && sha256_hex(*bytes) == hex) {
                    ++subdir.cached;
                    if (auto absorbed = absorb(task, *bytes, name); !absorbed) failure = absorbed.error();
                    report(task);
                    continue;
                }
                if (options.offline) {
                    missing_offline.push_back(fmt::format("{} (shard of '{}')", tasks[task].label, name));
                    continue;
                }
                auto request = net::TransferRequest::to_memory(join_url(subdir.shards_url, hex + ".msgpack.zst"));
                request.expected_sha256 = hex;
                request.accept_compressed = false;
                pending.push_back(Pending{task, hex, name});
                if (running)
                    downloader.add(std::move(request));
                else
                    initial.push_back(std::move(request));
            }
        }
    };
    drain();
    if (!initial.empty() && !failure) {
        net::Callbacks callbacks;
        callbacks.on_complete = [&](std::size_t index, Result<net::TransferResult>& result) {
            if (failure) return;
            const auto& item = pending[index];
            if (!result) {
                failure = labelled(std::move(result.error()), tasks[item.task]);
                return;
            }
            auto& subdir = *sharded[item.task];
            ++subdir.downloaded;
            cache_shard(shard_cache / (item.hex + ".msgpack.zst"), result->body);
            if (auto absorbed = absorb(item.task, result->body, item.name); !absorbed) {
                failure = absorbed.error();
                return;
            }
            result->body.clear();
            report(item.task);
            drain();
        };
        running = true;
        downloader.run(std::move(initial), callbacks);
        running = false;
    }
    if (failure) return fail(std::move(*failure));
    if (!missing_offline.empty())
        return fail(Error{ErrorKind::Network,
                          fmt::format("offline mode: shards not cached: {}", join(missing_offline, ", ")),
                          std::nullopt,
                          {"run the command once with network access to fill the cache, or turn offline mode off"}});

    // 3. Stores of the fetched shards.
    for (const auto task : sharded_tasks) {
        auto& subdir = *sharded[task];
        auto store = subdir.builder.finish_in_memory(0);
        if (!store) return fail(labelled(std::move(store.error()), tasks[task]));
        SubdirData data;
        data.channel_index = tasks[task].channel_index;
        data.subdir = tasks[task].subdir;
        data.url = tasks[task].url;
        data.context.channel = tasks[task].channel->base_url();
        data.context.subdir_url = tasks[task].url;
        data.store = std::make_shared<const Store>(std::move(*store));
        data.sharded = true;
        data.from_cache = subdir.downloaded == 0;
        data.shards_downloaded = subdir.downloaded;
        data.shards_cached = subdir.cached;
        data.shards_total = subdir.index.shards.size();
        outcomes[task].data = std::move(data);
        Progress progress;
        progress.channel = redact_url(tasks[task].channel->name());
        progress.subdir = tasks[task].subdir;
        progress.stage = Progress::Stage::Done;
        progress.records = outcomes[task].data->store->size();
        progress.from_cache = outcomes[task].data->from_cache;
        progress.shards_fetched = subdir.downloaded + subdir.cached;
        progress.shards_needed = subdir.needed;
        reporter.progress(progress, true);
    }
    auto loaded = gather(tasks, outcomes, channels, reporter);
    if (!loaded) return fail(std::move(loaded.error()));
    return Repodata({channels.begin(), channels.end()}, std::move(*loaded));
}

}  // namespace envctl::repodata::detail
