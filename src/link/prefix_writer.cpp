#include "prefix_writer.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "envctl/util/hash.hpp"

namespace envctl::link::detail {

namespace fs = std::filesystem;

Error io_error(std::string_view what, const std::string& path, int error_number) {
    return Error{ErrorKind::Io, fmt::format("cannot {} {}: {}", what, path, std::strerror(error_number)), {}, {}};
}

namespace {

std::string parent_of(const std::string& relative) {
    const auto slash = relative.rfind('/');
    return slash == std::string::npos ? std::string() : relative.substr(0, slash);
}

// The process's umask, read without changing it (umask(2) would, for every thread at once).
mode_t process_umask() {
    static const mode_t mask = [] {
        mode_t value = 022;
        if (auto status = read_whole_file("/proc/self/status")) {
            const auto at = status->find("\nUmask:");
            if (at != std::string::npos) value = static_cast<mode_t>(std::strtoul(status->c_str() + at + 7, nullptr, 8));
        }
        return value;
    }();
    return mask;
}

// Files are created with `mode`; the umask may have taken bits the package asked for.
void restore_mode(int fd, mode_t mode) {
    if ((mode & ~process_umask()) != mode) ::fchmod(fd, mode);
}

std::string real_path(const std::string& path) {
    char buffer[PATH_MAX];
    if (::realpath(path.c_str(), buffer) == nullptr) return {};
    return buffer;
}

}  // namespace

PrefixWriter::PrefixWriter(const fs::path& prefix) : prefix_(prefix.lexically_normal().string()) {
    while (prefix_.size() > 1 && prefix_.ends_with('/')) prefix_.pop_back();
    real_prefix_ = real_path(prefix_);
    if (real_prefix_.empty()) real_prefix_ = prefix_;
}

std::string PrefixWriter::full(std::string_view relative) const {
    std::string out;
    out.reserve(prefix_.size() + 1 + relative.size());
    out += prefix_;
    out += '/';
    out += relative;
    return out;
}

Status PrefixWriter::ensure_parent(const std::string& relative) { return ensure_directory(parent_of(relative)); }

bool PrefixWriter::known_directory(const std::string& relative) {
    std::lock_guard lock(mutex_);
    return directories_.contains(relative);
}

void PrefixWriter::remember_directory(const std::string& relative) {
    std::lock_guard lock(mutex_);
    directories_.insert(relative);
}

Status PrefixWriter::ensure_directory(const std::string& relative) {
    if (relative.empty() || known_directory(relative)) return {};
    if (auto parent = ensure_directory(parent_of(relative)); !parent) return parent;
    const auto path = full(relative);
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (::mkdir(path.c_str(), 0755) == 0) {
            remember_directory(relative);
            return {};
        }
        if (errno != EEXIST) return fail(io_error("create directory", path, errno));
        struct stat status {};
        if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
            struct stat link_status {};
            if (::lstat(path.c_str(), &link_status) == 0 && S_ISLNK(link_status.st_mode)) {
                const auto resolved = real_path(path);
                if (resolved != real_prefix_ && !resolved.starts_with(real_prefix_ + "/"))
                    return fail(ErrorKind::Integrity,
                                fmt::format("{} is a symlink to {}, outside the prefix: refusing to write through it",
                                            path, resolved));
            }
            remember_directory(relative);
            return {};
        }
        // A file or a dangling symlink where a directory must be.
        auto moved = make_room(relative);
        if (!moved) return fail(std::move(moved.error()));
    }
    return fail(io_error("create directory", path, EEXIST));
}

Status PrefixWriter::ensure_trash_parent(const std::string& relative) {
    const auto parent = parent_of(relative);
    {
        std::lock_guard lock(mutex_);
        if (trash_directories_.contains(parent)) return {};
    }
    std::error_code error;
    const fs::path directory = parent.empty() ? fs::path(full(trash_directory)) : fs::path(full(trash_directory)) / parent;
    fs::create_directories(directory, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot create {}: {}", directory.string(), error.message()));
    std::lock_guard lock(mutex_);
    trash_directories_.insert(parent);
    return {};
}

Result<bool> PrefixWriter::make_room(const std::string& relative) {
    const auto path = full(relative);
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT) return false;
        return fail(io_error("inspect", path, errno));
    }
    if (S_ISDIR(status.st_mode)) {
        if (::rmdir(path.c_str()) == 0) return true;
        return fail(ErrorKind::Io, fmt::format("cannot replace the directory {} with a file: {}", path, std::strerror(errno)));
    }
    const auto kept = full(std::string(trash_directory) + "/" + relative);
    struct stat kept_status {};
    if (::lstat(kept.c_str(), &kept_status) == 0) {
        // The original is already kept: this is a file written earlier in this transaction.
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail(io_error("remove", path, errno));
        return true;
    }
    if (auto parent = ensure_trash_parent(relative); !parent) return fail(std::move(parent.error()));
    if (::rename(path.c_str(), kept.c_str()) != 0) return fail(io_error("move aside", path, errno));
    return true;
}

Result<bool> PrefixWriter::move_to_trash(const std::string& relative) {
    const auto path = full(relative);
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) return false;
        return fail(io_error("inspect", path, errno));
    }
    if (S_ISDIR(status.st_mode)) return false;
    return make_room(relative);
}

Status copy_file(const std::string& source, const std::string& target, mode_t mode) {
    const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return fail(io_error("read", source, errno));
    const int out = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (out < 0) {
        const int saved = errno;
        ::close(in);
        return fail(Error{ErrorKind::Io, fmt::format("cannot create {}: {}", target, std::strerror(saved)), {}, {}});
    }
    auto finish = [&](int saved) -> Status {
        ::close(in);
        ::close(out);
        if (saved == 0) return {};
        ::unlink(target.c_str());
        return fail(io_error("copy into", target, saved));
    };
    if (::ioctl(out, FICLONE, in) == 0) {
        restore_mode(out, mode);
        return finish(0);
    }
    bool fallback = false;
    for (;;) {
        const auto n = ::copy_file_range(in, nullptr, out, nullptr, std::size_t{1} << 30, 0);
        if (n == 0) break;
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP) {
                fallback = true;
                break;
            }
            return finish(errno);
        }
    }
    if (fallback) {
        char buffer[1 << 16];
        for (;;) {
            const auto n = ::read(in, buffer, sizeof buffer);
            if (n == 0) break;
            if (n < 0) {
                if (errno == EINTR) continue;
                return finish(errno);
            }
            std::size_t done = 0;
            while (done < static_cast<std::size_t>(n)) {
                const auto w = ::write(out, buffer + done, static_cast<std::size_t>(n) - done);
                if (w < 0) {
                    if (errno == EINTR) continue;
                    return finish(errno);
                }
                done += static_cast<std::size_t>(w);
            }
        }
    }
    restore_mode(out, mode);
    return finish(0);
}

Status write_new_file(const std::string& target, std::string_view contents, mode_t mode) {
    const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return fail(Error{ErrorKind::Io, fmt::format("cannot create {}: {}", target, std::strerror(errno)), {}, {}});
    std::size_t done = 0;
    while (done < contents.size()) {
        const auto n = ::write(fd, contents.data() + done, contents.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            ::unlink(target.c_str());
            return fail(io_error("write", target, saved));
        }
        done += static_cast<std::size_t>(n);
    }
    restore_mode(fd, mode);
    ::close(fd);
    return {};
}

Result<std::string> read_whole_file(const std::string& path, mode_t* mode) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(io_error("read", path, errno));
    struct stat status {};
    ::fstat(fd, &status);
    if (mode) *mode = static_cast<mode_t>(status.st_mode & 07777);
    std::string data;
    data.resize(static_cast<std::size_t>(status.st_size));
    std::size_t done = 0;
    for (;;) {
        if (done == data.size()) data.resize(data.size() + 65536);
        const auto n = ::read(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            return fail(io_error("read", path, saved));
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    data.resize(done);
    return data;
}

Result<std::string> sha256_of_file(const std::string& path) { return file_digest_hex(path, HashAlgorithm::Sha256); }

void remove_empty_parents(const std::string& prefix, std::string relative) {
    std::string path;
    for (;;) {
        const auto slash = relative.rfind('/');
        if (slash == std::string::npos) return;
        relative.resize(slash);
        path.assign(prefix).append(1, '/').append(relative);
        if (::rmdir(path.c_str()) != 0) return;
    }
}

}  // namespace envctl::link::detail
