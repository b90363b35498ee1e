#pragma once
// Platform selectors of environment files: mamba's `sel(<expr>)` keys and conda-lock's
// `# [<expr>]` line comments (CEP 24). An expression combines the conda-build platform
// variables with `and`, `or`, `not` and parentheses:
//   linux osx win unix  linux32 linux64 win32 win64 osx64  x86 x86_64 aarch64 arm64 ppc64le
//   s390x armv6l armv7l
#include <string>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::spec {

class PlatformSelector {
public:
    // Fails with ErrorKind::Input naming the expression and the unknown word or bad syntax.
    static Result<PlatformSelector> parse(std::string_view expression);

    // Whether the selected line applies when solving for `subdir` (e.g. "linux-64").
    bool evaluate(std::string_view subdir) const;
    // The expression as written, trimmed.
    const std::string& str() const { return text_; }

    friend bool operator==(const PlatformSelector& a, const PlatformSelector& b) { return a.text_ == b.text_; }

private:
    enum class Token : unsigned char { Variable, And, Or, Not, Open, Close };
    struct Item {
        Token token;
        unsigned char variable = 0;
    };
    bool evaluate_or(std::size_t& pos, std::string_view subdir) const;
    bool evaluate_and(std::size_t& pos, std::string_view subdir) const;
    bool evaluate_unary(std::size_t& pos, std::string_view subdir) const;

    std::string text_;
    std::vector<Item> items_;
};

}  // namespace envctl::spec
