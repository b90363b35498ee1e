#pragma once
// Distribution file names: wheels (living "Binary distribution format" specification, PEP 427
// and 491) with their compatibility tags (PEP 425), and source distributions, recognised only so
// that callers can say that envctl installs wheels only.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pypi/version.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

// One compatibility tag, lowercase: "cp311-abi3-manylinux_2_17_x86_64".
struct Tag {
    std::string interpreter;
    std::string abi;
    std::string platform;

    std::string to_string() const;
    friend bool operator==(const Tag&, const Tag&) = default;
    friend auto operator<=>(const Tag&, const Tag&) = default;
};

// A tag triple with compressed sets ("py2.py3-none-any") expanded into every combination.
Result<std::vector<Tag>> parse_tags(std::string_view text);

// "-1abc-" in a wheel name: sorts by number, then by the suffix as a string.
struct BuildTag {
    std::uint64_t number = 0;
    std::string suffix;
    friend bool operator==(const BuildTag&, const BuildTag&) = default;
    friend auto operator<=>(const BuildTag&, const BuildTag&) = default;
};

struct WheelFilename {
    std::string name;  // the distribution name as escaped in the file name ("typing_extensions")
    Version version;
    std::optional<BuildTag> build;
    std::vector<std::string> python_tags;    // lowercase, in file order: {"py2", "py3"}
    std::vector<std::string> abi_tags;       // {"none"}
    std::vector<std::string> platform_tags;  // {"any"}

    // "{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl", a file name without directories.
    // The name may use letters, digits, "_" and "."; "-" in names and versions must have been
    // escaped to "_" as the specification requires.
    static Result<WheelFilename> parse(std::string_view filename);

    std::string normalized_name() const;
    // Every tag the wheel declares (the product of the three sets).
    std::vector<Tag> tags() const;
    // The file name again, with the version normalized.
    std::string to_string() const;

    friend bool operator==(const WheelFilename&, const WheelFilename&) = default;
};

enum class DistributionKind { Wheel, SourceDistribution, Unknown };

// By extension only: ".whl"; ".tar.gz", ".zip" and the legacy sdist archives (".tar.bz2",
// ".tar.xz", ".tgz", ".tar") are source distributions.
DistributionKind distribution_kind(std::string_view filename);

struct SourceDistributionFilename {
    std::string name;  // as written
    Version version;
    std::string extension;  // ".tar.gz"
};

// "{name}-{version}.tar.gz" and the legacy extensions. Legacy names may contain "-", so the
// version starts after the first "-" that is followed by a valid version.
Result<SourceDistributionFilename> parse_sdist_filename(std::string_view filename);

}  // namespace envctl::pypi
