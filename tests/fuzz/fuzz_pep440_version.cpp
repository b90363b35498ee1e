// Arbitrary text as a PEP 440 version: accepted versions must print in a normal form that parses
// back to an equal version with the same hash, and ordering must stay antisymmetric.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/pypi/version.hpp"

using envctl::pypi::Version;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

void check_round_trip(const Version& version) {
    const auto text = version.to_string();
    const auto again = Version::parse(text);
    check(again.has_value(), "the normal form does not parse");
    check(again->to_string() == text, "the normal form is not stable");
    check(Version::compare(version, *again) == 0, "the normal form compares unequal");
    check(version.hash() == again->hash(), "equal versions hash differently");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto split = text.find('\n');
    const auto first = Version::parse(text.substr(0, split));
    if (first) check_round_trip(*first);
    if (split == std::string_view::npos) return 0;
    const auto second = Version::parse(text.substr(split + 1));
    if (!first || !second) return 0;
    check_round_trip(*second);
    const int forward = Version::compare(*first, *second);
    check(forward == -Version::compare(*second, *first), "comparison is not antisymmetric");
    check((forward == 0) == (*first == *second), "== disagrees with compare()");
    if (forward == 0) check(first->hash() == second->hash(), "equal versions hash differently");
    check(Version::compare_public(*first, *second) == Version::compare(first->public_version(), second->public_version()),
          "compare_public() disagrees with public versions");
    return 0;
}
