// Arbitrary text as METADATA, WHEEL, entry_points.txt and RECORD: no crashes, and RECORD rows
// written by format_record() read back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/pypi/metadata.hpp"

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
    if (auto metadata = CoreMetadata::parse(text)) {
        check(!metadata->name.empty(), "accepted metadata without a name");
        for (const auto& requirement : metadata->requires_dist)
            check(Requirement::parse(requirement.to_string()).has_value(), "a Requires-Dist does not print back");
    } else {
        check(metadata.error().location.has_value(), "a metadata error has no location");
    }
    (void)WheelInfo::parse(text);
    if (auto entries = parse_entry_points(text)) {
        for (const auto& entry : *entries) check(!entry.module.empty() && !entry.name.empty(), "empty entry point");
    }
    if (auto record = parse_record(text)) {
        const auto again = parse_record(format_record(*record));
        check(again.has_value(), "a formatted RECORD does not parse");
        check(*again == *record, "a formatted RECORD reads back differently");
    }
    if (auto bytes = urlsafe_b64_decode(text)) {
        check(urlsafe_b64_encode_nopad(*bytes) == text.substr(0, text.find_last_not_of('=') + 1),
              "base64 does not round-trip");
    }
    return 0;
}
