#pragma once
// Filesystem helpers with Result errors. Writers never leave a half-written file under the
// final name: they write a temporary sibling, fsync it and rename it into place.
#include <filesystem>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl {

Result<std::string> read_file(const std::filesystem::path& file);
Status write_file_atomic(const std::filesystem::path& file, std::string_view contents);
// A unique, not yet existing sibling path for `target`, used for write-then-rename.
std::filesystem::path temporary_sibling(const std::filesystem::path& target);
Status ensure_directory(const std::filesystem::path& directory);

// A directory removed (recursively) when the object dies, unless release()d.
class TemporaryDirectory {
public:
    static Result<TemporaryDirectory> create(const std::filesystem::path& parent, std::string_view prefix);
    TemporaryDirectory(TemporaryDirectory&& other) noexcept;
    TemporaryDirectory& operator=(TemporaryDirectory&& other) noexcept;
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    ~TemporaryDirectory();

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path release();

private:
    explicit TemporaryDirectory(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

}  // namespace envctl
