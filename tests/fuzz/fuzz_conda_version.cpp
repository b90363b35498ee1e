// Arbitrary text as conda versions: no crashes, parse(str()) is the same version, and the
// ordering is a consistent preorder between the two halves of the input.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/conda/version.hpp"

using envctl::conda::Version;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

void check_one(const Version& version) {
    const auto again = Version::parse(version.str());
    check(again.has_value(), "str() does not parse again");
    check(*again == version && again->str() == version.str(), "str() parses to another version");
    check(again->hash() == version.hash(), "equal versions hash differently");
    check(version.starts_with(version), "a version does not start with itself");
    check(version.compatible_with(version), "a version is not compatible with itself");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto whole = Version::parse(text);
    if (whole) {
        check_one(*whole);
    } else {
        check(!whole.error().message.empty(), "an error without a message");
    }

    const auto split = text.find('\n');
    if (split == std::string_view::npos) return 0;
    const auto a = Version::parse(text.substr(0, split));
    const auto b = Version::parse(text.substr(split + 1));
    if (!a || !b) return 0;
    check_one(*a);
    check_one(*b);
    const auto ab = *a <=> *b;
    const auto ba = *b <=> *a;
    check((ab < 0) == (ba > 0) && (ab == 0) == (ba == 0), "comparison is not antisymmetric");
    check((ab == 0) == (*a == *b), "operator== disagrees with <=>");
    if (*a == *b) check(a->hash() == b->hash(), "equal versions hash differently");
    return 0;
}
