#pragma once
// What a prefix says about itself (CEP 32), in the files conda and micromamba read:
//   conda-meta/<name>-<version>-<build>.json   one per installed package
//   conda-meta/history                         the log of transactions; marks an environment
//   conda-meta/state                           {"env_vars": {...}} exported on activation
// specs/conda-meta.md describes exactly what envctl writes.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::link {

// One path an installed package owns, as paths_data records it.
struct InstalledPath {
    std::string path;                    // relative to the prefix, forward slashes
    std::string path_type = "hardlink";  // hardlink, softlink, directory, pyc_file, unix_python_entry_point
    std::string sha256;                  // of the file in the package ("" for generated files)
    std::string sha256_in_prefix;        // of the file as written into the prefix
    std::optional<std::uint64_t> size;   // size_in_bytes of the file in the prefix
    std::string prefix_placeholder;      // "" when there was none
    std::string file_mode;               // "text" / "binary" with a placeholder, else ""
    bool no_link = false;

    bool operator==(const InstalledPath&) const = default;
};

// conda's link types (CEP 32 `link.type`).
enum class LinkType { Hardlink = 1, Softlink = 2, Copy = 3, Directory = 4 };

struct PrefixRecord {
    conda::PackageRecord record;
    std::vector<InstalledPath> paths;  // `files` is their paths, in this order
    std::string requested_spec;        // the spec that asked for it; "" for dependencies
    std::filesystem::path extracted_package_dir;
    std::filesystem::path package_tarball_full_path;
    LinkType link_type = LinkType::Hardlink;

    // "zlib-1.2.11-h7b6447c_3.json": the record's file name in conda-meta/.
    std::string file_name() const;
};

// conda-meta/<file>.json as JSON: the repodata record (conda::to_json), then url, channel, fn,
// files, paths_data {paths_version: 1, paths}, link {source, type}, requested_spec,
// requested_specs, extracted_package_dir and package_tarball_full_path.
nlohmann::json prefix_record_json(const PrefixRecord& record);
// Reads one conda-meta record; `file` names it in errors (ErrorKind::Input). Records written by
// conda or micromamba are accepted: paths_data may be missing (then `files` are hardlinks
// without hashes).
Result<PrefixRecord> parse_prefix_record(std::string_view text, std::string_view file);
// Every conda-meta/*.json of `prefix`, sorted by name; an empty list when conda-meta is absent.
Result<std::vector<PrefixRecord>> read_prefix_records(const std::filesystem::path& prefix);

// True when <prefix>/conda-meta/history exists (CEP 32's definition of an environment).
bool is_environment(const std::filesystem::path& prefix);

// One block of conda-meta/history.
struct HistoryEntry {
    std::string timestamp;  // "YYYY-MM-DD HH:MM:SS", local time
    std::string command;    // the command line
    std::string tool_version;
    std::vector<std::string> linked;    // "channel/subdir::name-version-build"
    std::vector<std::string> unlinked;
    std::vector<std::string> update_specs;
    std::vector<std::string> remove_specs;
};
// "==> 2024-05-01 10:00:00 <==\n# cmd: ...\n# envctl version: ...\n-...\n+...\n# update specs: ['a']\n"
std::string history_block(const HistoryEntry& entry);
// "https://conda.anaconda.org/conda-forge/linux-64::zlib-1.3-h_0" for a record.
std::string history_dist(const conda::PackageRecord& record);
// The current local time as history timestamps write it.
std::string history_timestamp_now();
// The specs of every "# update specs:" line minus later "# remove specs:" ones, by package
// name, last one wins: what the user asked for over the environment's life.
Result<std::vector<std::string>> requested_specs_from_history(const std::filesystem::path& prefix);

// conda-meta/state: {"env_vars": {name: value}} in the given order.
std::string state_json(const std::vector<std::pair<std::string, std::string>>& env_vars);

}  // namespace envctl::link
