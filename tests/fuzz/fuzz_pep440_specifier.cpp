// Arbitrary text as a specifier set and a candidate version: accepted sets must print in a
// canonical form that parses back to the same set and admits the same versions.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "envctl/pypi/specifier.hpp"

using namespace envctl::pypi;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto split = text.find('\n');
    const auto set = SpecifierSet::parse(text.substr(0, split));
    if (!set) return 0;
    const auto printed = set->to_string();
    const auto again = SpecifierSet::parse(printed);
    check(again.has_value(), "the canonical form does not parse");
    check(again->to_string() == printed, "the canonical form is not stable");
    check(again->mentions_prerelease() == set->mentions_prerelease(), "pre-release mention changed when printed");

    std::vector<Version> candidates;
    if (split != std::string_view::npos) {
        for (auto rest = text.substr(split + 1); !rest.empty();) {
            const auto end = rest.find('\n');
            if (auto version = Version::parse(rest.substr(0, end))) candidates.push_back(std::move(*version));
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
        }
    }
    for (const auto& candidate : candidates) {
        for (auto prereleases : {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
            const bool admitted = set->contains(candidate, prereleases);
            check(admitted == again->contains(candidate, prereleases), "the printed set admits other versions");
            if (admitted) check(set->contains(candidate, true), "admitted without pre-releases but not with them");
        }
    }
    const auto kept = set->filter_indices(candidates);
    for (auto index : kept) check(set->contains(candidates[index], true), "filter() kept a version outside the set");
    return 0;
}
