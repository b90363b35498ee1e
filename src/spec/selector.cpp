#include "envctl/spec/selector.hpp"

#include <array>

#include <fmt/format.h>

#include "envctl/conda/platform.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::spec {

namespace {

constexpr std::size_t kMaxDepth = 32;

constexpr std::array<std::string_view, 17> kVariables = {
    "linux", "osx", "win", "unix", "linux32", "linux64", "win32", "win64", "osx64",
    "x86", "x86_64", "aarch64", "arm64", "ppc64le", "s390x", "armv6l", "armv7l",
};

bool variable_value(std::string_view variable, std::string_view subdir) {
    using conda::OsFamily;
    const auto family = conda::os_family(subdir);
    const auto machine = conda::machine_of(subdir);
    if (variable == "linux") return family == OsFamily::Linux;
    if (variable == "osx") return family == OsFamily::Osx;
    if (variable == "win") return family == OsFamily::Win;
    if (variable == "unix") return family == OsFamily::Linux || family == OsFamily::Osx;
    if (variable == "linux32") return subdir == "linux-32";
    if (variable == "linux64") return subdir == "linux-64";
    if (variable == "win32") return subdir == "win-32";
    if (variable == "win64") return subdir == "win-64";
    if (variable == "osx64") return subdir == "osx-64";
    if (variable == "x86") return machine == "x86" || machine == "x86_64";
    return machine == variable;  // x86_64, aarch64, arm64, ppc64le, s390x, armv6l, armv7l
}

bool is_word_character(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace

Result<PlatformSelector> PlatformSelector::parse(std::string_view expression) {
    PlatformSelector selector;
    selector.text_ = std::string(trim(expression));
    auto error = [&](std::string_view problem) {
        return fail(ErrorKind::Input, fmt::format("invalid selector '{}': {}", selector.text_, problem));
    };
    const std::string_view text = selector.text_;
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if (c == ' ' || c == '\t') {
            ++i;
        } else if (c == '(' || c == ')') {
            selector.items_.push_back({c == '(' ? Token::Open : Token::Close});
            ++i;
        } else if (is_word_character(c)) {
            auto end = i;
            while (end < text.size() && is_word_character(text[end])) ++end;
            const auto word = text.substr(i, end - i);
            if (word == "and") {
                selector.items_.push_back({Token::And});
            } else if (word == "or") {
                selector.items_.push_back({Token::Or});
            } else if (word == "not") {
                selector.items_.push_back({Token::Not});
            } else {
                std::size_t index = 0;
                while (index < kVariables.size() && kVariables[index] != word) ++index;
                if (index == kVariables.size())
                    return error(fmt::format("unknown variable '{}' (expected {})", word, join({kVariables.begin(), kVariables.end()}, ", ")));
                selector.items_.push_back({Token::Variable, static_cast<unsigned char>(index)});
            }
            i = end;
        } else {
            return error(fmt::format("unexpected '{}'", c));
        }
    }
    if (selector.items_.empty()) return error("the expression is empty");
    // Check the grammar once so that evaluate() can trust the tokens:
    //   or := and ('or' and)* ; and := unary ('and' unary)* ; unary := 'not' unary | '(' or ')' | variable
    std::size_t pos = 0, depth = 0;
    std::string problem;
    auto reject = [&problem](const char* why) {
        problem = why;
        return false;
    };
    auto expect_operand = [&](auto&& self_or) -> bool {
        std::size_t nots = 0;
        while (pos < selector.items_.size() && selector.items_[pos].token == Token::Not) {
            ++pos;
            if (++nots > 64) return reject("too many 'not'");
        }
        if (pos >= selector.items_.size()) return reject("expected a variable at the end");
        const auto token = selector.items_[pos].token;
        if (token == Token::Variable) {
            ++pos;
            return true;
        }
        if (token != Token::Open) return reject("expected a variable or '('");
        ++pos;
        if (++depth > kMaxDepth) return reject("parentheses nested too deeply");
        if (!self_or(self_or)) return false;
        --depth;
        if (pos >= selector.items_.size() || selector.items_[pos].token != Token::Close) return reject("expected ')'");
        ++pos;
        return true;
    };
    auto check_or = [&](auto&& self) -> bool {
        if (!expect_operand(self)) return false;
        while (pos < selector.items_.size() && (selector.items_[pos].token == Token::And || selector.items_[pos].token == Token::Or)) {
            ++pos;
            if (!expect_operand(self)) return false;
        }
        return true;
    };
    if (!check_or(check_or)) return error(problem);
    if (pos != selector.items_.size()) return error("expected 'and', 'or' or the end");
    return selector;
}

bool PlatformSelector::evaluate(std::string_view subdir) const {
    std::size_t pos = 0;
    return evaluate_or(pos, subdir);
}

bool PlatformSelector::evaluate_or(std::size_t& pos, std::string_view subdir) const {
    bool value = evaluate_and(pos, subdir);
    while (pos < items_.size() && items_[pos].token == Token::Or) {
        ++pos;
        value = evaluate_and(pos, subdir) || value;
    }
    return value;
}

bool PlatformSelector::evaluate_and(std::size_t& pos, std::string_view subdir) const {
    bool value = evaluate_unary(pos, subdir);
    while (pos < items_.size() && items_[pos].token == Token::And) {
        ++pos;
        value = evaluate_unary(pos, subdir) && value;
    }
    return value;
}

bool PlatformSelector::evaluate_unary(std::size_t& pos, std::string_view subdir) const {
    const auto item = items_[pos++];
    if (item.token == Token::Not) return !evaluate_unary(pos, subdir);
    if (item.token == Token::Open) {
        const bool value = evaluate_or(pos, subdir);
        ++pos;  // ')'
        return value;
    }
    return variable_value(kVariables[item.variable], subdir);
}

}  // namespace envctl::spec
