// fetch_packages: cache lookups, verified downloads and extraction overlapping the downloads.
#include "envctl/fetch/fetch.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/util/fs.hpp"
#include "envctl/util/url.hpp"
#include "cached_info.hpp"
#include "worker_pool.hpp"

namespace envctl::fetch {

namespace fs = std::filesystem;

std::string_view package_source_name(PackageSource source) {
    switch (source) {
        case PackageSource::Cache: return "cache";
        case PackageSource::Extracted: return "extracted";
        case PackageSource::Downloaded: return "downloaded";
    }
    return "cache";
}

std::string repodata_record_text(const conda::PackageRecord& record) { return conda::to_json(record).dump(2) + "\n"; }

namespace {

// Written without fsync: the rename makes it appear complete or not at all, which is what
// concurrent processes need; a crash of the machine at worst costs a re-extraction.
Status write_file_renamed(const fs::path& file, std::string_view contents) {
    const auto temporary = temporary_sibling(file);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot create {}: {}", temporary.string(), std::strerror(errno)));
    std::size_t done = 0;
    while (done < contents.size()) {
        const auto n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            return fail(ErrorKind::Io, fmt::format("cannot write {}: {}", temporary.string(), std::strerror(saved)));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        return fail(ErrorKind::Io, fmt::format("cannot rename into {}: {}", file.string(), std::strerror(saved)));
    }
    return {};
}

void append_line(const fs::path& file, const std::string& line) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;  // urls.txt is informational only
    const std::string text = line + "\n";
    [[maybe_unused]] const auto n = ::write(fd, text.data(), text.size());
    ::close(fd);
}

// Leftovers of killed processes in the writable folder: the downloader's ".<fn>.tmp.*" and the
// extractor's ".<stem>.extracting-*". Removed only while the entry's lock is held.
std::vector<std::string> list_hidden_entries(const fs::path& directory) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(directory.c_str());
    if (!dir) return names;
    while (const auto* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name.size() > 1 && name.front() == '.' && name != ".." &&
            (name.find(".tmp.") != std::string_view::npos || name.find(".extracting-") != std::string_view::npos))
            names.emplace_back(name);
    }
    ::closedir(dir);
    return names;
}

void remove_stale(const fs::path& directory, const std::vector<std::string>& hidden, const std::string& fn,
                  const std::string& stem) {
    const auto download_prefix = fmt::format(".{}.tmp.", fn);
    const auto extract_prefix = fmt::format(".{}.extracting-", stem);
    for (const auto& name : hidden) {
        if (name.starts_with(download_prefix) || name.starts_with(extract_prefix)) {
            std::error_code ignored;
            fs::remove_all(directory / name, ignored);
        }
    }
}

struct Slot {
    FetchedPackage package;
    std::optional<Error> error;
    EntryLock lock;
    bool needs_work = false;  // no usable cache entry: lock, extract or download
    bool force = false;       // the entry looked complete but could not be read: replace it
};

class Fetcher {
public:
    Fetcher(const PackageCache& cache, std::span<const PackageRequest> requests, const FetchOptions& options)
        : cache_(cache), requests_(requests), options_(options), slots_(requests.size()),
          pool_(options.extract_threads ? options.extract_threads : std::max(1u, std::thread::hardware_concurrency())) {
        progress_.packages = requests.size();
    }

    Result<std::vector<FetchedPackage>> run() {
        for (std::size_t i = 0; i < requests_.size(); ++i) {
            auto& slot = slots_[i];
            slot.package.record = requests_[i].record;
            auto fn = checked_archive_name(slot.package.record);
            if (!fn) return fail(fn.error());
            if (auto directory = cache_.find_extracted(slot.package.record)) {
                slot.package.directory = *directory;
                slot.package.archive = directory->parent_path() / slot.package.record.fn;
                pool_.submit([this, i] { load_hit(i); });
            } else {
                slot.needs_work = true;
            }
        }
        pool_.wait();
        std::vector<std::size_t> pending;
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (slots_[i].needs_work && !slots_[i].error) pending.push_back(i);
        if (!pending.empty()) {
            writable_ = cache_.writable();
            if (!writable_) {
                const auto& record = slots_[pending.front()].package.record;
                auto error = Error{ErrorKind::Io,
                                   fmt::format("no writable package cache folder to store {} in", record.dist_name()),
                                   {}, {}};
                return fail(std::move(error).with_hint("set pkgs_dirs to a folder you can write to"));
            }
            hidden_ = list_hidden_entries(writable_->path);
            auto deferred = round(pending, false);
            if (!deferred.empty() && !failed()) {
                std::sort(deferred.begin(), deferred.end(), [this](std::size_t a, std::size_t b) {
                    return slots_[a].package.record.fn < slots_[b].package.record.fn;
                });
                round(deferred, true);
            }
        }
        return collect();
    }

private:
    bool failed() const { return failed_.load(); }

    void set_error(std::size_t i, Error error) {
        slots_[i].error = std::move(error);
        failed_.store(true);
    }

    void report() {
        if (options_.on_progress) options_.on_progress(progress_);
    }

    void count_ready() {
        std::lock_guard lock(progress_mutex_);
        ++progress_.ready;
        report();
    }

    void load_hit(std::size_t i) {
        auto& slot = slots_[i];
        auto info = detail::load_cached_package(slot.package.directory);
        if (!info) {
            // Complete on the outside but unreadable inside (files removed by hand, say):
            // extract it again under the lock.
            slot.needs_work = true;
            slot.force = true;
            return;
        }
        slot.package.info = std::move(*info);
        slot.package.warnings = slot.package.info.warnings;
        slot.package.source = PackageSource::Cache;
        count_ready();
    }

    std::string label(std::size_t i) const {
        const auto& record = slots_[i].package.record;
        return fmt::format("{} ({})", record.dist_name(), redact_url(record.url));
    }

    // Locks each entry, then uses what the cache has or downloads. Returns the entries whose
    // lock another process held (only when !wait).
    std::vector<std::size_t> round(const std::vector<std::size_t>& indices, bool wait) {
        std::vector<std::size_t> deferred;
        std::vector<std::size_t> downloads;
        for (const auto i : indices) {
            if (failed()) break;
            auto& slot = slots_[i];
            const auto& record = slot.package.record;
            const auto stem = archive_stem(record.fn);
            auto lock = EntryLock::acquire(writable_->path, stem, wait);
            if (!lock) {
                set_error(i, std::move(lock.error()));
                break;
            }
            if (!lock->held()) {
                deferred.push_back(i);
                continue;
            }
            slot.lock = std::move(*lock);
            if (!slot.force) {
                if (auto directory = cache_.find_extracted(record)) {
                    slot.lock.release();
                    slot.package.directory = *directory;
                    slot.package.archive = directory->parent_path() / record.fn;
                    slot.needs_work = false;
                    pool_.submit([this, i] { load_hit(i); });
                    continue;
                }
            }
            remove_stale(writable_->path, hidden_, record.fn, stem);
            slot.package.directory = writable_->path / stem;
            slot.package.archive = writable_->path / record.fn;
            if (auto archive = verified_cached_archive(i)) {
                start_extraction(i, *archive, PackageSource::Extracted);
                continue;
            }
            if (failed()) break;
            downloads.push_back(i);
        }
        if (!downloads.empty() && !failed()) download(downloads);
        pool_.wait();
        // Entries whose cache copy turned out unreadable get one forced pass.
        std::vector<std::size_t> retry;
        for (const auto i : indices)
            if (slots_[i].force && slots_[i].needs_work && !slots_[i].lock.held() && !slots_[i].error &&
                std::find(deferred.begin(), deferred.end(), i) == deferred.end() && !retried_[i]) {
                retried_[i] = true;
                retry.push_back(i);
            }
        if (!retry.empty() && !failed()) round(retry, true);
        return deferred;
    }

    std::optional<fs::path> verified_cached_archive(std::size_t i) {
        const auto& record = slots_[i].package.record;
        for (const auto& candidate : cache_.archive_candidates(record)) {
            auto matches = archive_matches(candidate, record);
            if (!matches) {
                set_error(i, std::move(matches.error()));
                return std::nullopt;
            }
            if (*matches) return candidate;
            if (candidate.parent_path() == writable_->path) {
                std::error_code ignored;  // a stale or corrupt archive: download it again
                fs::remove(candidate, ignored);
            }
        }
        return std::nullopt;
    }

    void start_extraction(std::size_t i, fs::path archive, PackageSource source) {
        {
            std::lock_guard lock(progress_mutex_);
            ++progress_.extractions;
            report();
        }
        pool_.submit([this, i, archive = std::move(archive), source] { extract(i, archive, source); });
    }

    void extract(std::size_t i, const fs::path& archive, PackageSource source) {
        auto& slot = slots_[i];
        const auto& record = slot.package.record;
        auto extracted = extract::extract_package(archive, slot.package.directory, options_.limits,
                                                  extract::ExistingDestination::Replace);
        if (!extracted) {
            if (archive.parent_path() == writable_->path) {
                std::error_code ignored;  // never keep an archive that cannot be installed
                fs::remove(archive, ignored);
            }
            set_error(i, std::move(extracted.error()).with_context(fmt::format("extracting {}", label(i))));
            slot.lock.release();
            return;
        }
        auto written = write_file_renamed(slot.package.directory / "info" / "repodata_record.json",
                                          repodata_record_text(record));
        if (!written) {
            set_error(i, std::move(written.error()));
            slot.lock.release();
            return;
        }
        if (source == PackageSource::Downloaded) append_line(writable_->path / "urls.txt", redact_url(record.url));
        slot.lock.release();
        slot.package.info = std::move(extracted->info);
        slot.package.warnings.clear();
        for (const auto* list : {&extracted->warnings, &slot.package.info.warnings})
            for (const auto& warning : *list)
                if (std::find(slot.package.warnings.begin(), slot.package.warnings.end(), warning) ==
                    slot.package.warnings.end())
                    slot.package.warnings.push_back(warning);
        slot.package.source = source;
        slot.needs_work = false;
        slot.force = false;
        std::lock_guard lock(progress_mutex_);
        ++progress_.extracted;
        ++progress_.ready;
        report();
    }

    void download(const std::vector<std::size_t>& indices) {
        std::vector<net::TransferRequest> transfers;
        {
            std::lock_guard lock(progress_mutex_);
            progress_.downloads += indices.size();
            for (const auto i : indices) progress_.bytes_total += slots_[i].package.record.size;
            report();
        }
        for (const auto i : indices) {
            const auto& request = requests_[i];
            const auto& record = slots_[i].package.record;
            auto transfer = net::TransferRequest::to_file(request.download_url.empty() ? record.url : request.download_url,
                                                          slots_[i].package.archive);
            if (record.size) transfer.expected_size = record.size;
            if (!record.sha256.empty()) transfer.expected_sha256 = record.sha256;
            else transfer.expected_md5 = record.md5;
            transfer.accept_compressed = false;
            transfers.push_back(std::move(transfer));
        }
        net::CancellationToken stop;
        net::Callbacks callbacks;
        callbacks.cancel = &stop;
        const std::uint64_t base_bytes = bytes_before_;
        callbacks.on_progress = [&](const net::Progress& progress) {
            if (options_.cancel && options_.cancel->cancelled()) stop.cancel();
            std::lock_guard lock(progress_mutex_);
            progress_.bytes_done = base_bytes + progress.overall_done;
            report();
        };
        callbacks.on_complete = [&](std::size_t index, Result<net::TransferResult>& result) {
            const auto i = indices[index];
            if (options_.cancel && options_.cancel->cancelled()) stop.cancel();
            if (!result) {
                if (!(net::is_cancellation(result.error()) && failed()))
                    set_error(i, std::move(result.error()).with_context(fmt::format("downloading {}", label(i))));
                slots_[i].lock.release();
                stop.cancel();
                return;
            }
            slots_[i].package.downloaded_bytes = result->bytes;
            {
                std::lock_guard lock(progress_mutex_);
                ++progress_.downloaded;
                report();
            }
            start_extraction(i, slots_[i].package.archive, PackageSource::Downloaded);
        };
        net::Downloader downloader(options_.network);
        downloader.run(std::move(transfers), callbacks);
        std::lock_guard lock(progress_mutex_);
        bytes_before_ = progress_.bytes_done;
    }

    Result<std::vector<FetchedPackage>> collect() {
        std::optional<Error> first;
        std::size_t errors = 0;
        for (auto& slot : slots_) {
            if (!slot.error) continue;
            ++errors;
            if (!first) first = std::move(slot.error);
        }
        if (first) {
            if (errors > 1) first = std::move(*first).with_hint(fmt::format("{} more packages failed", errors - 1));
            return fail(std::move(*first));
        }
        std::vector<FetchedPackage> out;
        out.reserve(slots_.size());
        for (auto& slot : slots_) {
            if (slot.needs_work) {
                return fail(ErrorKind::Io, fmt::format("package {} could not be made available in the package cache",
                                                       slot.package.record.dist_name()));
            }
            out.push_back(std::move(slot.package));
        }
        return out;
    }

    const PackageCache& cache_;
    std::span<const PackageRequest> requests_;
    const FetchOptions& options_;
    std::vector<Slot> slots_;
    std::map<std::size_t, bool> retried_;
    const CacheDirectory* writable_ = nullptr;
    std::vector<std::string> hidden_;
    std::mutex progress_mutex_;
    FetchProgress progress_;
    std::uint64_t bytes_before_ = 0;
    std::atomic<bool> failed_{false};
    detail::WorkerPool pool_;  // last: its workers stop before the members they use go away
};

}  // namespace

Result<std::vector<FetchedPackage>> fetch_packages(const PackageCache& cache, std::span<const PackageRequest> requests,
                                                   const FetchOptions& options) {
    Fetcher fetcher(cache, requests, options);
    return fetcher.run();
}

}  // namespace envctl::fetch
