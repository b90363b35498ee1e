#include <catch2/catch.hpp>

#include "envctl/pypi/specifier.hpp"

using namespace envctl::pypi;

namespace {
Version version_of(std::string_view text) { return Version::parse(text).value(); }
SpecifierSet S(std::string_view text) { return SpecifierSet::parse(text).value(); }
bool in(std::string_view version, std::string_view specifiers, std::optional<bool> prereleases = std::nullopt) {
    return S(specifiers).contains(version_of(version), prereleases);
}
std::vector<std::string> filtered(std::string_view specifiers, std::vector<std::string_view> versions,
                                  std::optional<bool> prereleases = std::nullopt) {
    std::vector<Version> parsed;
    for (auto v : versions) parsed.push_back(version_of(v));
    std::vector<std::string> out;
    for (const auto& v : S(specifiers).filter(parsed, prereleases)) out.push_back(v.to_string());
    return out;
}
}  // namespace

TEST_CASE("compatible release clauses from the specification") {
    CHECK(in("2.2", "~=2.2"));
    CHECK(in("2.9.1", "~=2.2"));
    CHECK_FALSE(in("3.0", "~=2.2"));
    CHECK_FALSE(in("2.1", "~=2.2"));
    CHECK(in("1.4.5", "~=1.4.5"));
    CHECK(in("1.4.9", "~=1.4.5"));
    CHECK_FALSE(in("1.5.0", "~=1.4.5"));
    CHECK(in("2.9", "~=2.2.post3"));
    CHECK(in("2.2.post3", "~=2.2.post3"));
    CHECK_FALSE(in("2.2", "~=2.2.post3"));
    CHECK_FALSE(in("3.0", "~=2.2.post3"));
    CHECK(in("1.4.5a4", "~=1.4.5a4"));
    CHECK(in("1.4.5", "~=1.4.5a4"));
    CHECK_FALSE(in("1.5", "~=1.4.5a4"));
    CHECK(in("2.2.5", "~=2.2.0"));
    CHECK_FALSE(in("2.3", "~=2.2.0"));
    CHECK(in("1.4.5.9", "~=1.4.5.0"));
    CHECK_FALSE(in("1.4.6", "~=1.4.5.0"));
    CHECK(in("3.1", "~=3.1"));
    CHECK(in("3.9", "~=3.1"));
    CHECK_FALSE(in("4.0", "~=3.1"));
    CHECK(in("3.1.2", "~=3.1.2"));
    CHECK_FALSE(in("3.2.0", "~=3.1.2"));
    CHECK(in("3.1a1", "~=3.1a1"));
    CHECK_FALSE(in("4.0", "~=3.1a1"));
    CHECK(in("1!2.5", "~=1!2.2"));
    CHECK_FALSE(in("2.5", "~=1!2.2"));
    CHECK(in("2.2+local", "~=2.2"));
}

TEST_CASE("version matching and exclusion from the specification") {
    // Candidate 1.1.post1.
    CHECK_FALSE(in("1.1.post1", "==1.1"));
    CHECK(in("1.1.post1", "==1.1.post1"));
    CHECK(in("1.1.post1", "==1.1.*"));
    CHECK(in("1.1.post1", "!=1.1"));
    CHECK_FALSE(in("1.1.post1", "!=1.1.post1"));
    CHECK_FALSE(in("1.1.post1", "!=1.1.*"));
    // Candidate 1.1a1: the prefix matches when pre-releases are requested.
    CHECK_FALSE(in("1.1a1", "==1.1", true));
    CHECK(in("1.1a1", "==1.1a1"));
    CHECK_FALSE(in("1.1a1", "==1.1.*"));
    CHECK(in("1.1a1", "==1.1.*", true));
    // Candidate 1.1.
    CHECK(in("1.1", "==1.1"));
    CHECK(in("1.1", "==1.1.0"));
    CHECK_FALSE(in("1.1", "==1.1.dev1"));
    CHECK_FALSE(in("1.1", "==1.1a1"));
    CHECK_FALSE(in("1.1", "==1.1.post1"));
    CHECK(in("1.1", "==1.1.*"));
    CHECK(in("1.1", "==1.1.0.*"));
    CHECK(in("1", "==1.0.0.*"));
    CHECK_FALSE(in("1.10", "==1.1.*"));
    CHECK_FALSE(in("2!1.1", "==1.1.*"));
    // == 3.1.* is equivalent to ~=3.1.0.
    for (auto candidate : {"3.0.9", "3.1", "3.1.0", "3.1.7", "3.1.7.post1", "3.2", "4.1"}) {
        INFO(candidate);
        CHECK(in(candidate, "==3.1.*") == in(candidate, "~=3.1.0"));
    }
    CHECK(in("3.1.0", "~=3.1.0, != 3.1.3"));
    CHECK_FALSE(in("3.1.3", "~=3.1.0, != 3.1.3"));
    CHECK_FALSE(in("3.2.0", "~=3.1.0, != 3.1.3"));
}

TEST_CASE("local versions in specifiers") {
    CHECK(in("1.0+local", "==1.0"));
    CHECK(in("1.0+local", "==1.0+local"));
    CHECK_FALSE(in("1.0", "==1.0+local"));
    CHECK_FALSE(in("1.0+other", "==1.0+local"));
    CHECK(in("1.0+LOCAL", "==1.0+local"));
    CHECK(in("1.0+other", "!=1.0+local"));
    CHECK_FALSE(in("1.0+local", "!=1.0"));
    CHECK(in("1.0+local", "<=1.0"));
    CHECK(in("1.0+local", ">=1.0"));
    CHECK_FALSE(in("1.0+local", ">1.0"));
    CHECK_FALSE(in("1.0+local", "<1.0"));
    CHECK(in("1.1+local", ">1.0"));
    CHECK(in("1.0", "===1.0"));
    CHECK_FALSE(in("1.0+downstream1", "===1.0"));
    CHECK_FALSE(in("1.0.0", "===1.0"));
}

TEST_CASE("exclusive ordered comparisons exclude pre, post and local releases of V") {
    CHECK(in("1.7.1", ">1.7"));
    CHECK_FALSE(in("1.7.0.post1", ">1.7"));
    CHECK_FALSE(in("1.7", ">1.7"));
    CHECK(in("1.7.1", ">1.7.post2"));
    CHECK(in("1.7.0.post3", ">1.7.post2"));
    CHECK_FALSE(in("1.7.0", ">1.7.post2"));
    CHECK_FALSE(in("1.7.0.post2", ">1.7.post2"));
    CHECK_FALSE(in("3.1.dev0", "<3.1", true));
    CHECK_FALSE(in("3.1a1", "<3.1", true));
    CHECK(in("3.0.dev0", "<3.1", true));
    CHECK_FALSE(in("3.0.dev0", "<3.1"));
    CHECK(in("3.0", "<3.1"));
    CHECK(in("3.1a1", "<3.1rc1"));
    CHECK(in("3.1.dev0", "<3.1rc1"));
    CHECK(in("1.0", ">=1.0"));
    CHECK(in("1.0", "<=1.0"));
    CHECK_FALSE(in("1.0.post1", "<=1.0"));
    CHECK(in("2.0", ">1.0"));
}

TEST_CASE("pre-releases are excluded unless requested or named") {
    CHECK_FALSE(in("2.0a1", ">=1.0"));
    CHECK(in("2.0a1", ">=1.0", true));
    CHECK(in("2.0b1", ">=1.0a1"));
    CHECK(in("2.0b1", ">=1.0,>=1.5rc1"));
    CHECK_FALSE(in("2.0b1", "!=1.0a1"));
    CHECK_FALSE(in("1.0a1", ""));
    CHECK(in("1.0a1", "", true));
    CHECK(in("1.0", ""));
    CHECK(in("1.0", ">=0.5", false));
    CHECK(S("===1.0a1").mentions_prerelease());
    CHECK_FALSE(S("===foobar").mentions_prerelease());
    CHECK_FALSE(S("==1.0.*").mentions_prerelease());
}

TEST_CASE("filter accepts pre-releases when no final release matches") {
    using L = std::vector<std::string>;
    CHECK(filtered(">=1.2.3", {"1.2", "1.3", "1.5a1"}) == L{"1.3"});
    CHECK(filtered(">=1.2.3", {"1.2", "1.5a1"}) == L{"1.5a1"});
    CHECK(filtered(">=1.2.3", {"1.2", "1.5a1"}, false).empty());
    CHECK(filtered(">=1.2.3", {"1.3", "1.5a1"}, true) == L{"1.3", "1.5a1"});
    CHECK(filtered(">=1.2.3rc1", {"1.3", "1.5a1"}) == L{"1.3", "1.5a1"});
    CHECK(filtered("", {"1.3", "1.5a1"}) == L{"1.3"});
    CHECK(filtered("", {"1.5a1"}) == L{"1.5a1"});
    CHECK(filtered("<1", {"1.5a1", "2.0"}).empty());
    CHECK(S(">=1").filter_indices(std::vector<Version>{version_of("0.9"), version_of("2.0b1"), version_of("1.0.post1")}) ==
          std::vector<std::size_t>{2});
}

TEST_CASE("specifiers print canonically") {
    CHECK(S(">= 1.0-alpha1").to_string() == ">=1.0a1");
    CHECK(S(" ~= 2.2 , != 2.5.* ,<3").to_string() == "~=2.2,!=2.5.*,<3");
    CHECK(S("==v1.0.0+Ubuntu-1").to_string() == "==1.0.0+ubuntu.1");
    CHECK(S("===Foo-Bar").to_string() == "===Foo-Bar");
    CHECK(S("").to_string().empty());
    CHECK(S(">=1.0,").to_string() == ">=1.0");
    CHECK(S(">=1.0") == S(">= 1.0"));
    CHECK_FALSE(S("==1.0.*") == S("==1.0.0.*"));
    auto combined = S(">=1.0");
    combined &= S("<2");
    CHECK(combined.to_string() == ">=1.0,<2");
    CHECK(Specifier::parse("<=2").value().op() == SpecifierOperator::LessEqual);
    CHECK(Specifier::parse("== 1.2.*").value().is_wildcard());
}

TEST_CASE("invalid specifiers are rejected with a reason") {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"~=1", "two release segments"},
        {"==1.0.dev1.*", "'.*' may only follow the release segment"},
        {"==1.0+foo1.*", "'.*' may only follow the release segment"},
        {"==1.0a1.*", "'.*' may only follow the release segment"},
        {">=1.0+local", "local versions"},
        {"~=1.0+local", "local versions"},
        {"<1.0.*", "only allowed with == and !="},
        {"1.0", "expected an operator"},
        {">=", "expected a version after '>='"},
        {"=>1.0", "expected an operator"},
        {"==1.0 .*", "unexpected '.*' after the version '1.0'"},
        {">=1.0 <2", "expected ',' between '1.0' and '<2'"},
        {",", "empty clause"},
        {">=1.0,,<2", "empty clause"},
        {">=foo", "invalid version 'foo'"},
        {"===", "expected a version"},
        {"= =1.0", "expected an operator"},
    };
    for (const auto& [text, reason] : cases) {
        INFO(text);
        auto parsed = SpecifierSet::parse(text);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(reason)));
    }
    CHECK_THAT(Specifier::parse("1.0").error().hints.at(0), Catch::Contains("==1.0"));
}
