#pragma once
// The package cache: folders (config pkgs_dirs) shared by every prefix on the machine, laid out
// like conda's so conda users recognise them:
//   <pkgs>/<fn>                               the archive, e.g. zlib-1.2.11-h7b6447c_3.conda
//   <pkgs>/<stem>/                            its extracted tree (stem = fn without extension)
//   <pkgs>/<stem>/info/repodata_record.json   written last: an entry without it is incomplete
//   <pkgs>/urls.txt                           URLs downloaded into this folder, one a line
//   <pkgs>/.envctl-locks/<stem>.lock          flock()ed while an entry is checked or written
//
// Several folders may be configured: entries are looked up in all of them, in order, and new
// ones are written into the first writable folder only; read-only folders are only read.
// Entries are written to temporary names and renamed into place, so concurrent envctl
// processes never see half-written entries, and a complete entry is never modified again.
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::fetch {

// A record's archive file name, checked before it is used as a path: "<stem>.conda" or
// "<stem>.tar.bz2", no '/', no NUL or control characters, not "." / ".." / hidden. Fails
// (ErrorKind::Integrity, naming the package) otherwise.
Result<std::string> checked_archive_name(const conda::PackageRecord& record);
// "zlib-1.2.11-h7b6447c_3" for "zlib-1.2.11-h7b6447c_3.conda".
std::string archive_stem(std::string_view fn);

struct CacheDirectory {
    std::filesystem::path path;
    bool writable = false;
};

class PackageCache {
public:
    // The configured folders in order. The first folder that is or can be made writable
    // receives new entries; a folder that cannot be created is kept as read-only (and may not
    // exist). Fails (Io) only when `directories` is empty.
    static Result<PackageCache> open(std::span<const std::filesystem::path> directories);

    const std::vector<CacheDirectory>& directories() const { return directories_; }
    // The folder that receives downloads and extractions; nullptr when none is writable.
    const CacheDirectory* writable() const;

    // A complete extracted entry for `record` in any folder: its info/repodata_record.json
    // names the same archive (fn) with the same sha256 (or md5 when that is all both know).
    std::optional<std::filesystem::path> find_extracted(const conda::PackageRecord& record) const;
    // Every folder's <fn> that exists, in folder order (not verified).
    std::vector<std::filesystem::path> archive_candidates(const conda::PackageRecord& record) const;

private:
    std::vector<CacheDirectory> directories_;
};

// Whether `directory` holds a complete extracted entry of `record` (see find_extracted).
bool is_complete_entry(const std::filesystem::path& directory, const conda::PackageRecord& record);

// Checks a file against the record's sha256 (or md5 when there is no sha256) and size.
// Returns false on a mismatch; a record without any hash matches by size only.
Result<bool> archive_matches(const std::filesystem::path& archive, const conda::PackageRecord& record);

// An exclusive flock() on one cache entry; released when destroyed.
class EntryLock {
public:
    EntryLock() = default;
    EntryLock(EntryLock&& other) noexcept;
    EntryLock& operator=(EntryLock&& other) noexcept;
    EntryLock(const EntryLock&) = delete;
    EntryLock& operator=(const EntryLock&) = delete;
    ~EntryLock();

    bool held() const { return fd_ >= 0; }
    void release();

    // Locks <directory>/.envctl-locks/<stem>.lock. With `wait` false, returns an unheld lock
    // when another process holds it.
    static Result<EntryLock> acquire(const std::filesystem::path& directory, std::string_view stem, bool wait);

private:
    explicit EntryLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace envctl::fetch
