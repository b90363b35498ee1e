// Config values and files: every key's text parser, ~/$VAR expansion, and the in-place file
// editor, whose result must always parse back to exactly what was written.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "envctl/config/edit.hpp"
#include "envctl/config/registry.hpp"

using namespace envctl;
using namespace envctl::config;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Environment environment;
    environment.home = "/home/fuzz";
    environment.variables = {{"HOME", "/home/fuzz"}, {"TOKEN", "tk"}, {"EMPTY", ""}};
    for (const auto& key : registry()) {
        (void)parse_text(key, text, &environment);
        (void)parse_text(key, text, nullptr);
    }
    (void)expand_variables(text, environment);
    (void)expand_home(text, environment);

    const std::optional<Value> values[] = {Value{std::vector<std::string>{"conda-forge", "a: b", "#c"}}, Value{true},
                                           std::nullopt};
    for (const auto& value : values) {
        auto edited = edited_text(text, value && std::holds_alternative<bool>(*value) ? "offline" : "channels", value,
                                  "fuzz.yml");
        // An unparseable document is an input error; anything else means the editor broke a file.
        if (!edited && edited.error().kind != ErrorKind::Input) std::abort();
    }
    return 0;
}
