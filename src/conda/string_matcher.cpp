#include "envctl/conda/string_matcher.hpp"

#include <fmt/format.h>

#include "envctl/util/ascii.hpp"
#include "regex.hpp"

namespace envctl::conda {

namespace {
constexpr std::size_t kMaxRegexLength = 1000;

}  // namespace


bool glob_match_icase(std::string_view pattern, std::string_view text) {
    // Iterative matcher with single-star backtracking: O(|pattern| * |text|) at worst.
    std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
    while (t < text.size()) {
        if (p < pattern.size() && pattern[p] != '*' && ascii_lower(pattern[p]) == ascii_lower(text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = t;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            t = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

Result<StringMatcher> StringMatcher::parse(std::string_view pattern) {
    StringMatcher matcher;
    if (pattern.empty()) return fail(ErrorKind::Input, "empty pattern (use '*' to match anything)");
    if (pattern.find_first_not_of('*') == std::string_view::npos) return matcher;
    matcher.pattern_ = std::string(pattern);
    if (pattern.front() == '^' || pattern.back() == '$') {
        if (pattern.size() < 2 || pattern.front() != '^' || pattern.back() != '$')
            return fail(ErrorKind::Input, fmt::format("invalid pattern '{}': a regular expression must start with '^' and end with '$'", pattern));
        if (pattern.size() > kMaxRegexLength)
            return fail(ErrorKind::Input, fmt::format("regular expression longer than {} characters", kMaxRegexLength));
        auto regex = Regex::compile(pattern, true);
        if (!regex) return tl::unexpected(std::move(regex.error()));
        matcher.regex_ = std::make_shared<const Regex>(std::move(*regex));
        matcher.kind_ = Kind::Regex;
    } else if (pattern.find('*') != std::string_view::npos) {
        matcher.kind_ = Kind::Glob;
    } else {
        matcher.kind_ = Kind::Exact;
    }
    return matcher;
}

StringMatcher StringMatcher::exactly(std::string_view text) {
    StringMatcher matcher;
    matcher.kind_ = Kind::Exact;
    matcher.pattern_ = std::string(text);
    return matcher;
}

bool StringMatcher::matches(std::string_view text) const {
    switch (kind_) {
        case Kind::Any: return true;
        case Kind::Exact: return ascii_iequals(pattern_, text);
        case Kind::Glob: return glob_match_icase(pattern_, text);
        case Kind::Regex: return regex_->search(text);
    }
    return false;
}

}  // namespace envctl::conda
