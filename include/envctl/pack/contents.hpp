#pragma once
// What a pack holds: the files of an environment, grouped by the package that owns them, each
// with the prefix placeholder its bytes carry. Built either from an installed prefix or from
// extracted packages in the package cache (a lockfile's packages), without installing anything.
//
// A file's `placeholder` is the text that stands for the environment's location inside its
// bytes: for packages from the cache it is the package's own placeholder (paths.json); for a
// prefix it is the prefix path itself, found by scanning the files. Writers replace it with the
// location the environment will have (OCI) or record it for the unpack step (tar).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/extract/package_info.hpp"
#include "envctl/fetch/fetch.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pack {

struct PackFile {
    enum class Type { Regular, Symlink, Directory };
    std::string path;  // relative to the prefix, '/'-separated
    Type type = Type::Regular;
    std::filesystem::path source;          // Regular: where the bytes are, unless `generated` is set
    std::optional<std::string> generated;  // Regular: bytes made by envctl (entry points, conda-meta)
    std::string link_target;               // Symlink
    bool executable = false;
    std::string placeholder;               // "" when the bytes hold no prefix
    extract::FileMode mode = extract::FileMode::Text;
    std::string sha256;                    // expected SHA-256 of the source bytes; "" unchecked
};

struct PackPackage {
    conda::PackageRecord record;
    std::vector<PackFile> files;  // payload and its conda-meta record, sorted by path
    std::uint64_t payload_size = 0;  // bytes of its regular files
};

struct EnvironmentContents {
    std::string platform;                // conda subdir, e.g. "linux-64"; "" when unknown
    std::vector<PackPackage> packages;   // dependency order
    std::vector<PackFile> other_files;   // conda-meta/history and state, files no package owns
    std::vector<std::pair<std::string, std::string>> env_vars;  // conda-meta/state env_vars
    std::string source_prefix;           // the prefix packed; "" for packages from the cache
};

// Every file under `prefix` (an environment: conda-meta/history exists), owned files grouped by
// their conda-meta record. Files that contain the prefix path get it as placeholder: the mode
// comes from paths_data when the record gives one, else binary when the file holds a NUL byte.
// Byte-compiled files (*.pyc) are never rewritten. The pack writers' own metadata
// (.envctl-pack/, bin/envctl-unpack) is skipped.
Result<EnvironmentContents> contents_from_prefix(const std::filesystem::path& prefix);

// The files of extracted cache entries, as the installer would link them: noarch: python paths
// moved into site-packages and bin/, entry points generated, conda-meta records and a
// conda-meta/history written (fixed timestamp). Every source file is checked against the
// SHA-256 its paths.json gives when it is read.
Result<EnvironmentContents> contents_from_packages(const std::vector<fetch::FetchedPackage>& packages,
                                                   std::string_view platform);

// "zlib-1.3-h0_0.json" style conda-meta path of a record: "conda-meta/<dist>.json".
std::string conda_meta_path(const conda::PackageRecord& record);

// The history timestamp for `epoch` seconds, in UTC: "1970-01-01 00:00:00".
std::string history_time(std::int64_t epoch);

}  // namespace envctl::pack
