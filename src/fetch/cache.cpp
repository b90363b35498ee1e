// The package cache's folders, entry checks and per-entry locks.
#include "envctl/fetch/cache.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::fetch {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view conda_extension = ".conda";
constexpr std::string_view tar_bz2_extension = ".tar.bz2";

bool can_write_into(const fs::path& directory) {
    std::error_code error;
    fs::create_directories(directory, error);
    if (error || !fs::is_directory(directory, error)) return false;
    return ::access(directory.c_str(), W_OK | X_OK) == 0;
}

std::string json_string(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? to_lower(it->get<std::string>()) : std::string();
}

}  // namespace

std::string archive_stem(std::string_view fn) {
    if (fn.ends_with(conda_extension)) return std::string(fn.substr(0, fn.size() - conda_extension.size()));
    if (fn.ends_with(tar_bz2_extension)) return std::string(fn.substr(0, fn.size() - tar_bz2_extension.size()));
    return std::string(fn);
}

Result<std::string> checked_archive_name(const conda::PackageRecord& record) {
    const std::string& fn = record.fn;
    auto refuse = [&](std::string_view why) {
        return fail(ErrorKind::Integrity,
                    fmt::format("package {}: archive file name '{}' {}", record.dist_name(), fn, why));
    };
    if (!fn.ends_with(conda_extension) && !fn.ends_with(tar_bz2_extension))
        return refuse("does not end with .conda or .tar.bz2");
    const auto stem = archive_stem(fn);
    if (stem.empty() || stem.front() == '.') return refuse("is empty or hidden");
    for (const char c : fn) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '/' || c == '\\' || byte < 0x20 || byte == 0x7f) return refuse("contains a path separator or a control character");
    }
    return fn;
}

Result<PackageCache> PackageCache::open(std::span<const fs::path> directories) {
    if (directories.empty()) return fail(ErrorKind::Io, "no package cache folder is configured (pkgs_dirs is empty)");
    PackageCache cache;
    bool have_writable = false;
    for (const auto& directory : directories) {
        CacheDirectory entry{directory, false};
        if (!have_writable && can_write_into(directory)) {
            entry.writable = true;
            have_writable = true;
        }
        cache.directories_.push_back(std::move(entry));
    }
    return cache;
}

const CacheDirectory* PackageCache::writable() const {
    for (const auto& directory : directories_)
        if (directory.writable) return &directory;
    return nullptr;
}

bool is_complete_entry(const fs::path& directory, const conda::PackageRecord& record) {
    const int fd = ::open((directory / "info" / "repodata_record.json").c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return false;
    std::string text;
    char buffer[16384];
    for (;;) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > (std::size_t{64} << 20)) break;
    }
    ::close(fd);
    const auto document = nlohmann::json::parse(text, nullptr, false);
    if (!document.is_object()) return false;
    const auto fn = document.find("fn");
    if (fn != document.end() && fn->is_string() && fn->get<std::string>() != record.fn) return false;
    const auto sha256 = json_string(document, "sha256");
    if (!record.sha256.empty() && !sha256.empty()) return sha256 == to_lower(record.sha256);
    const auto md5 = json_string(document, "md5");
    if (!record.md5.empty() && !md5.empty()) return md5 == to_lower(record.md5);
    // Neither side can prove anything: the same archive name with the same size will do.
    const auto size = document.find("size");
    if (record.size != 0 && size != document.end() && size->is_number_unsigned())
        return size->get<std::uint64_t>() == record.size;
    return record.sha256.empty() && record.md5.empty();
}

std::optional<fs::path> PackageCache::find_extracted(const conda::PackageRecord& record) const {
    const auto stem = archive_stem(record.fn);
    for (const auto& directory : directories_) {
        auto candidate = directory.path / stem;
        if (is_complete_entry(candidate, record)) return candidate;
    }
    return std::nullopt;
}

std::vector<fs::path> PackageCache::archive_candidates(const conda::PackageRecord& record) const {
    std::vector<fs::path> found;
    for (const auto& directory : directories_) {
        auto candidate = directory.path / record.fn;
        std::error_code error;
        if (fs::is_regular_file(candidate, error)) found.push_back(std::move(candidate));
    }
    return found;
}

Result<bool> archive_matches(const fs::path& archive, const conda::PackageRecord& record) {
    std::error_code error;
    const auto size = fs::file_size(archive, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", archive.string(), error.message()));
    if (record.size != 0 && size != record.size) return false;
    if (!record.sha256.empty()) {
        auto digest = file_digest_hex(archive, HashAlgorithm::Sha256);
        if (!digest) return fail(digest.error());
        return *digest == to_lower(record.sha256);
    }
    if (!record.md5.empty()) {
        auto digest = file_digest_hex(archive, HashAlgorithm::Md5);
        if (!digest) return fail(digest.error());
        return *digest == to_lower(record.md5);
    }
    return true;
}

EntryLock::EntryLock(EntryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

EntryLock& EntryLock::operator=(EntryLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

EntryLock::~EntryLock() { release(); }

void EntryLock::release() {
    if (fd_ >= 0) {
        ::close(fd_);  // closing the descriptor drops the flock
        fd_ = -1;
    }
}

Result<EntryLock> EntryLock::acquire(const fs::path& directory, std::string_view stem, bool wait) {
    const auto locks = directory / ".envctl-locks";
    if (::mkdir(locks.c_str(), 0755) != 0 && errno != EEXIST)
        return fail(ErrorKind::Io, fmt::format("cannot create {}: {}", locks.string(), std::strerror(errno)));
    const auto file = locks / fmt::format("{}.lock", stem);
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open lock file {}: {}", file.string(), std::strerror(errno)));
    for (;;) {
        if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) return EntryLock(fd);
        if (errno == EINTR) continue;
        const int saved = errno;
        ::close(fd);
        if (saved == EWOULDBLOCK) return EntryLock();
        return fail(ErrorKind::Io, fmt::format("cannot lock {}: {}", file.string(), std::strerror(saved)));
    }
}

}  // namespace envctl::fetch
