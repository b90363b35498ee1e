#pragma once
// Low-level writes into a prefix: directories created once per transaction, the trash that
// keeps every file a transaction removes or replaces, and file copies.
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "envctl/util/result.hpp"

namespace envctl::link::detail {

inline constexpr std::string_view journal_file = "conda-meta/.envctl-transaction.json";
inline constexpr std::string_view trash_directory = "conda-meta/.envctl-trash";

Error io_error(std::string_view what, const std::string& path, int error_number);

// Safe to use from several threads at once, as long as they write different paths.
class PrefixWriter {
public:
    explicit PrefixWriter(const std::filesystem::path& prefix);

    const std::string& prefix() const { return prefix_; }
    std::string full(std::string_view relative) const;

    // Creates the directory (and its parents) unless this writer made or checked it before.
    // An existing directory reached through a symlink must resolve inside the prefix; a file
    // in the way is moved to the trash.
    Status ensure_directory(const std::string& relative);
    Status ensure_parent(const std::string& relative);

    // Makes room at `relative`: an existing file or symlink goes to the trash (the first time
    // that path is replaced in this transaction; later it is simply removed), an empty
    // directory is removed. Returns false when nothing was there.
    Result<bool> make_room(const std::string& relative);
    // Unlinking: moves the file or symlink at `relative` into the trash; false when absent.
    // Directories are left alone (removed when empty at the end).
    Result<bool> move_to_trash(const std::string& relative);

private:
    Status ensure_trash_parent(const std::string& relative);
    bool known_directory(const std::string& relative);
    void remember_directory(const std::string& relative);

    std::string prefix_;
    std::string real_prefix_;
    std::mutex mutex_;  // guards the two sets
    std::unordered_set<std::string> directories_;
    std::unordered_set<std::string> trash_directories_;
};

// Copies `source` to a new file `target` (which must not exist) with `mode`: a reflink where
// the filesystem supports one, else copy_file_range.
Status copy_file(const std::string& source, const std::string& target, mode_t mode);
// Writes `contents` into a new file `target` with `mode`.
Status write_new_file(const std::string& target, std::string_view contents, mode_t mode);
// The file's contents; its permission bits into `mode` when given.
Result<std::string> read_whole_file(const std::string& path, mode_t* mode = nullptr);
Result<std::string> sha256_of_file(const std::string& path);

// Removes now-empty directories from the parent of `relative` upwards, never the prefix itself.
void remove_empty_parents(const std::string& prefix, std::string relative);

}  // namespace envctl::link::detail
