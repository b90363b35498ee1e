#pragma once
// PEP 440 version specifiers (living "Version specifiers" specification): one clause
// (`Specifier`, e.g. ">=1.0") and comma-separated sets of them (`SpecifierSet`).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pypi/version.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

enum class SpecifierOperator : std::uint8_t {
    Compatible,      // ~=
    Equal,           // ==   (".*" suffix: prefix matching)
    NotEqual,        // !=   (".*" suffix: prefix exclusion)
    LessEqual,       // <=
    GreaterEqual,    // >=
    Less,            // <
    Greater,         // >
    ArbitraryEqual,  // ===  (plain string equality)
};

std::string_view operator_text(SpecifierOperator op);

class Specifier {
public:
    // One clause such as ">= 1.0", "==1.2.*" or "===foobar". Local versions are only allowed
    // with == and != (not with ".*"); "~=" needs at least two release segments. Following
    // packaging (and so pip), ".*" may only follow the release segment ("==1.0.*", not
    // "==1.0a1.*"), which the specification leaves open for pre- and post-releases.
    static Result<Specifier> parse(std::string_view text);

    SpecifierOperator op() const { return op_; }
    // The version of the clause; for "==1.2.*" it is 1.2. Meaningless for ===.
    const Version& version() const { return version_; }
    bool is_wildcard() const { return wildcard_; }
    // The string after "===".
    const std::string& arbitrary() const { return arbitrary_; }

    // Whether the clause names a pre-release (">=1.0b1"), which makes it admit pre-releases by
    // default; "!=" clauses never do.
    bool mentions_prerelease() const;

    // Whether `candidate` satisfies the clause. Pre-releases are admitted when `prereleases` is
    // true, or when it is unset and the clause mentions a pre-release.
    bool contains(const Version& candidate, std::optional<bool> prereleases = std::nullopt) const;

    // Canonical form: operator and normalized version without spaces (">=1.0rc1", "==1.2.*").
    std::string to_string() const;

    friend bool operator==(const Specifier& a, const Specifier& b);

private:
    Specifier(SpecifierOperator op, Version version) : op_(op), version_(std::move(version)) {}
    bool matches(const Version& candidate) const;
    bool prefix_matches(const Version& candidate, std::size_t length) const;

    SpecifierOperator op_;
    Version version_;
    bool wildcard_ = false;
    std::string arbitrary_;
};

class SpecifierSet {
public:
    SpecifierSet() = default;  // matches every final release
    explicit SpecifierSet(std::vector<Specifier> specifiers) : specifiers_(std::move(specifiers)) {}

    // Comma-separated clauses; whitespace around clauses and commas is ignored. An empty or
    // all-blank text gives the empty set.
    static Result<SpecifierSet> parse(std::string_view text);

    const std::vector<Specifier>& specifiers() const { return specifiers_; }
    bool empty() const { return specifiers_.empty(); }
    bool mentions_prerelease() const;

    // All clauses hold. Pre-releases are admitted when `prereleases` is true, or when it is unset
    // and some clause mentions a pre-release.
    bool contains(const Version& candidate, std::optional<bool> prereleases = std::nullopt) const;

    // The indices of `versions` the set admits, in input order. With `prereleases` unset this
    // applies the specification's rule that pre-releases are accepted when no final or post
    // release satisfies the set. (packaging applies that fallback only to single specifiers and
    // to empty sets; envctl applies it to every set, as the specification says.)
    std::vector<std::size_t> filter_indices(std::span<const Version> versions,
                                            std::optional<bool> prereleases = std::nullopt) const;
    std::vector<Version> filter(std::span<const Version> versions,
                                std::optional<bool> prereleases = std::nullopt) const;

    // Adds the clauses of `other` (logical and).
    SpecifierSet& operator&=(const SpecifierSet& other);

    // Clauses in their canonical form joined by "," in input order: ">=1.0,<2".
    std::string to_string() const;

    friend bool operator==(const SpecifierSet&, const SpecifierSet&) = default;

private:
    std::vector<Specifier> specifiers_;
};

}  // namespace envctl::pypi
