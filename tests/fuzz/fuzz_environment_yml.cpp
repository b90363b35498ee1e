// Arbitrary text as environment.yml: no crashes; errors carry the file name; every accepted
// dependency prints a match spec that parses again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/spec/environment.hpp"

using namespace envctl;

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
    const auto spec = spec::parse_environment_yaml(text, "fuzz.yml");
    if (!spec) {
        check(spec.error().location.has_value() && spec.error().location->file == "fuzz.yml", "an error without the file");
        return 0;
    }
    for (const auto& dependency : spec->dependencies)
        check(conda::MatchSpec::parse(dependency.spec.str()).has_value(), "a dependency does not print back");
    for (const char* subdir : {"linux-64", "osx-arm64", "win-64"}) (void)spec->dependencies_for(subdir);
    for (const auto& warning : spec->warnings) check(!warning.to_string().empty(), "an empty warning");
    return 0;
}
