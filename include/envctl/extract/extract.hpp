#pragma once
// Safe extraction of conda package archives (.tar.bz2 and .conda, CEP 35) and reading their
// metadata. Every function is thread-safe: calls share no mutable state, so several packages
// can be extracted in parallel threads.
//
// Safety: an archive is hostile until proven otherwise. Entries with absolute paths, ".."
// components, names that are not UTF-8, device files, FIFOs and sockets are refused; symlinks
// must resolve inside the package; hardlinks must point at a file already extracted; files
// are created with openat(O_NOFOLLOW | O_EXCL) under directory descriptors opened with
// O_NOFOLLOW, so nothing is ever written through a symlink; setuid/setgid/sticky bits are
// dropped and modes normalised to 0644/0755; total size and entry count are bounded.
// Refusals are ErrorKind::Integrity errors naming the archive and the entry.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/extract/package_info.hpp"
#include "envctl/util/result.hpp"

namespace envctl::extract {

enum class ArchiveFormat { TarBz2, Conda };
std::string_view archive_extension(ArchiveFormat format);  // ".tar.bz2", ".conda"
// From the file name; fails (Input) for anything but .tar.bz2 and .conda.
Result<ArchiveFormat> archive_format_of(const std::filesystem::path& archive);
// "zlib-1.2.11-h7b6447c_3" for ".../zlib-1.2.11-h7b6447c_3.conda".
std::string package_stem(const std::filesystem::path& archive);

// Bounds that stop decompression bombs. Crossing one is an Integrity error.
struct ExtractLimits {
    std::uint64_t max_total_bytes = std::uint64_t{20} << 30;  // uncompressed, all entries together
    std::uint64_t max_entries = 1'000'000;
    std::uint64_t max_metadata_file_bytes = std::uint64_t{256} << 20;  // each info/ file read into memory
};

enum class ExistingDestination {
    Fail,     // an existing destination is an Io error (also when another thread wins the race)
    Replace,  // the new tree is swapped in atomically, the old one removed afterwards
};

struct ExtractStats {
    std::uint64_t entries = 0;  // archive entries processed (both tarballs of a .conda)
    std::uint64_t files = 0;
    std::uint64_t directories = 0;
    std::uint64_t symlinks = 0;
    std::uint64_t hardlinks = 0;
    std::uint64_t bytes = 0;  // uncompressed bytes of regular files
};

struct ExtractedPackage {
    std::filesystem::path directory;  // the destination, complete
    ArchiveFormat format = ArchiveFormat::Conda;
    // Parsed info/. Its contents are reconciled with what the archive really held: a
    // paths.json "softlink" stored as a regular file (old zlib builds record their
    // lib/libz.so* links with empty targets) becomes a Hardlink entry, with a warning;
    // legacy packages get their symlink and directory types from the archive.
    PackageInfo info;
    ExtractStats stats;
    std::vector<std::string> warnings;  // extraction oddities, e.g. empty symlink targets
};

// Extracts `archive` into `destination` (which must not exist unless `existing` says
// Replace). The tree is built in a temporary sibling directory and renamed into place only
// when complete and verified; on any error the temporary directory is removed and the
// destination is untouched. info/index.json must be present.
Result<ExtractedPackage> extract_package(const std::filesystem::path& archive,
                                         const std::filesystem::path& destination,
                                         const ExtractLimits& limits = {},
                                         ExistingDestination existing = ExistingDestination::Fail);

// The same for an archive held in memory; `label` names it in messages (e.g. its file name).
Result<ExtractedPackage> extract_package_from_memory(std::span<const std::byte> archive, ArchiveFormat format,
                                                     std::string_view label,
                                                     const std::filesystem::path& destination,
                                                     const ExtractLimits& limits = {},
                                                     ExistingDestination existing = ExistingDestination::Fail);

// Reads the info/ files of InfoFiles without writing anything. For .conda only the
// info-*.tar.zst member is decompressed; a .tar.bz2 must be decompressed to its end.
Result<InfoFiles> read_archive_info_files(const std::filesystem::path& archive, const ExtractLimits& limits = {});
Result<InfoFiles> read_archive_info_files_from_memory(std::span<const std::byte> archive, ArchiveFormat format,
                                                      std::string_view label, const ExtractLimits& limits = {});
// read_archive_info_files + parse_package_info. Legacy packages' path types stay Hardlink.
Result<PackageInfo> inspect_package(const std::filesystem::path& archive, const ExtractLimits& limits = {});

// For a package already extracted (a package cache hit): reads info/ (refusing metadata
// files that are symlinks), parses it and reconciles path types with the files on disk
// like extract_package does.
Result<PackageInfo> load_extracted_package(const std::filesystem::path& directory);

}  // namespace envctl::extract
