#include "envctl/pypi/specifier.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "envctl/util/ascii.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::pypi {

namespace {

struct OperatorSpelling {
    std::string_view text;
    SpecifierOperator op;
};
// Longest spellings first so that "===" is not read as "==".
constexpr OperatorSpelling operator_spellings[] = {
    {"===", SpecifierOperator::ArbitraryEqual}, {"~=", SpecifierOperator::Compatible},
    {"==", SpecifierOperator::Equal},           {"!=", SpecifierOperator::NotEqual},
    {"<=", SpecifierOperator::LessEqual},       {">=", SpecifierOperator::GreaterEqual},
    {"<", SpecifierOperator::Less},             {">", SpecifierOperator::Greater},
};

tl::unexpected<Error> invalid(std::string_view text, std::string_view reason) {
    return fail(ErrorKind::Input, fmt::format("invalid version specifier '{}': {}", text, reason));
}

}  // namespace

std::string_view operator_text(SpecifierOperator op) {
    for (const auto& spelling : operator_spellings) {
        if (spelling.op == op) return spelling.text;
    }
    return "";
}

Result<Specifier> Specifier::parse(std::string_view text) {
    const auto clause = trim(text);
    const OperatorSpelling* spelling = nullptr;
    for (const auto& candidate : operator_spellings) {
        if (clause.substr(0, candidate.text.size()) == candidate.text) {
            spelling = &candidate;
            break;
        }
    }
    if (spelling == nullptr) {
        if (Version::parse(clause)) {
            Error error = invalid(clause, "expected an operator (==, !=, <=, >=, <, >, ~=, ===)").value();
            return fail(std::move(error).with_hint(fmt::format("write '=={}' to ask for exactly that version", clause)));
        }
        return invalid(clause, "expected an operator (==, !=, <=, >=, <, >, ~=, ===) followed by a version");
    }
    const auto op = spelling->op;
    const auto operand = trim(clause.substr(spelling->text.size()));
    if (operand.empty()) return invalid(clause, fmt::format("expected a version after '{}'", spelling->text));
    if (const auto space = std::find_if(operand.begin(), operand.end(), is_ascii_space); space != operand.end()) {
        const auto version_text = operand.substr(0, static_cast<std::size_t>(space - operand.begin()));
        const auto rest = trim(operand.substr(version_text.size()));
        if (std::string_view("<>=!~").find(rest.front()) != std::string_view::npos)
            return invalid(clause, fmt::format("expected ',' between '{}' and '{}'", version_text, rest));
        return invalid(clause, fmt::format("unexpected '{}' after the version '{}'", rest, version_text));
    }

    if (op == SpecifierOperator::ArbitraryEqual) {
        if (operand.find_first_of(";)") != std::string_view::npos)
            return invalid(clause, "the string after '===' may not contain ';' or ')'");
        Specifier specifier(op, Version::from_release(std::array<std::uint64_t, 1>{0}));
        specifier.arbitrary_ = std::string(operand);
        return specifier;
    }

    const bool wildcard = operand.size() >= 2 && operand.substr(operand.size() - 2) == ".*";
    if (wildcard && op != SpecifierOperator::Equal && op != SpecifierOperator::NotEqual)
        return invalid(clause, fmt::format("'.*' is only allowed with == and !=, not with '{}'", spelling->text));
    auto version = Version::parse(wildcard ? operand.substr(0, operand.size() - 2) : operand);
    if (!version) return invalid(clause, version.error().message);
    if (wildcard && (version->pre() || version->post() || version->dev() || version->has_local()))
        return invalid(clause, "'.*' may only follow the release segment, as in '==1.2.*'");
    if (version->has_local() && op != SpecifierOperator::Equal && op != SpecifierOperator::NotEqual)
        return invalid(clause, fmt::format("local versions ('+{}') are only allowed with == and !=",
                                           version->local()));
    if (op == SpecifierOperator::Compatible && version->release().size() < 2)
        return invalid(clause, "'~=' needs at least two release segments, as in '~=1.0'");

    Specifier specifier(op, std::move(*version));
    specifier.wildcard_ = wildcard;
    return specifier;
}

bool Specifier::mentions_prerelease() const {
    if (op_ == SpecifierOperator::NotEqual) return false;
    if (op_ == SpecifierOperator::ArbitraryEqual) {
        const auto version = Version::parse(arbitrary_);
        return version && version->is_prerelease();
    }
    return version_.is_prerelease();
}

bool Specifier::contains(const Version& candidate, std::optional<bool> prereleases) const {
    if (candidate.is_prerelease() && !prereleases.value_or(mentions_prerelease())) return false;
    return matches(candidate);
}

// The first `length` zero-padded release segments (and the epoch) agree; local labels, pre-,
// post- and dev parts of the candidate do not matter.
bool Specifier::prefix_matches(const Version& candidate, std::size_t length) const {
    if (candidate.epoch() != version_.epoch()) return false;
    const auto mine = version_.release();
    const auto theirs = candidate.release();
    for (std::size_t i = 0; i < length; ++i) {
        if (mine[i] != (i < theirs.size() ? theirs[i] : 0)) return false;
    }
    return true;
}

bool Specifier::matches(const Version& candidate) const {
    switch (op_) {
        case SpecifierOperator::Equal:
        case SpecifierOperator::NotEqual: {
            bool equal = false;
            if (wildcard_) {
                equal = prefix_matches(candidate, version_.release().size());
            } else if (version_.has_local()) {
                equal = Version::compare(candidate, version_) == 0;
            } else {
                equal = Version::compare_public(candidate, version_) == 0;
            }
            return equal == (op_ == SpecifierOperator::Equal);
        }
        case SpecifierOperator::LessEqual: return Version::compare_public(candidate, version_) <= 0;
        case SpecifierOperator::GreaterEqual: return Version::compare_public(candidate, version_) >= 0;
        case SpecifierOperator::Less:
            // "<V" excludes pre-releases of V itself unless V is a pre-release.
            if (Version::compare(candidate, version_) >= 0) return false;
            return version_.is_prerelease() || !candidate.is_prerelease() ||
                   Version::compare_base(candidate, version_) != 0;
        case SpecifierOperator::Greater:
            // ">V" excludes post-releases of V (unless V is one) and local versions of V.
            if (Version::compare(candidate, version_) <= 0) return false;
            if (Version::compare_base(candidate, version_) != 0) return true;
            if (candidate.is_postrelease() && !version_.is_postrelease()) return false;
            return !candidate.has_local();
        case SpecifierOperator::Compatible:
            return Version::compare_public(candidate, version_) >= 0 &&
                   prefix_matches(candidate, version_.release().size() - 1);
        case SpecifierOperator::ArbitraryEqual: return ascii_iequals(candidate.to_string(), arbitrary_);
    }
    return false;
}

std::string Specifier::to_string() const {
    std::string out(operator_text(op_));
    if (op_ == SpecifierOperator::ArbitraryEqual) return out + arbitrary_;
    out += version_.to_string();
    if (wildcard_) out += ".*";
    return out;
}

// Same canonical text: "==1.0.*" and "==1.0.0.*" differ, so version equality is not enough.
bool operator==(const Specifier& a, const Specifier& b) { return a.to_string() == b.to_string(); }

Result<SpecifierSet> SpecifierSet::parse(std::string_view text) {
    std::vector<Specifier> specifiers;
    if (trim(text).empty()) return SpecifierSet{};
    auto clauses = split(text, ',');
    // A trailing comma is accepted, as packaging does ("name>=3," is among PEP 508's examples).
    if (clauses.size() > 1 && trim(clauses.back()).empty()) clauses.pop_back();
    for (auto clause : clauses) {
        if (trim(clause).empty())
            return fail(ErrorKind::Input,
                        fmt::format("invalid version specifier '{}': empty clause between commas", trim(text)));
        auto specifier = Specifier::parse(clause);
        if (!specifier) return fail(std::move(specifier.error()));
        specifiers.push_back(std::move(*specifier));
    }
    return SpecifierSet(std::move(specifiers));
}

bool SpecifierSet::mentions_prerelease() const {
    return std::any_of(specifiers_.begin(), specifiers_.end(),
                       [](const Specifier& s) { return s.mentions_prerelease(); });
}

bool SpecifierSet::contains(const Version& candidate, std::optional<bool> prereleases) const {
    if (candidate.is_prerelease() && !prereleases.value_or(mentions_prerelease())) return false;
    return std::all_of(specifiers_.begin(), specifiers_.end(),
                       [&](const Specifier& s) { return s.contains(candidate, true); });
}

std::vector<std::size_t> SpecifierSet::filter_indices(std::span<const Version> versions,
                                                      std::optional<bool> prereleases) const {
    std::vector<std::size_t> finals;
    std::vector<std::size_t> with_prereleases;
    const bool admit_prereleases = prereleases.value_or(mentions_prerelease());
    for (std::size_t i = 0; i < versions.size(); ++i) {
        if (!contains(versions[i], true)) continue;
        if (!versions[i].is_prerelease()) finals.push_back(i);
        with_prereleases.push_back(i);
    }
    if (admit_prereleases) return with_prereleases;
    if (!finals.empty() || prereleases.has_value()) return finals;
    return with_prereleases;  // only pre-releases match: the specification accepts them
}

std::vector<Version> SpecifierSet::filter(std::span<const Version> versions, std::optional<bool> prereleases) const {
    std::vector<Version> out;
    for (auto index : filter_indices(versions, prereleases)) out.push_back(versions[index]);
    return out;
}

SpecifierSet& SpecifierSet::operator&=(const SpecifierSet& other) {
    specifiers_.insert(specifiers_.end(), other.specifiers_.begin(), other.specifiers_.end());
    return *this;
}

std::string SpecifierSet::to_string() const {
    std::string out;
    for (const auto& specifier : specifiers_) {
        if (!out.empty()) out.push_back(',');
        out += specifier.to_string();
    }
    return out;
}

}  // namespace envctl::pypi
