#pragma once
// Internal: loading one channel subdir (monolithic repodata) through the HTTP cache, and the
// shared plumbing (progress reporting, cache folder locks) of the loaders.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "envctl/repodata/cache.hpp"
#include "envctl/repodata/repodata.hpp"

namespace envctl::repodata::detail {

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

std::int64_t unix_now();
std::filesystem::path subdir_folder(const Options& options, const std::string& url);
bool is_not_found(const Error& error);

}  // namespace envctl::repodata::detail
