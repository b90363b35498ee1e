#pragma once
// A small regular-expression engine for the `^...$` forms of match specs. It compiles to a
// Thompson NFA and simulates it (Pike VM without captures), so matching takes
// O(pattern * text) time and constant stack whatever the pattern: no catastrophic
// backtracking, unlike std::regex.
//
// Syntax (ECMAScript subset): literals, `.`, `[...]` / `[^...]` with ranges, `\d \D \w \W \s
// \S`, escaped punctuation, `(...)`, `(?:...)`, `|`, `* + ?`, `{n}`, `{n,}`, `{n,m}` (lazy `?`
// suffixes accepted), `^` and `$`. Backreferences and lookaround are rejected, as CEP 29 asks.
#include <bitset>
#include <cstdint>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::conda {

class Regex {
public:
    static Result<Regex> compile(std::string_view pattern, bool ignore_case);
    // True when the pattern matches somewhere in `text` (like std::regex_search).
    bool search(std::string_view text) const;

private:
    enum class Op : std::uint8_t { Set, Split, Jump, Begin, End, Match };
    struct Instruction {
        Op op;
        std::uint32_t x = 0;  // Set: index into sets_; Split/Jump: target
        std::uint32_t y = 0;  // Split: second target
    };

    std::vector<Instruction> program_;
    std::vector<std::bitset<256>> sets_;

    friend class RegexCompiler;
};

}  // namespace envctl::conda
