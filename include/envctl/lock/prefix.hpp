#pragma once
// What an installed prefix holds, read from disk the way conda does (CEP 32): the records in
// conda-meta/*.json with their paths_data, the user's requests from conda-meta/history, and
// the Python distributions that pip (not conda) installed into site-packages.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::lock {

// One installed file of a package (paths_data.paths, or `files` when paths_data is absent).
struct InstalledPath {
    std::string path;              // relative to the prefix, forward slashes
    std::string path_type;         // "hardlink" (default), "softlink", "directory", "pyc_file", ...
    std::string sha256;            // of the file in the package; empty when unknown
    std::string sha256_in_prefix;  // of the file as installed (after prefix replacement); empty when unknown
    std::optional<std::uint64_t> size_in_bytes;

    // The digest the installed file must have: sha256_in_prefix, else sha256 (empty: unknown).
    const std::string& expected_sha256() const { return sha256_in_prefix.empty() ? sha256 : sha256_in_prefix; }
};

struct InstalledPackage {
    conda::PackageRecord record;
    std::filesystem::path meta_file;  // conda-meta/<name>-<version>-<build>.json
    std::vector<InstalledPath> paths;
    std::vector<std::string> requested_specs;  // requested_specs, or [requested_spec]
};

// A Python distribution in site-packages that conda does not own (pip-installed).
struct PipDistribution {
    std::string name;     // as in METADATA
    std::string version;  // as in METADATA
    std::string installer;  // INSTALLER file content, trimmed ("pip", "uv", ...); empty when absent
    bool requested = false;  // a REQUESTED file: the user asked for it (not a dependency)
    std::filesystem::path dist_info;  // relative to the prefix
    std::vector<std::string> files;   // RECORD paths, relative to the prefix, forward slashes
};

struct Prefix {
    std::filesystem::path path;
    std::vector<InstalledPackage> packages;  // sorted by name
    std::vector<PipDistribution> pip;        // sorted by normalized name

    const InstalledPackage* find(std::string_view name) const;
    // The platform the prefix was built for: the first non-noarch subdir among the records,
    // else `fallback`.
    std::string platform(std::string_view fallback) const;
};

// Reads conda-meta/*.json (fails with ErrorKind::Input naming the file for an unreadable
// record; ErrorKind::Input when `prefix` has no conda-meta folder) and the pip distributions.
Result<Prefix> read_prefix(const std::filesystem::path& prefix);

// The specs the user asked for, from conda-meta/history: every "# update specs: [...]" (and
// "# install specs:", "# create specs:") adds specs, "# remove specs: [...]" removes the names,
// later specs for a name replace earlier ones. File order of first request. Empty when the
// history has none.
std::vector<std::string> requested_specs_from_history(std::string_view history_text);

}  // namespace envctl::lock
