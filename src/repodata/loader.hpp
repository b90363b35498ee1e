#pragma once
// Internal: loading one channel subdir (monolithic repodata) through the HTTP cache, and the
// shared plumbing (progress reporting, cache folder locks) of the loaders.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <span>
#include <thread>
#include <vector>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "envctl/repodata/cache.hpp"
#include "envctl/repodata/repodata.hpp"

namespace envctl::repodata::detail {

// The cache state file beside each channel's cached repodata (ETag, Last-Modified, checks).
inline constexpr const char* kStateFile = "state.json";

// Serialises progress and warning callbacks, and throttles progress to ~10 per second per subdir.
class Reporter {
public:
    explicit Reporter(const Options& options) : options_(options) {}
    void progress(const Progress& progress, bool force = false);
    void warn(const std::string& message);

private:
    const Options& options_;
    std::mutex mutex_;
    std::map<std::string, std::int64_t> last_ms_;
};

struct SubdirTask {
    const conda::Channel* channel = nullptr;
    std::size_t channel_index = 0;
    std::string subdir;
    std::string url;  // credential-free subdir URL
    std::string label;  // "conda-forge/linux-64", for messages
};

SubdirTask make_task(const conda::Channel& channel, std::size_t channel_index, const std::string& subdir);

// An exclusive flock() on <folder>/lock for the life of the object (best effort: no lock when
// the folder cannot be created).
class FolderLock {
public:
    explicit FolderLock(const std::filesystem::path& folder);
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;
    ~FolderLock();
    bool locked() const { return fd_ >= 0; }

private:
    int fd_ = -1;
};

struct MonolithicOutcome {
    std::optional<SubdirData> data;
    std::optional<Error> error;
    bool missing_offline = false;  // offline and not cached
    bool not_found = false;        // the server has no repodata for this subdir (HTTP 404)
};

// Loads the whole subdir: a fresh cache, a 304, or a download parsed as it arrives.
MonolithicOutcome load_monolithic(const SubdirTask& task, const Options& options, Reporter& reporter);

std::vector<SubdirTask> make_tasks(std::span<const conda::Channel> channels, std::span<const std::string> subdirs);
std::size_t parallelism(const Options& options, std::size_t tasks);
// Turns per-task outcomes into the loaded subdirs or one error (offline gaps listed together).
Result<std::vector<SubdirData>> gather(std::span<const SubdirTask> tasks, std::vector<MonolithicOutcome>& outcomes,
                                       std::span<const conda::Channel> channels, Reporter& reporter);

// Runs `work(i)` for i in [0, count) on up to `threads` threads.
template <class Work>
void run_parallel(std::size_t count, std::size_t threads, Work&& work) {
    threads = std::max<std::size_t>(1, std::min(threads, count));
    if (threads == 1) {
        for (std::size_t i = 0; i < count; ++i) work(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (std::size_t i = next++; i < count; i = next++) work(i);
        });
    for (auto& thread : pool) thread.join();
}

std::int64_t unix_now();
std::filesystem::path subdir_folder(const Options& options, const std::string& url);
bool is_not_found(const Error& error);

}  // namespace envctl::repodata::detail
