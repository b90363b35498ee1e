#pragma once
// The pip: section of an environment file, read in pip's requirements-file grammar: every line a
// requirement or options, -r/-c files followed (relative to the file naming them), index and
// find-links options collected. Lines that need a build (editable installs, version-control URLs,
// project directories) are errors naming the line; a source distribution URL is kept so that the
// resolver can use a wheel of the same version from the index instead (or explain that there is
// none). docs/python-packaging.md describes the accepted lines.
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pypi/requirement.hpp"
#include "envctl/pypi/requirements_file.hpp"
#include "envctl/pypi/wheel.hpp"
#include "envctl/spec/environment.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pip {

struct PipRequirement {
    // Name, extras, specifier and marker. For a bare wheel path or URL the name and version come
    // from the wheel's file name (specifier "==version").
    pypi::Requirement requirement;
    std::vector<pypi::RequirementHash> hashes;  // --hash options and #sha256= fragments
    Location location;                          // where the line is (file:line)
    std::string text;                           // the logical line as written

    // A direct reference to a wheel: an absolute URL (file:// for local paths), credentials
    // kept only in memory; `wheel` is its parsed file name.
    std::string wheel_url;
    std::optional<pypi::WheelFilename> wheel;
    // A direct reference to a source distribution of this version: a wheel of the same
    // version from the indexes is used instead, when there is one.
    std::optional<pypi::Version> sdist_version;
    std::string sdist_url;

    std::string normalized_name() const { return requirement.normalized_name(); }
    // "environment.yml:12: 'requests[socks]>=2'": for messages.
    std::string where() const;
};

struct PipInputs {
    std::vector<PipRequirement> requirements;
    std::vector<PipRequirement> constraints;  // from -c files: limit versions, never add packages
    std::string index_url;                    // -i/--index-url; empty: the configured pypi_index_url
    std::vector<std::string> extra_index_urls;
    bool no_index = false;
    std::vector<std::string> find_links;      // absolute URLs; local directories as file:// URLs
    bool pre = false;                         // --pre
    bool require_hashes = false;
    // --no-binary: these projects (normalized; ":all:" for all) cannot be installed by envctl,
    // which installs wheels only; --only-binary is what envctl always does.
    std::set<std::string> no_binary;
    std::vector<std::string> warnings;

    bool empty() const { return requirements.empty(); }
    bool no_binary_for(std::string_view normalized_name) const;
};

// Values of ${VAR} references in lines (nullopt: leave the reference as written).
using VariableLookup = std::function<std::optional<std::string>(std::string_view)>;

// Reads the lines in order. Relative -r/-c/--find-links paths and wheel paths are relative to
// `base_directory` (the environment file's folder), or to the including file's folder.
// Errors (ErrorKind::Input) carry the file and line.
Result<PipInputs> read_pip_inputs(std::span<const spec::PipLine> lines, const std::filesystem::path& base_directory,
                                  const VariableLookup& lookup = {});

// The same for a requirements file on disk (-r semantics).
Result<PipInputs> read_requirements_file(const std::filesystem::path& file, const VariableLookup& lookup = {});

// "file:///abs/path" for a local path (absolute or relative to `base_directory`), percent-encoding
// what URLs cannot hold.
std::string file_url(const std::filesystem::path& path, const std::filesystem::path& base_directory);
// The local path of a file:// URL; nullopt for other URLs.
std::optional<std::filesystem::path> local_path(std::string_view url);

}  // namespace envctl::pip
