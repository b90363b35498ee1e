#pragma once
// The metadata of a conda package (CEP 34), parsed from the text of its info/ files.
// Pure parsing: reading the files from an archive or a directory lives in extract.hpp.
//
// `package` arguments are labels for messages ("zlib-1.2.11-h7b6447c_3"): errors carry the
// location "<package>/info/<file>" with the line where the file is line-oriented, and say
// which entry (paths[3]) or key was wrong for JSON files.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::extract {

// The placeholder conda-build writes into text files when has_prefix gives only a path.
inline constexpr std::string_view default_prefix_placeholder = "/opt/anaconda1anaconda2anaconda3";

enum class NoarchType { None, Generic, Python };
std::string_view noarch_name(NoarchType noarch);  // "", "generic", "python"

// info/index.json. Unknown keys are kept in `raw_json` (the whole document as read).
struct IndexJson {
    std::string name;
    std::string version;
    std::string build;
    std::uint64_t build_number = 0;
    std::vector<std::string> depends;
    std::vector<std::string> constrains;
    std::string subdir;  // may be empty in old packages
    NoarchType noarch = NoarchType::None;
    std::optional<std::uint64_t> timestamp;   // milliseconds (seconds in some old packages)
    std::vector<std::string> track_features;  // split on spaces and commas
    std::vector<std::string> features;
    std::string license;
    std::string python_site_packages_path;  // CEP 20, "" when absent
    std::string raw_json;
};

enum class PathType { Hardlink, Softlink, Directory };
enum class FileMode { Text, Binary };
std::string_view path_type_name(PathType type);  // "hardlink", "softlink", "directory"
std::string_view file_mode_name(FileMode mode);  // "text", "binary"

// One path of the package payload (never under info/), as paths.json describes it.
struct PathEntry {
    std::string path;  // canonical form, see package_path.hpp
    PathType type = PathType::Hardlink;
    std::string sha256;                    // lowercase hex; "" when unknown (legacy packages)
    std::optional<std::uint64_t> size;     // size_in_bytes; unknown in legacy packages
    std::string prefix_placeholder;        // "" when the file needs no prefix replacement
    FileMode file_mode = FileMode::Text;   // meaningful only with a placeholder
    bool no_link = false;                  // must be copied, never hard-linked

    bool operator==(const PathEntry&) const = default;
};

enum class ContentsSource { PathsJson, LegacyFiles };

// What the package installs: from info/paths.json when present, otherwise from the legacy
// info/files + info/has_prefix + info/no_link.
struct PackageContents {
    ContentsSource source = ContentsSource::PathsJson;
    std::vector<PathEntry> paths;  // in the order of the file
};

struct EntryPoint {
    std::string command;   // file name created in bin/
    std::string module;    // dotted import path
    std::string function;  // attribute path inside the module, e.g. "main" or "cli.main"
};

// info/link.json.
struct LinkJson {
    NoarchType noarch = NoarchType::None;
    std::vector<EntryPoint> entry_points;  // noarch python console scripts
};

enum class LinkAction { PreLink, PostLink, PreUnlink, PostUnlink };
std::string_view link_action_name(LinkAction action);  // "pre-link", ...

// A bin/.<name>-<action>.sh script shipped by the package.
struct LinkScript {
    LinkAction action;
    std::string path;
};

// The raw text of the info/ files envctl reads; absent files stay empty optionals.
struct InfoFiles {
    std::optional<std::string> index_json;
    std::optional<std::string> paths_json;
    std::optional<std::string> files;
    std::optional<std::string> has_prefix;
    std::optional<std::string> no_link;
    std::optional<std::string> link_json;
};
// The info/ paths that InfoFiles holds, e.g. "info/index.json".
const std::vector<std::string_view>& info_file_paths();
// The member of `files` for `path` (one of info_file_paths()), nullptr for other paths.
std::optional<std::string>* info_file_slot(InfoFiles& files, std::string_view path);

// Everything the installer needs to know about a package.
struct PackageInfo {
    IndexJson index;
    PackageContents contents;
    std::optional<LinkJson> link;
    std::vector<LinkScript> link_scripts;
    std::vector<std::string> warnings;  // tolerated oddities, one sentence each
};

Result<IndexJson> parse_index_json(std::string_view text, std::string_view package);
Result<PackageContents> parse_paths_json(std::string_view text, std::string_view package);
Result<LinkJson> parse_link_json(std::string_view text, std::string_view package);
// "name = module:function" (spaces optional; a trailing "[extras]" is ignored).
Result<EntryPoint> parse_entry_point(std::string_view text);

// Legacy files: one path per line (info/files, info/no_link).
Result<std::vector<std::string>> parse_path_list(std::string_view text, std::string_view package,
                                                 std::string_view file);
// Legacy info/has_prefix: "placeholder mode path" or just "path" (default placeholder, text
// mode); fields may be quoted with " or ' to hold spaces.
struct HasPrefixEntry {
    std::string placeholder;
    FileMode mode = FileMode::Text;
    std::string path;
};
Result<std::vector<HasPrefixEntry>> parse_has_prefix(std::string_view text, std::string_view package);
// Paths from info/files, annotated by has_prefix and no_link (which may be absent). Path
// types are unknown to these files: every entry is a Hardlink until the caller looks at disk.
Result<PackageContents> contents_from_legacy(std::string_view files, const std::optional<std::string>& has_prefix,
                                             const std::optional<std::string>& no_link, std::string_view package);

// Link scripts for Unix shells among the package's paths.
std::vector<LinkScript> find_link_scripts(const PackageContents& contents, std::string_view package_name);

// Parses all of it: index.json is required; paths.json wins over the legacy files.
Result<PackageInfo> parse_package_info(const InfoFiles& files, std::string_view package);

// Where a noarch: python package path goes in a prefix: "site-packages/x" under
// `site_packages` (e.g. "lib/python3.12/site-packages"), "python-scripts/x" to "bin/x";
// other paths are unchanged.
std::string noarch_python_path(std::string_view path, std::string_view site_packages);

}  // namespace envctl::extract
