#pragma once
// Matching of string fields (names, build strings, channels, licenses) as CEP 29 says:
// `^...$` is a regular expression (an ECMAScript subset matched in linear time, see
// src/conda/regex.hpp), text with `*` is a glob, anything else is exact; all three ignore case.
// `*` alone matches everything.
#include <memory>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl::conda {

class Regex;

class StringMatcher {
public:
    enum class Kind { Any, Exact, Glob, Regex };

    // Matches everything ("*").
    StringMatcher() = default;
    // Fails on an empty pattern, an invalid regex, or a regex longer than 1,000 characters.
    static Result<StringMatcher> parse(std::string_view pattern);
    // An exact matcher, no pattern interpretation at all.
    static StringMatcher exactly(std::string_view text);

    bool matches(std::string_view text) const;

    Kind kind() const { return kind_; }
    bool is_any() const { return kind_ == Kind::Any; }
    bool is_exact() const { return kind_ == Kind::Exact; }
    // The pattern as given ("*" for Any).
    const std::string& str() const { return pattern_; }

    friend bool operator==(const StringMatcher& a, const StringMatcher& b) {
        return a.kind_ == b.kind_ && a.pattern_ == b.pattern_;
    }

private:
    Kind kind_ = Kind::Any;
    std::string pattern_ = "*";
    std::shared_ptr<const Regex> regex_;
};

// Case-insensitive glob with `*` only (no `?`, no classes), linear time.
bool glob_match_icase(std::string_view pattern, std::string_view text);

}  // namespace envctl::conda
