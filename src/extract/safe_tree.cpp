#include "safe_tree.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "envctl/extract/package_path.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::extract::detail {

namespace {

constexpr int directory_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr mode_t directory_mode = 0755;
// Links resolved in one chain before giving up: the kernel stops at 40 too (ELOOP).
constexpr int max_symlink_expansions = 40;

std::vector<std::string> path_components(std::string_view path) {
    std::vector<std::string> parts;
    for (const auto part : split(path, '/'))
        if (!part.empty() && part != ".") parts.emplace_back(part);
    return parts;
}

std::pair<std::string_view, std::string_view> split_parent(std::string_view path) {
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return {std::string_view{}, path};
    return {path.substr(0, slash), path.substr(slash + 1)};
}

std::string join_components(const std::vector<std::string>& parts) { return join(parts, "/"); }

}  // namespace

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

FileDescriptor::~FileDescriptor() { close(); }

int FileDescriptor::close() {
    if (fd_ < 0) return 0;
    const int status = ::close(std::exchange(fd_, -1));
    return status == 0 ? 0 : errno;
}

Result<FileDescriptor> open_no_follow(int root, std::string_view relative, int flags) {
    const auto parts = path_components(relative);
    if (parts.empty()) {
        const int fd = ::openat(root, ".", flags | O_CLOEXEC);
        if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open the package root: {}", std::strerror(errno)));
        return FileDescriptor(fd);
    }
    FileDescriptor directory;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const bool last = i + 1 == parts.size();
        const int parent = directory ? directory.get() : root;
        const int fd = ::openat(parent, parts[i].c_str(), last ? (flags | O_NOFOLLOW | O_CLOEXEC) : directory_flags);
        if (fd < 0) {
            if (errno == ENOENT) return FileDescriptor();
            if (errno == ELOOP || (errno == ENOTDIR && !last))
                return fail(ErrorKind::Integrity, fmt::format("'{}' is a symlink or lies behind one; envctl does not follow it",
                                                              printable_path(relative)));
            return fail(ErrorKind::Io, fmt::format("cannot open '{}': {}", printable_path(relative), std::strerror(errno)));
        }
        directory = FileDescriptor(fd);
    }
    return directory;
}

Result<SafeTree> SafeTree::open(const std::filesystem::path& root, std::string context) {
    const int fd = ::open(root.c_str(), directory_flags);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open {}: {}", root.string(), std::strerror(errno)));
    return SafeTree(FileDescriptor(fd), std::move(context));
}

Error SafeTree::refuse(const Entry& entry, std::string_view reason) const {
    return Error{ErrorKind::Integrity,
                 fmt::format("{}: refusing entry '{}': {}", context_, printable_path(entry.raw_path), reason), {}, {}};
}

Error SafeTree::io_error(const Entry& entry, std::string_view what, int error_number) const {
    return Error{ErrorKind::Io, fmt::format("{}: cannot {} '{}': {}", context_, what, printable_path(entry.path),
                                            std::strerror(error_number)), {}, {}};
}

Result<int> SafeTree::parent_directory(std::string_view path, bool create) {
    const auto parts = path_components(split_parent(path).first);
    std::size_t common = 0;
    while (common < chain_.size() && common < parts.size() && chain_[common].first == parts[common]) ++common;
    chain_.erase(chain_.begin() + static_cast<std::ptrdiff_t>(common), chain_.end());
    std::string prefix;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (!prefix.empty()) prefix += '/';
        prefix += parts[i];
        if (i < common) continue;
        const int parent = i == 0 ? root_.get() : chain_[i - 1].second.get();
        int fd = ::openat(parent, parts[i].c_str(), directory_flags);
        if (fd < 0 && errno == ENOENT && create) {
            if (::mkdirat(parent, parts[i].c_str(), directory_mode) != 0 && errno != EEXIST)
                return fail(ErrorKind::Io, fmt::format("{}: cannot create directory '{}': {}", context_,
                                                       printable_path(prefix), std::strerror(errno)));
            kinds_[prefix] = EntryKind::Directory;
            fd = ::openat(parent, parts[i].c_str(), directory_flags);
            if (fd >= 0) ::fchmod(fd, directory_mode);
        }
        if (fd < 0) {
            if (errno == ELOOP || errno == ENOTDIR)
                return fail(ErrorKind::Integrity,
                            fmt::format("{}: refusing entry '{}': '{}' is a symlink or a file, and nothing is written "
                                        "through it", context_, printable_path(path), printable_path(prefix)));
            return fail(ErrorKind::Io, fmt::format("{}: cannot open directory '{}': {}", context_, printable_path(prefix),
                                                   std::strerror(errno)));
        }
        chain_.emplace_back(parts[i], FileDescriptor(fd));
    }
    return parts.empty() ? root_.get() : chain_.back().second.get();
}

// Called when `name` already exists: a later entry replaces an earlier file or link of the
// same name (like tar does), but never a directory.
Status SafeTree::make_room(int parent, std::string_view name, const Entry& entry) {
    struct stat status {};
    const std::string name_string(name);
    if (::fstatat(parent, name_string.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0)
        return fail(io_error(entry, "inspect", errno));
    if (S_ISDIR(status.st_mode)) return fail(refuse(entry, "a directory of that name was extracted before"));
    if (::unlinkat(parent, name_string.c_str(), 0) != 0) return fail(io_error(entry, "replace", errno));
    return {};
}

Status SafeTree::begin(const Entry& entry) {
    auto parent = parent_directory(entry.path, true);
    if (!parent) return fail(parent.error());
    const auto name = split_parent(entry.path).second;
    switch (entry.kind) {
        case EntryKind::File: return create_file(*parent, name, entry);
        case EntryKind::Directory: return create_directory(*parent, name, entry);
        case EntryKind::Symlink: return create_symlink(*parent, name, entry);
        case EntryKind::Hardlink: return create_hardlink(*parent, name, entry);
    }
    return {};
}

Status SafeTree::create_file(int parent, std::string_view name, const Entry& entry) {
    const std::string name_string(name);
    constexpr int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(parent, name_string.c_str(), flags, 0600);
    if (fd < 0 && errno == EEXIST) {
        if (auto room = make_room(parent, name, entry); !room) return room;
        fd = ::openat(parent, name_string.c_str(), flags, 0600);
    }
    if (fd < 0) return fail(io_error(entry, "create", errno));
    file_ = FileDescriptor(fd);
    file_end_ = 0;
    kinds_[entry.path] = EntryKind::File;
    return {};
}

Status SafeTree::create_directory(int parent, std::string_view name, const Entry& entry) {
    const std::string name_string(name);
    if (::mkdirat(parent, name_string.c_str(), directory_mode) != 0) {
        if (errno != EEXIST) return fail(io_error(entry, "create directory", errno));
        struct stat status {};
        if (::fstatat(parent, name_string.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0)
            return fail(io_error(entry, "inspect", errno));
        if (!S_ISDIR(status.st_mode)) return fail(refuse(entry, "a file or symlink of that name was extracted before"));
    }
    // Not a symlink (checked or just created), so following is harmless here.
    if (::fchmodat(parent, name_string.c_str(), directory_mode, 0) != 0) return fail(io_error(entry, "chmod", errno));
    kinds_[entry.path] = EntryKind::Directory;
    return {};
}

Status SafeTree::create_symlink(int parent, std::string_view name, const Entry& entry) {
    if (entry.target.empty()) {
        // Seen in real packages (zlib 1.2.11 h7b6447c_3): keep an empty file, as the .tar.bz2
        // build of the same package has, rather than failing the whole package.
        warnings_.push_back(fmt::format("'{}' is a symlink with an empty target; extracted as an empty file",
                                        printable_path(entry.path)));
        if (auto created = create_file(parent, name, entry); !created) return created;
        Entry empty = entry;
        empty.size = 0;
        empty.executable = false;
        return finish(empty);
    }
    const std::string name_string(name);
    int status = ::symlinkat(entry.target.c_str(), parent, name_string.c_str());
    if (status != 0 && errno == EEXIST) {
        if (auto room = make_room(parent, name, entry); !room) return room;
        status = ::symlinkat(entry.target.c_str(), parent, name_string.c_str());
    }
    if (status != 0) return fail(io_error(entry, "create symlink", errno));
    if (entry.mtime) {
        const timespec times[2] = {*entry.mtime, *entry.mtime};
        ::utimensat(parent, name_string.c_str(), times, AT_SYMLINK_NOFOLLOW);  // cosmetic only
    }
    kinds_[entry.path] = EntryKind::Symlink;
    symlinks_.emplace_back(entry.path, entry.target);
    return {};
}

Status SafeTree::create_hardlink(int parent, std::string_view name, const Entry& entry) {
    const auto known = kinds_.find(entry.target);
    if (known == kinds_.end() || known->second != EntryKind::File)
        return fail(refuse(entry, fmt::format("hardlink target '{}' is not a regular file extracted before it",
                                              printable_path(entry.target))));
    const auto [target_dir, target_name] = split_parent(entry.target);
    auto directory = open_no_follow(root_.get(), target_dir, O_RDONLY | O_DIRECTORY);
    if (!directory) return fail(refuse(entry, directory.error().message));
    if (!*directory) return fail(refuse(entry, "its target disappeared"));
    const std::string target_string(target_name);
    const std::string name_string(name);
    int status = ::linkat(directory->get(), target_string.c_str(), parent, name_string.c_str(), 0);
    if (status != 0 && errno == EEXIST) {
        if (auto room = make_room(parent, name, entry); !room) return room;
        status = ::linkat(directory->get(), target_string.c_str(), parent, name_string.c_str(), 0);
    }
    if (status != 0) return fail(io_error(entry, "create hardlink", errno));
    kinds_[entry.path] = EntryKind::File;
    return {};
}

Status SafeTree::write(const void* data, std::size_t size, std::uint64_t offset) {
    const auto* bytes = static_cast<const char*>(data);
    std::size_t done = 0;
    while (done < size) {
        const auto n = ::pwrite(file_.get(), bytes + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(ErrorKind::Io, fmt::format("{}: write error: {}", context_, std::strerror(errno)));
        }
        done += static_cast<std::size_t>(n);
    }
    file_end_ = std::max(file_end_, offset + size);
    return {};
}

Status SafeTree::finish(const Entry& entry) {
    if (!file_) return {};
    if (file_end_ < entry.size && ::ftruncate(file_.get(), static_cast<off_t>(entry.size)) != 0)
        return fail(io_error(entry, "extend", errno));
    // Normalised permissions: no setuid/setgid/sticky, no group or world write.
    if (::fchmod(file_.get(), entry.executable ? 0755 : 0644) != 0) return fail(io_error(entry, "chmod", errno));
    if (entry.mtime) {
        // Kept so that shipped .pyc files stay valid for their sources.
        const timespec times[2] = {*entry.mtime, *entry.mtime};
        if (::futimens(file_.get(), times) != 0) return fail(io_error(entry, "set the time of", errno));
    }
    if (const int error_number = file_.close(); error_number != 0) return fail(io_error(entry, "close", error_number));
    return {};
}

Status SafeTree::audit_symlinks() const {
    for (const auto& [path, target] : symlinks_) {
        const auto kind = kinds_.find(path);
        if (kind == kinds_.end() || kind->second != EntryKind::Symlink) continue;  // replaced later
        const auto escape = [&, &link_path = path, &link_target = target](std::string_view how) {
            return fail(ErrorKind::Integrity, fmt::format("{}: refusing symlink '{}' -> '{}': {}", context_,
                                                          printable_path(link_path), printable_path(link_target), how));
        };
        auto resolved = path_components(path);
        resolved.pop_back();
        std::deque<std::string> pending;
        for (auto& part : path_components(target)) pending.push_back(std::move(part));
        bool on_disk = true;  // false once a component is missing: the rest is lexical
        int expansions = 0;
        while (!pending.empty()) {
            std::string part = std::move(pending.front());
            pending.pop_front();
            if (part == "..") {
                if (resolved.empty()) return escape("it resolves outside the package");
                resolved.pop_back();
                continue;
            }
            resolved.push_back(std::move(part));
            if (!on_disk) continue;
            const auto joined = join_components(resolved);
            struct stat status {};
            if (::fstatat(root_.get(), joined.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
                on_disk = false;
                continue;
            }
            if (!S_ISLNK(status.st_mode)) continue;
            if (++expansions > max_symlink_expansions) break;  // a loop: the kernel gives ELOOP
            char buffer[4096];
            const auto length = ::readlinkat(root_.get(), joined.c_str(), buffer, sizeof buffer);
            if (length <= 0 || static_cast<std::size_t>(length) >= sizeof buffer)
                return escape("a symlink on its way cannot be read");
            const std::string_view next(buffer, static_cast<std::size_t>(length));
            if (next.front() == '/') return escape("a symlink on its way is absolute");
            resolved.pop_back();
            auto parts = path_components(next);
            pending.insert(pending.begin(), parts.begin(), parts.end());
        }
    }
    return {};
}

void SafeTree::close() {
    file_.close();
    chain_.clear();
    root_.close();
}

}  // namespace envctl::extract::detail
