#pragma once
// pip's requirements-file format, parsed without touching files: splitting a text into logical
// lines, and parsing one logical line into what it asks for. Following includes, reading files
// and acting on options is the caller's job.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "envctl/pypi/marker.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/pypi/wheel.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

struct LogicalLine {
    std::size_t line = 0;  // 1-based number of its first physical line
    std::string text;      // continuations joined, comment removed, trimmed; never empty
    friend bool operator==(const LogicalLine&, const LogicalLine&) = default;
};

// As pip does: a line ending in "\" continues on the next one (a comment line never continues);
// "#" starts a comment at the start of a line or after whitespace; blank results are dropped.
std::vector<LogicalLine> split_requirements_lines(std::string_view text);

// Replaces ${NAME} (NAME of A-Z, 0-9 and _) with lookup(NAME), as pip does before parsing a line;
// unknown names are left as written.
std::string expand_environment_variables(std::string_view line,
                                         const std::function<std::optional<std::string>(std::string_view)>& lookup);

// --hash=sha256:<hex>; the algorithms pip accepts (sha256, sha384, sha512), lowercase hex.
struct RequirementHash {
    std::string algorithm;
    std::string hex;
    friend bool operator==(const RequirementHash&, const RequirementHash&) = default;
};

// "name[extras] specifiers ; marker" or "name @ URL ; marker", with --hash options.
struct RequirementEntry {
    Requirement requirement;
    std::vector<RequirementHash> hashes;
};
// A bare URL or path of a wheel file: "https://host/pkg-1.0-py3-none-any.whl", "./dist/x.whl".
struct WheelReference {
    std::string location;  // as written, without extras and marker
    bool is_url = false;   // otherwise a local path (relative to the requirements file)
    WheelFilename wheel;
    std::vector<std::string> extras;  // normalized
    std::optional<Marker> marker;
    std::vector<RequirementHash> hashes;
};
struct IncludeRequirements { std::string path; };  // -r / --requirement
struct IncludeConstraints { std::string path; };   // -c / --constraint
struct EditableRequirement { std::string target; };  // -e / --editable
struct IndexUrl { std::string url; };               // -i / --index-url
struct ExtraIndexUrl { std::string url; };          // --extra-index-url
struct FindLinks { std::string location; };         // -f / --find-links
struct NoIndex {};                                  // --no-index
struct AllowPrereleases {};                         // --pre
struct PreferBinary {};                             // --prefer-binary
struct RequireHashes {};                            // --require-hashes
// --no-binary / --only-binary: normalized names, or ":all:" / ":none:".
struct BinaryPolicy {
    bool only_binary = false;  // true for --only-binary, false for --no-binary
    std::vector<std::string> names;
};

using RequirementsItem =
    std::variant<RequirementEntry, WheelReference, IncludeRequirements, IncludeConstraints, EditableRequirement,
                 IndexUrl, ExtraIndexUrl, FindLinks, NoIndex, AllowPrereleases, PreferBinary, RequireHashes,
                 BinaryPolicy>;

// One logical line (from split_requirements_lines): a requirement with its options, or one or
// more options. Source distributions, local project directories, VCS URLs and options envctl
// does not support are errors that name what was found.
Result<std::vector<RequirementsItem>> parse_requirements_line(std::string_view line);

}  // namespace envctl::pypi
