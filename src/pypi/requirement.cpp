#include "envctl/pypi/requirement.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "envctl/pypi/name.hpp"
#include "envctl/util/ascii.hpp"
#include "syntax.hpp"

namespace envctl::pypi {

namespace {

bool is_name_char(char c) { return is_ascii_alnum(c) || c == '-' || c == '_' || c == '.'; }

// "scheme://authority..." or "file:..." (local paths need file:). Like packaging, this rejects
// relative references, which only make sense inside a file that gives them a base.
bool is_absolute_url(std::string_view url) {
    const auto colon = url.find(':');
    const bool letter_first = !url.empty() && ((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z'));
    if (colon == std::string_view::npos || !letter_first) return false;
    for (char c : url.substr(0, colon)) {
        if (!is_ascii_alnum(c) && c != '+' && c != '-' && c != '.') return false;
    }
    const auto rest = url.substr(colon + 1);
    if (url.substr(0, colon) == "file") return !rest.empty();
    return rest.size() > 2 && rest.substr(0, 2) == "//";
}

class RequirementParser {
public:
    explicit RequirementParser(std::string_view text) : text_(text) {}

    detail::Parsed<Requirement> parse() {
        Requirement requirement;
        skip_spaces();
        auto name = identifier("a package name");
        if (!name) return tl::unexpected(std::move(name.error()));
        requirement.name = std::string(*name);
        skip_spaces();
        if (peek() == '[') {
            auto extras = parse_extras();
            if (!extras) return tl::unexpected(std::move(extras.error()));
            requirement.extras = std::move(*extras);
            skip_spaces();
        }
        if (peek() == '@') {
            ++pos_;
            auto status = parse_url(requirement);
            if (!status) return tl::unexpected(std::move(status.error()));
        } else if (peek() == '(' || is_operator_start(peek())) {
            auto specifier = parse_specifiers();
            if (!specifier) return tl::unexpected(std::move(specifier.error()));
            requirement.specifier = std::move(*specifier);
        }
        skip_spaces();
        if (peek() == ';') {
            auto marker = detail::parse_marker(text_, pos_ + 1, text_.size());
            if (!marker) return tl::unexpected(std::move(marker.error()));
            requirement.marker = std::move(*marker);
            pos_ = text_.size();
        }
        if (pos_ != text_.size()) {
            return detail::syntax_error(requirement.url.empty()
                                            ? "expected a version specifier, '@ URL', ';' and a marker, or the end"
                                            : "expected ';' and a marker, or the end",
                                        pos_);
        }
        return requirement;
    }

private:
    static bool is_operator_start(char c) { return c == '<' || c == '>' || c == '=' || c == '!' || c == '~'; }
    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
    void skip_spaces() {
        while (pos_ < text_.size() && is_ascii_space(text_[pos_])) ++pos_;
    }

    // letterOrDigit ( ('-' | '_' | '.')* letterOrDigit )*
    detail::Parsed<std::string_view> identifier(std::string_view what) {
        const auto start = pos_;
        if (!is_ascii_alnum(peek())) return detail::syntax_error(fmt::format("expected {}", what), pos_);
        while (is_name_char(peek())) ++pos_;
        if (!is_ascii_alnum(text_[pos_ - 1]))
            return detail::syntax_error(fmt::format("{} must end with a letter or digit", what), pos_ - 1);
        return text_.substr(start, pos_ - start);
    }

    detail::Parsed<std::vector<std::string>> parse_extras() {
        const auto open = pos_++;
        std::vector<std::string> extras;
        skip_spaces();
        while (peek() != ']') {
            if (!extras.empty()) {
                if (peek() != ',')
                    return detail::syntax_error(
                        pos_ == text_.size() ? fmt::format("expected ']' to close the '[' at column {}", open + 1)
                                             : std::string("expected ',' or ']' after an extra name"),
                        pos_);
                ++pos_;
                skip_spaces();
            }
            auto extra = identifier("an extra name");
            if (!extra) return tl::unexpected(std::move(extra.error()));
            extras.push_back(normalize_name(*extra));
            skip_spaces();
        }
        ++pos_;
        std::sort(extras.begin(), extras.end());
        extras.erase(std::unique(extras.begin(), extras.end()), extras.end());
        return extras;
    }

    detail::Parsed<void> parse_url(Requirement& requirement) {
        skip_spaces();
        const auto start = pos_;
        while (pos_ < text_.size() && !is_ascii_space(text_[pos_])) ++pos_;
        if (pos_ == start) return detail::syntax_error("expected a URL after '@'", pos_);
        const auto url = text_.substr(start, pos_ - start);
        if (!is_absolute_url(url))
            return detail::syntax_error("expected an absolute URL such as https://host/file.whl or file:///path after '@'",
                                        start);
        requirement.url = std::string(url);
        // A URL may contain ';', so a marker after it must be separated by whitespace.
        return {};
    }

    // Comma-separated clauses up to ';' or the end, or inside the legacy "( ... )".
    detail::Parsed<SpecifierSet> parse_specifiers() {
        std::size_t end = text_.find(';', pos_);
        if (end == std::string_view::npos) end = text_.size();
        std::size_t resume = end;
        if (peek() == '(') {
            const auto close = text_.find(')', pos_);
            if (close == std::string_view::npos)
                return detail::syntax_error(fmt::format("expected ')' to close the '(' at column {}", pos_ + 1),
                                            text_.size());
            ++pos_;
            end = close;
            resume = close + 1;
            skip_spaces();
            if (pos_ == end) {  // "name ()" means no constraint
                pos_ = resume;
                return SpecifierSet{};
            }
        }
        std::vector<Specifier> clauses;
        while (true) {
            const auto comma = std::min(text_.find(',', pos_), end);
            skip_spaces();
            const auto clause_start = std::min(pos_, comma);
            auto clause = Specifier::parse(text_.substr(clause_start, comma - clause_start));
            if (!clause) return detail::syntax_error(clause.error().message, clause_start);
            clauses.push_back(std::move(*clause));
            if (comma == end) break;
            pos_ = comma + 1;
            skip_spaces();
            if (pos_ >= end) break;  // a trailing comma, as packaging accepts
        }
        pos_ = resume;
        return SpecifierSet(std::move(clauses));
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

Result<Requirement> Requirement::parse(std::string_view text) {
    auto requirement = RequirementParser(text).parse();
    if (!requirement) return fail(detail::to_error("requirement", text, requirement.error()));
    return std::move(*requirement);
}

std::string Requirement::normalized_name() const { return normalize_name(name); }

bool Requirement::applies_to(const MarkerEnvironment& environment) const {
    return !marker || marker->evaluate(environment);
}

std::string Requirement::to_string() const {
    std::string out = name;
    if (!extras.empty()) {
        out.push_back('[');
        for (std::size_t i = 0; i < extras.size(); ++i) {
            if (i != 0) out.push_back(',');
            out += extras[i];
        }
        out.push_back(']');
    }
    out += specifier.to_string();
    if (!url.empty()) {
        out += " @ ";
        out += url;
        if (marker) out.push_back(' ');
    }
    if (marker) {
        out += "; ";
        out += marker->to_string();
    }
    return out;
}

}  // namespace envctl::pypi
