// Arbitrary text as conda-lock v1 files: no crashes; errors name the file and a line; what is
// accepted writes out and reads back to the same text (the writer is a fixed point).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/lock/lockfile.hpp"

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
    (void)lock::detect_kind(text);
    const auto lockfile = lock::parse_lockfile(text, "fuzz-lock.yml");
    if (!lockfile) {
        check(lockfile.error().location.has_value() && lockfile.error().location->line > 0, "an error without a line");
        check(lockfile.error().location->file == "fuzz-lock.yml", "an error naming another file");
        return 0;
    }
    for (const auto& entry : lockfile->packages) {
        check(!entry.md5.empty() || !entry.sha256.empty(), "an entry without a hash");
        (void)lock::to_record(entry);
    }
    const auto written = lock::format_lockfile(*lockfile);
    const auto again = lock::parse_lockfile(written, "written");
    check(again.has_value(), "the writer's output does not read back");
    check(again->packages.size() == lockfile->packages.size(), "packages lost in a round trip");
    check(lock::format_lockfile(*again) == written, "the writer is not a fixed point");
    return 0;
}
