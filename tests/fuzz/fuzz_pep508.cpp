// Arbitrary text as a PEP 508 requirement: accepted requirements must print in a form that
// parses back to an equal requirement, and markers must evaluate on every target.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/pypi/requirement.hpp"

using namespace envctl::pypi;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

const std::vector<MarkerEnvironment>& environments() {
    static const std::vector<MarkerEnvironment> all = [] {
        std::vector<MarkerEnvironment> envs;
        for (auto [subdir, python] : {std::pair{"linux-64", "3.11"}, {"osx-arm64", "3.8.10"}, {"win-64", "3.13.0rc1"}})
            envs.push_back(MarkerEnvironment::for_target(subdir, python).value());
        envs[1].extras = {"test", "Doc_s"};
        return envs;
    }();
    return all;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto marker = Marker::parse(text)) {
        const auto printed = marker->to_string();
        const auto again = Marker::parse(printed);
        check(again.has_value(), "a printed marker does not parse");
        check(again->to_string() == printed, "the printed marker is not stable");
        for (const auto& env : environments())
            check(marker->evaluate(env) == again->evaluate(env), "the printed marker evaluates differently");
    } else {
        check(marker.error().location.has_value(), "a marker error has no column");
    }
    const auto requirement = Requirement::parse(text);
    if (!requirement) {
        check(requirement.error().location.has_value(), "a requirement error has no column");
        return 0;
    }
    const auto printed = requirement->to_string();
    const auto again = Requirement::parse(printed);
    check(again.has_value(), "a printed requirement does not parse");
    check(*again == *requirement, "the printed requirement differs");
    check(again->to_string() == printed, "the printed requirement is not stable");
    for (const auto& env : environments()) (void)requirement->applies_to(env);
    return 0;
}
