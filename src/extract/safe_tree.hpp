#pragma once
// Writes validated archive entries below one root directory without ever following a
// symlink (internal to the extract module). Every directory on the way to an entry is
// opened with O_NOFOLLOW | O_DIRECTORY relative to its parent's descriptor, and every file
// is created with O_CREAT | O_EXCL | O_NOFOLLOW, so an entry can only land where its
// canonical path says, whatever earlier entries put on disk.
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "archive_walk.hpp"

namespace envctl::extract::detail {

// A file descriptor closed on destruction.
class FileDescriptor {
public:
    FileDescriptor() = default;
    explicit FileDescriptor(int fd) : fd_(fd) {}
    FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileDescriptor& operator=(FileDescriptor&& other) noexcept;
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor();

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    // Closes now and reports the error close(2) gives.
    int close();

private:
    int fd_ = -1;
};

// Opens `relative` below `root` without following any symlink on the way; for files the
// last component must not be a symlink either. Returns an invalid descriptor when absent.
Result<FileDescriptor> open_no_follow(int root, std::string_view relative, int flags);

class SafeTree final : public EntrySink {
public:
    static Result<SafeTree> open(const std::filesystem::path& root, std::string context);

    bool wants_data(const Entry&) const override { return true; }
    Status begin(const Entry& entry) override;
    Status write(const void* data, std::size_t size, std::uint64_t offset) override;
    Status finish(const Entry& entry) override;

    // Resolves every symlink against the finished tree, following chains of links inside
    // the package: fails if one leads outside it.
    Status audit_symlinks() const;
    // What each path is on disk now (implicit parent directories included).
    const std::unordered_map<std::string, EntryKind>& kinds() const { return kinds_; }
    std::vector<std::string>& warnings() { return warnings_; }
    // Closes every descriptor (before the tree is renamed).
    void close();

private:
    SafeTree(FileDescriptor root, std::string context) : root_(std::move(root)), context_(std::move(context)) {}

    Result<int> parent_directory(std::string_view path, bool create);
    Status make_room(int parent, std::string_view name, const Entry& entry);
    Status create_file(int parent, std::string_view name, const Entry& entry);
    Status create_directory(int parent, std::string_view name, const Entry& entry);
    Status create_symlink(int parent, std::string_view name, const Entry& entry);
    Status create_hardlink(int parent, std::string_view name, const Entry& entry);
    Error refuse(const Entry& entry, std::string_view reason) const;
    Error io_error(const Entry& entry, std::string_view what, int error_number) const;

    FileDescriptor root_;
    std::string context_;
    // Descriptors of the directories along the last parent path: (component, descriptor).
    std::vector<std::pair<std::string, FileDescriptor>> chain_;
    FileDescriptor file_;
    std::uint64_t file_end_ = 0;
    std::unordered_map<std::string, EntryKind> kinds_;
    std::vector<std::pair<std::string, std::string>> symlinks_;  // (path, target)
    std::vector<std::string> warnings_;
};

}  // namespace envctl::extract::detail
