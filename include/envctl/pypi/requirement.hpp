#pragma once
// Dependency specifiers (living "Dependency specifiers" specification, PEP 508):
// `name[extras] specifiers ; marker` and `name[extras] @ URL ; marker`.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pypi/marker.hpp"
#include "envctl/pypi/specifier.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

struct Requirement {
    std::string name;                 // as written
    std::vector<std::string> extras;  // normalized, sorted, without duplicates
    SpecifierSet specifier;           // empty for URL requirements
    std::string url;                  // the direct reference after "@", empty when there is none
    std::optional<Marker> marker;

    // Also accepts the legacy parenthesized form "name (>=1.0)". Errors give the 1-based column
    // in Error::location and in the message.
    static Result<Requirement> parse(std::string_view text);

    std::string normalized_name() const;
    // No marker, or the marker holds in `environment`.
    bool applies_to(const MarkerEnvironment& environment) const;

    // "name[a,b]>=1.0,<2; python_version < \"3.12\"" or "name @ https://... ; marker".
    std::string to_string() const;

    friend bool operator==(const Requirement&, const Requirement&) = default;
};

}  // namespace envctl::pypi
