// Arbitrary text as CEP 23 text spec files (@EXPLICIT or spec lists): no crashes; errors name
// the file and a line; accepted packages have a package file name and well-formed hashes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/spec/text_spec.hpp"

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
    const auto file = spec::parse_text_spec(text, "fuzz.txt");
    if (!file) {
        check(file.error().location.has_value() && file.error().location->line > 0, "an error without a line");
        return 0;
    }
    check(file->is_explicit == spec::is_explicit_text(text), "is_explicit disagrees");
    for (const auto& package : file->packages) {
        check(!package.filename.empty() && !package.url.empty(), "a package without a file name");
        check(package.md5.empty() || package.md5.size() == 32, "a bad md5");
        check(package.sha256.empty() || package.sha256.size() == 64, "a bad sha256");
    }
    return 0;
}
