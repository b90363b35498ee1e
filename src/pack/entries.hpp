#pragma once
// What the tar and OCI writers share: the flat, sorted list of entries of an environment (or of
// a group of its packages) and how one entry is written.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pack/contents.hpp"
#include "envctl/pack/tar_writer.hpp"

namespace envctl::pack::detail {

struct Entry {
    std::string path;              // the path in the archive
    const PackFile* file = nullptr;  // nullptr: a directory implied by its contents
    std::string owner;             // for messages: the package's dist name, or "environment"
};

// The entries of `files` placed under `root` ("" or "opt/env"), with every ancestor directory
// (those of `root` included), sorted by path; a path given twice keeps its last file.
std::vector<Entry> sorted_entries(const std::vector<std::pair<const PackFile*, std::string>>& files, std::string_view root);

// Writes one entry. With `prefix`, files with a placeholder are rewritten for it. Regular files
// with an expected sha256 are checked against it (ErrorKind::Integrity).
Status write_entry(TarWriter& tar, const Entry& entry, const std::optional<std::string>& prefix);

}  // namespace envctl::pack::detail
