#include <catch2/catch.hpp>

#include "envctl/conda/build_number_spec.hpp"
#include "envctl/conda/string_matcher.hpp"
#include "envctl/conda/version_spec.hpp"

using namespace envctl::conda;

namespace {

VersionSpec spec(std::string_view text) {
    auto parsed = VersionSpec::parse(text);
    INFO(text);
    if (!parsed) FAIL(parsed.error().message);
    return *parsed;
}

bool match(std::string_view spec_text, std::string_view version) {
    auto parsed_version = Version::parse(version);
    REQUIRE(parsed_version.has_value());
    return spec(spec_text).matches(*parsed_version);
}

}  // namespace

TEST_CASE("comparison clauses") {
    CHECK(match("==1.2", "1.2.0"));
    CHECK_FALSE(match("==1.2", "1.2.1"));
    CHECK(match("1.2", "1.2"));  // a bare version means ==
    CHECK_FALSE(match("1.2", "1.2.3"));
    CHECK(match("!=1.2", "1.3"));
    CHECK_FALSE(match("!=1.2", "1.2.0"));
    CHECK(match("<1.2", "1.1.9"));
    CHECK_FALSE(match("<1.2", "1.2"));
    CHECK(match("<1.2", "1.2a1"));  // pre-releases sort before the release
    CHECK(match("<=1.2", "1.2"));
    CHECK(match(">1.2", "1.2.1"));
    CHECK_FALSE(match(">1.2", "1.2"));
    CHECK(match(">=1.2", "1.2"));
    CHECK(match(">=1!1.0", "1!1.0"));
    CHECK_FALSE(match(">=1!1.0", "2.0"));
    CHECK(match("~=1.4.2", "1.4.9"));
    CHECK_FALSE(match("~=1.4.2", "1.5.0"));
    CHECK_FALSE(match("~=1.4.2", "1.4.1"));
}

TEST_CASE("fuzzy equality: =1.2, 1.2.*, 1.2*, ==1.2.*") {
    for (const char* text : {"=1.2", "1.2.*", "1.2*", "==1.2.*", "=1.2.*", "1.2.*.*"}) {
        INFO(text);
        CHECK(match(text, "1.2"));
        CHECK(match(text, "1.2.0"));
        CHECK(match(text, "1.2.11"));
        CHECK_FALSE(match(text, "1.20"));
        CHECK_FALSE(match(text, "1.3"));
        CHECK(spec(text).is_starts_with());
        CHECK(spec(text).str() == "1.2.*");
    }
    CHECK(match("!=1.2.*", "1.3"));
    CHECK_FALSE(match("!=1.2.*", "1.2.7"));
    CHECK(spec("!=1.2.*").str() == "!=1.2.*");
}

TEST_CASE("operators with a trailing .* behave as conda treats them") {
    CHECK(spec(">=1.2.*").str() == ">=1.2");
    CHECK(match(">=1.2.*", "1.2"));
    CHECK(match(">=1.2.*", "1.3"));
    CHECK(spec("<2.*").str() == "<2");
    CHECK(spec(">1.2*").str() == ">1.2");
    CHECK(spec(">=2.5.*").str() == ">=2.5");
}

TEST_CASE("the trailing dot of old repodata is tolerated") {
    CHECK(spec(">=2.7.").str() == ">=2.7");
    CHECK(match(">=2.7.", "2.7.18"));
    CHECK(match("2.7.,<3", "2.7"));
}

TEST_CASE("wildcards") {
    CHECK(spec("*").is_any());
    CHECK(spec("*.*").is_any());
    CHECK(spec("=*").is_any());
    CHECK(spec(" * ").str() == "*");
    CHECK(match("*", "0.0.1"));
    CHECK(match("1.*.3", "1.7.3"));
    CHECK_FALSE(match("1.*.3", "1.7.4"));
    CHECK(spec("1.*.3").str() == "1.*.3");
    CHECK(match("^1\\.[0-9]+$", "1.25"));
    CHECK_FALSE(match("^1\\.[0-9]+$", "1.25.1"));
}

TEST_CASE("and binds tighter than or; parentheses group") {
    CHECK(match(">=1,<2|>=3", "1.5"));
    CHECK(match(">=1,<2|>=3", "3.1"));
    CHECK_FALSE(match(">=1,<2|>=3", "2.5"));
    CHECK(match("(>=1|<0.5),<2", "0.4"));
    CHECK_FALSE(match("(>=1|<0.5),<2", "2.5"));
    CHECK(spec("(>=1|<0.5),<2").str() == "(>=1|<0.5),<2");
    CHECK(spec(">=1 , < 2 | 3.*").str() == ">=1,<2|3.*");
    CHECK(spec("((1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1").str() == "==1.5|(==1.6|==1.7),==1.8,==1.9|==2.0|==2.1");
    CHECK(match("((1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "2.1"));
    CHECK_FALSE(match("((1.5|((1.6|1.7), 1.8), 1.9 |2.0))|2.1", "1.6"));
    CHECK(spec("> 3.11").str() == ">3.11");
}

TEST_CASE("canonical text round-trips") {
    for (const char* text : {"==1.2", "!=1.2", "<1", "<=1.0a1", ">1!2", ">=1.2+local", "~=1.4.2", "1.2.*", "!=1.2.*",
                             "1.*.3", "^1\\.2$", "*", ">=1,<2|>=3", "(>=1|<0.5),<2", ">=1.8,<2|==1.7"}) {
        INFO(text);
        const auto first = spec(text);
        CHECK(first.str() == text);
        const auto second = spec(first.str());
        CHECK(second == first);
        CHECK(second.str() == first.str());
    }
    CHECK(spec("1.2").str() == "==1.2");
    CHECK(spec("=1.2").str() == "1.2.*");
}

TEST_CASE("invalid version specs are rejected with a message") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"", "empty"},
        {">=", "missing version after '>='"},
        {"==", "missing version"},
        {"===1.0", "invalid operator"},
        {"=>1.0", "invalid operator"},
        {">=1.0,", "expected a version clause"},
        {",1.0", "expected a version clause"},
        {"1.0|", "expected a version clause"},
        {"(1.0", "expected ')'"},
        {"1.0)", "unexpected ')'"},
        {">=1..0", "empty segment"},
        {"~=1.2.*", "'~='"},
        {">=1.*.2", "'*' inside a version"},
        {">=*", "needs a version"},
        {"^1.2", "must end with '$'"},
        {"1.2$", "must start with '^'"},
        {"^(1.2$", "invalid regular expression"},
        {"1.0 2.0", "unexpected space"},
        {"1.0@", "invalid character '@'"},
    };
    for (const auto& [text, fragment] : cases) {
        INFO(text);
        const auto parsed = VersionSpec::parse(text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().message, Catch::Contains(fragment));
        CHECK_THAT(parsed.error().message, Catch::Contains("invalid version spec"));
    }
    CHECK_FALSE(VersionSpec::parse(std::string(200, '(') + "1" + std::string(200, ')')).has_value());
    CHECK(VersionSpec::parse(std::string(30, '(') + "1" + std::string(30, ')')).has_value());
}

TEST_CASE("exactly() builds an == spec") {
    const auto exact = VersionSpec::exactly(*Version::parse("1.2.3"));
    CHECK(exact.is_exact());
    CHECK(exact.str() == "==1.2.3");
    CHECK(exact.matches(*Version::parse("1.2.3.0")));
    CHECK(exact == spec("==1.2.3"));
}

TEST_CASE("build number specs") {
    auto parse = [](std::string_view text) {
        auto parsed = BuildNumberSpec::parse(text);
        REQUIRE(parsed.has_value());
        return *parsed;
    };
    CHECK(parse("3").matches(3));
    CHECK_FALSE(parse("3").matches(4));
    CHECK(parse("==3").str() == "3");
    CHECK(parse("!=3").matches(4));
    CHECK(parse("<3").matches(2));
    CHECK_FALSE(parse("<3").matches(3));
    CHECK(parse("<=3").matches(3));
    CHECK(parse(">3").matches(4));
    CHECK(parse(">= 3").matches(3));
    CHECK(parse(">= 3").str() == ">=3");
    CHECK(parse("*").is_any());
    CHECK_FALSE(BuildNumberSpec::parse("abc").has_value());
    CHECK_FALSE(BuildNumberSpec::parse(">=").has_value());
    CHECK_FALSE(BuildNumberSpec::parse("-1").has_value());
    CHECK_THAT(BuildNumberSpec::parse("x1").error().message, Catch::Contains("invalid build number spec 'x1'"));
}

TEST_CASE("string matchers: exact, glob, regex, case-insensitive") {
    auto parse = [](std::string_view text) {
        auto parsed = StringMatcher::parse(text);
        REQUIRE(parsed.has_value());
        return *parsed;
    };
    CHECK(parse("*").is_any());
    CHECK(parse("py312_0").matches("PY312_0"));
    CHECK_FALSE(parse("py312_0").matches("py312_1"));
    CHECK(parse("py312_0").is_exact());
    CHECK(parse("*_cpython").matches("h1234_0_cpython"));
    CHECK(parse("py*").matches("Py27"));
    CHECK_FALSE(parse("py*").matches("numpy"));
    CHECK(parse("*mkl*").matches("py39_mkl_0"));
    CHECK(parse("^py3[0-9]+_.*$").matches("py312_0"));
    CHECK_FALSE(parse("^py3[0-9]+_.*$").matches("py27_0"));
    CHECK(parse("^py3[0-9]+_.*$").kind() == StringMatcher::Kind::Regex);
    CHECK_FALSE(StringMatcher::parse("").has_value());
    CHECK_FALSE(StringMatcher::parse("^[$").has_value());
    CHECK_FALSE(StringMatcher::parse("^abc").has_value());
    CHECK(glob_match_icase("a*b*c", "aXXbYYc"));
    CHECK_FALSE(glob_match_icase("a*b*c", "aXXbYY"));
}
