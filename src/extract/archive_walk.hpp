#pragma once
// Reading conda archives entry by entry with libarchive (internal to the extract module).
// The walker validates every entry (names, types, .conda member layout, limits) before a
// sink sees it, and keeps the text of the info/ files envctl parses.
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "envctl/extract/extract.hpp"
#include "envctl/extract/package_info.hpp"
#include "envctl/util/result.hpp"

namespace envctl::extract::detail {

struct ArchiveInput {
    ArchiveFormat format = ArchiveFormat::Conda;
    std::filesystem::path file;          // read from this file unless in_memory
    std::span<const std::byte> memory;   // or from these bytes
    bool in_memory = false;
    std::string label;                   // the archive's file name, for messages
};

enum class EntryKind { File, Directory, Symlink, Hardlink };

// A validated archive entry.
struct Entry {
    std::string path;      // canonical package path, never empty
    std::string raw_path;  // as stored, for messages
    EntryKind kind = EntryKind::File;
    std::string target;  // Symlink: the target as stored (checked); Hardlink: canonical path
    std::uint64_t size = 0;
    bool executable = false;
    std::optional<timespec> mtime;
};

class EntrySink {
public:
    virtual ~EntrySink() = default;
    // Whether the sink needs the bytes of this regular file (otherwise they are skipped).
    virtual bool wants_data(const Entry& entry) const = 0;
    virtual Status begin(const Entry& entry) = 0;
    // A block of the current file at `offset` (blocks arrive in order; gaps are holes).
    virtual Status write(const void* data, std::size_t size, std::uint64_t offset) = 0;
    virtual Status finish(const Entry& entry) = 0;
};

// A sink that keeps nothing: used to read only the info/ files.
class DiscardSink final : public EntrySink {
public:
    bool wants_data(const Entry&) const override { return false; }
    Status begin(const Entry&) override { return {}; }
    Status write(const void*, std::size_t, std::uint64_t) override { return {}; }
    Status finish(const Entry&) override { return {}; }
};

enum class Members { InfoOnly, All };

// Feeds every entry of the package to `sink`, and the text of the info/ files to `info`.
// With Members::InfoOnly a .conda's pkg-*.tar.zst member is not read at all.
Status walk_package(const ArchiveInput& input, const ExtractLimits& limits, Members members, EntrySink& sink,
                    InfoFiles& info, ExtractStats& stats);

}  // namespace envctl::extract::detail
