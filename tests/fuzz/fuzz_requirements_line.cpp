// Arbitrary text as a requirements file: split into logical lines and parse each one; lines
// must never be empty and accepted requirements must print back.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/pypi/requirements_file.hpp"

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
    std::size_t previous_line = 0;
    for (const auto& line : split_requirements_lines(text)) {
        check(!line.text.empty(), "an empty logical line");
        check(line.line > previous_line, "line numbers do not increase");
        previous_line = line.line;
        const auto items = parse_requirements_line(line.text);
        if (!items) continue;
        check(!items->empty(), "an accepted line yields nothing");
        for (const auto& item : *items) {
            if (const auto* entry = std::get_if<RequirementEntry>(&item))
                check(Requirement::parse(entry->requirement.to_string()).has_value(), "a requirement does not print back");
        }
    }
    (void)parse_requirements_line(text);
    (void)expand_environment_variables(text, [](std::string_view name) -> std::optional<std::string> {
        return name.size() % 2 ? std::optional<std::string>("x") : std::nullopt;
    });
    return 0;
}
