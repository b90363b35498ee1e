#pragma once
// Small string helpers used across modules; all pure.
#include <string>
#include <string_view>
#include <vector>

namespace envctl {

std::string_view trim(std::string_view text);
// ASCII letters only, whatever the C locale: every format envctl lowercases is ASCII.
std::string to_lower(std::string_view text);
// Splits on every occurrence of `separator`; keeps empty fields.
std::vector<std::string_view> split(std::string_view text, char separator);
// Splits on runs of ASCII whitespace; drops empty fields.
std::vector<std::string_view> split_whitespace(std::string_view text);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
bool is_ascii_digits(std::string_view text);
// Shell-style glob with `*` and `?` only, as conda uses for names and build strings.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace envctl
