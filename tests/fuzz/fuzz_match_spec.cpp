// Arbitrary text as match specs: no crashes; a parsed spec prints a canonical text that parses
// to an equal spec with the same text, and errors never show credentials.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/conda/match_spec.hpp"
#include "envctl/util/url.hpp"

using namespace envctl::conda;

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
    const auto spec = MatchSpec::parse(text);
    if (!spec) {
        check(!spec.error().message.empty(), "an error without a message");
        return 0;
    }
    const auto printed = spec->str();
    const auto again = MatchSpec::parse(printed);
    if (!again) std::fprintf(stderr, "input '%.*s' printed as '%s': %s\n", static_cast<int>(size), text.data(), printed.c_str(), again.error().message.c_str());
    check(again.has_value(), "str() does not parse again");
    if (again->str() != printed) std::fprintf(stderr, "'%s' reprinted as '%s'\n", printed.c_str(), again->str().c_str());
    check(again->str() == printed, "str() is not stable");
    // str() drops credentials; apart from that the printed spec means the same.
    auto clean = [](std::string text, bool is_channel) {
        if (text.find("://") == std::string::npos) return text;
        for (auto stripped = envctl::strip_credentials(text); stripped != text; stripped = envctl::strip_credentials(text))
            text = std::move(stripped);
        while (is_channel && text.size() > 1 && text.back() == '/') text.pop_back();
        return text;
    };
    auto expected = *spec;
    expected.channel = clean(expected.channel, true);
    expected.url = clean(expected.url, false);  // URLs keep their trailing slashes
    auto reparsed = *again;
    reparsed.channel = clean(reparsed.channel, true);
    reparsed.url = clean(reparsed.url, false);
    check(reparsed == expected, "str() parses to another spec");
    (void)spec->exact_name();
    (void)spec->is_name_only();
    return 0;
}
