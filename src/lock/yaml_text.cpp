#include "envctl/util/ascii.hpp"
#include "yaml_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "envctl/util/strings.hpp"

namespace envctl::lock {

namespace {

// Words YAML 1.1 or 1.2 resolve to booleans or null.
bool is_reserved_word(std::string_view text) {
    static constexpr std::array<std::string_view, 12> words = {"y", "n", "yes", "no", "on", "off",
                                                               "true", "false", "null", "~", "nan", "inf"};
    const auto lowered = to_lower(text);
    std::string_view word = lowered;
    if (!word.empty() && (word.front() == '.' || word.front() == '+' || word.front() == '-')) word.remove_prefix(1);
    if (!word.empty() && word.front() == '.') word.remove_prefix(1);
    return std::find(words.begin(), words.end(), word) != words.end();
}

// Anything a YAML 1.1 or 1.2 resolver could take for a number (decimal, 0x/0o/0b, float with
// exponent, sexagesimal) or a timestamp: it starts like a number and holds only number-ish
// characters. Over-quoting is harmless; under-quoting is not. Dotted versions such as 1.26.4
// (two or more dots, nothing else but digits) are no number in either version.
bool may_be_number_or_date(std::string_view text) {
    std::string_view body = text;
    if (!body.empty() && (body.front() == '+' || body.front() == '-')) body.remove_prefix(1);
    if (body.empty() || !(is_ascii_digit(body.front()) || body.front() == '.')) return false;
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
        return std::all_of(body.begin() + 2, body.end(),
                           [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '_'; });
    }
    if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'b')) body.remove_prefix(2);
    bool has_digit = false;
    std::size_t dots = 0;
    bool other = false;  // '_', ':', '+', '-', 'e', 'E'
    for (const char c : body) {
        if (is_ascii_digit(c)) has_digit = true;
        else if (c == '.') ++dots;
        else if (c == '_' || c == ':' || c == '+' || c == '-' || c == 'e' || c == 'E') other = true;
        else return false;
    }
    if (dots >= 2 && !other) return false;
    return has_digit;
}

bool is_plain_safe(std::string_view text) {
    if (text.empty() || text.size() > 1024) return false;
    const char first = text.front();
    if (!(std::isalnum(static_cast<unsigned char>(first)) || first == '_' || first == '/' || first == '.' || first == '$'))
        return false;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (std::isalnum(byte)) continue;
        switch (c) {
            case '.': case '_': case '-': case '/': case '+': case '=': case '<': case '>': case '!':
            case '*': case ',': case '@': case '~': case '^': case ':': case '$': case '(': case ')':
            case ';': case '%': case '?':
                continue;
            default: return false;
        }
    }
    if (text.back() == ':') return false;
    return !is_reserved_word(text) && !may_be_number_or_date(text);
}

}  // namespace

std::string yaml_scalar(std::string_view text) {
    if (is_plain_safe(text)) return std::string(text);
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
                else out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace envctl::lock
