// The `^...$` forms of match specs, through the public matchers that use the regex engine.
#include <catch2/catch.hpp>

#include "envctl/conda/string_matcher.hpp"
#include "envctl/conda/version_spec.hpp"

using namespace envctl::conda;

namespace {

bool matches(std::string_view pattern, std::string_view text) {
    auto matcher = StringMatcher::parse(pattern);
    INFO(pattern);
    if (!matcher) FAIL(matcher.error().message);
    return matcher->matches(text);
}

}  // namespace

TEST_CASE("regular expression syntax") {
    CHECK(matches("^py3[0-9]+_.*$", "py312_0"));
    CHECK_FALSE(matches("^py3[0-9]+_.*$", "py27_0"));
    CHECK(matches("^(cpu|cuda)_.*$", "cuda_1"));
    CHECK(matches("^(?:cpu|cuda)_.*$", "CPU_1"));  // string fields ignore case
    CHECK_FALSE(matches("^(cpu|cuda)_.*$", "rocm_1"));
    CHECK(matches("^h[0-9a-f]{7}_\\d+$", "h1234abc_0"));
    CHECK_FALSE(matches("^h[0-9a-f]{7}_\\d+$", "h1234ab_0"));
    CHECK(matches("^a{2,}$", "aaa"));
    CHECK_FALSE(matches("^a{2,3}$", "aaaa"));
    CHECK(matches("^a?b+c*$", "bbb"));
    CHECK(matches("^[^_]+_[a-z]$", "abc_x"));
    CHECK_FALSE(matches("^[^_]+_[a-z]$", "a_b_x"));
    CHECK(matches("^\\w+\\.\\d$", "py_3.9"));
    CHECK(matches("^[-a]+$", "a-a"));
    CHECK(matches("^[a\\]]+$", "a]"));
    CHECK(matches("^.*mkl.*$", "py39_mkl_0"));
    CHECK(matches("^$", ""));
    CHECK_FALSE(matches("^$", "x"));
    CHECK(matches("^(|x)$", ""));
}

TEST_CASE("matching time does not explode on nested quantifiers") {
    const std::string many_a(5000, 'a');
    CHECK_FALSE(matches("^(a*)*b$", many_a));
    CHECK_FALSE(matches("^(a|a)*b$", many_a));
    CHECK_FALSE(matches("^(a+)+(a+)+(a+)+c$", many_a));
    CHECK(matches("^(a*)*$", many_a));
}

TEST_CASE("unsupported or broken regular expressions are rejected") {
    for (const char* pattern : {"^(a$", "^a)$", "^[a$", "^*$", "^a{3,1}$", "^a{5000}$", "^(?=a)$", "^(a)\\1$", "^\\b$",
                                "^a**$", "^[z-a]$"}) {
        INFO(pattern);
        const auto matcher = StringMatcher::parse(pattern);
        REQUIRE_FALSE(matcher.has_value());
        CHECK_THAT(matcher.error().message, Catch::Contains("regular expression"));
    }
    const auto deep = "^" + std::string(150, '(') + "a" + std::string(150, ')') + "$";
    CHECK_FALSE(StringMatcher::parse(deep).has_value());
}

TEST_CASE("version regexes match the version text") {
    auto spec = VersionSpec::parse("^1\\.(2|3)\\..*$");
    REQUIRE(spec.has_value());
    CHECK(spec->matches(*Version::parse("1.2.7")));
    CHECK(spec->matches(*Version::parse("1.3.0")));
    CHECK_FALSE(spec->matches(*Version::parse("1.4.0")));
}
