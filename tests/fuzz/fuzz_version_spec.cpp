// Arbitrary text as version specs: no crashes; a parsed spec prints a canonical text that
// parses to an equal spec with the same text and the same verdict on sample versions.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "envctl/conda/version_spec.hpp"

using namespace envctl::conda;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

const std::vector<Version>& samples() {
    static const auto versions = [] {
        std::vector<Version> out;
        for (const char* text : {"0", "1", "1.0", "1.2", "1.2.3", "1.2a1", "1.2.post1", "2!1.0", "1.0+local", "3.11.4", "1.1dev"})
            out.push_back(*Version::parse(text));
        return out;
    }();
    return versions;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto spec = VersionSpec::parse(text);
    if (!spec) {
        check(!spec.error().message.empty(), "an error without a message");
        return 0;
    }
    const auto again = VersionSpec::parse(spec->str());
    check(again.has_value(), "str() does not parse again");
    check(*again == *spec && again->str() == spec->str(), "str() is not stable");
    for (const auto& version : samples()) check(spec->matches(version) == again->matches(version), "str() changes the meaning");
    return 0;
}
