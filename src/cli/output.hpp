#pragma once
// How commands report to the user: human text on a terminal, JSON with --json.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "envctl/util/result.hpp"

namespace envctl::cli {

namespace exit_codes {
inline constexpr int ok = 0;
inline constexpr int failed = 1;  // failed check, unsatisfiable, other failures
inline constexpr int usage = 2;   // usage or input error
inline constexpr int network = 3;
inline constexpr int integrity = 4;
}  // namespace exit_codes

void configure_logging(const GlobalOptions& global);

// Prints the error (text on stderr, or {"success": false, ...} on stdout with --json)
// and returns the exit code for its kind.
int report_error(const GlobalOptions& global, const Error& error);
nlohmann::json error_json(const Error& error);
void print_json(const nlohmann::json& document);

// `text` followed by spaces up to `width` columns (table cells).
std::string pad_right(std::string text, std::size_t width);

// True when stderr is a terminal and NO_COLOR is unset: colors and progress bars allowed.
bool stderr_is_interactive();

}  // namespace envctl::cli
