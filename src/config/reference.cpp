// The key reference embedded in docs/configuration.md, generated from the registry so the
// documentation cannot drift from the code (a unit test compares them).
#include <fmt/format.h>

#include "envctl/config/registry.hpp"

namespace envctl::config {

std::string reference_markdown() {
    std::string out =
        "| Key | Type | Default | Environment variable | In .condarc | Description |\n"
        "|---|---|---|---|---|---|\n";
    for (const auto& key : registry()) {
        std::string type(key.type_name());
        if (key.type == ValueType::Choice) {
            type.clear();
            for (const auto& choice : key.choices) type += (type.empty() ? "" : ", ") + fmt::format("`{}`", choice);
        }
        if (key.merge == Merge::Combine) type += " (merged)";
        out += fmt::format("| `{}` | {} | `{}` | `{}` | {} | {} |\n", key.name, type, key.default_value, key.env_var(),
                           key.condarc ? "yes" : "no", key.description);
    }
    return out;
}

}  // namespace envctl::config
