#pragma once
// Version specifiers (the version part of a match spec), as CEP 29 defines them:
//   clauses  ==1.2  !=1.2  <1.2  <=1.2  >1.2  >=1.2  ~=1.2  =1.2  1.2.*  1.2*  1.2  *  ^regex$
//   `,` (and) binds tighter than `|` (or); parentheses group; spaces are ignored.
// Conda's compatibility rules are kept: a bare version means ==; `=1.2`, `1.2.*`, `1.2*` and
// `==1.2.*` match whole leading segments; `!=1.2.*` excludes them; `>=1.2.*` (and <, <=, >)
// ignore the `.*`; a glob inside a version (`1.*.3`) matches the version text; one trailing
// `.` (`>=2.7.`, seen in real repodata) is ignored.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/version.hpp"
#include "envctl/util/result.hpp"

namespace envctl::conda {

class Regex;

class VersionSpec {
public:
    enum class Op : std::uint8_t {
        Any,            // *
        Equal,          // ==1.2 or 1.2
        NotEqual,       // !=1.2
        Less,           // <1.2
        LessEqual,      // <=1.2
        Greater,        // >1.2
        GreaterEqual,   // >=1.2
        StartsWith,     // =1.2, 1.2.*, 1.2*
        NotStartsWith,  // !=1.2.*
        Compatible,     // ~=1.2
        Glob,           // 1.*.3 (matched against the version text)
        Regex,          // ^1\.2\..*$
        And,
        Or,
    };

    // One clause or operator of the expression tree, stored in prefix order: an And/Or node is
    // followed by its operands; `size` counts the node and all of its descendants.
    struct Node {
        Op op = Op::Any;
        std::uint32_t size = 1;
        Version version;                          // comparison clauses
        std::string pattern;                      // Glob and Regex
        std::shared_ptr<const Regex> regex;       // Regex
    };

    // Matches every version.
    VersionSpec();
    // Fails with ErrorKind::Input naming the spec and what was expected.
    static Result<VersionSpec> parse(std::string_view text);
    // A spec matching exactly this version ("==<version>").
    static VersionSpec exactly(const Version& version);

    bool matches(const Version& version) const;

    // Canonical text: clauses as `==1.2`, `1.2.*`, `!=1.2.*`, `>=1.2`, ... joined by `,` and `|`
    // with parentheses only where needed. parse(str()) gives an equal spec.
    const std::string& str() const { return text_; }
    bool is_any() const { return nodes_.empty() || (nodes_.size() == 1 && nodes_[0].op == Op::Any); }
    // A single `==v` clause; exact_version() is then that version.
    bool is_exact() const { return nodes_.size() == 1 && nodes_[0].op == Op::Equal; }
    // A single `v.*` clause (printed `=v` in match specs); starts_with_version() is then v.
    bool is_starts_with() const { return nodes_.size() == 1 && nodes_[0].op == Op::StartsWith; }
    const Version& exact_version() const { return nodes_[0].version; }
    const Version& starts_with_version() const { return nodes_[0].version; }
    // The expression tree in prefix order, for solvers that translate specs; empty when the
    // spec matches everything.
    const std::vector<Node>& nodes() const { return nodes_; }

    friend bool operator==(const VersionSpec& a, const VersionSpec& b) { return a.text_ == b.text_; }

private:
    bool matches_at(std::size_t index, const Version& version) const;

    std::vector<Node> nodes_;  // empty: any version
    std::string text_;

    friend struct VersionSpecParser;
};

}  // namespace envctl::conda
