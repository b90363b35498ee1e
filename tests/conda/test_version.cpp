#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "envctl/conda/version.hpp"

using envctl::conda::Version;

namespace {

Version v(std::string_view text) {
    auto parsed = Version::parse(text);
    INFO(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

struct Step {
    const char* relation;  // "==" or "<" relative to the previous entry
    const char* version;
};

}  // namespace

TEST_CASE("CEP 33 ordering examples hold as one chain") {
    // The whole example list of CEP 33, plus conda's "1.1_" (openssl-style trailing underscore).
    const std::vector<Step> chain = {
        {"", "0.4"},           {"==", "0.4.0"},        {"<", "0.4.1.rc"},     {"==", "0.4.1.RC"},
        {"<", "0.4.1+local"},  {"<", "0.4.1+0.local"}, {"<", "0.4.1"},        {"==", "0.4.1+0"},
        {"<", "0.4.1+1.local"}, {"<", "0.5a1"},        {"<", "0.5b3"},        {"<", "0.5C1"},
        {"<", "0.5"},          {"<", "0.9.6"},         {"<", "0.960923"},     {"<", "1.0"},
        {"<", "1.1dev1"},      {"<", "1.1_"},          {"<", "1.1a1"},        {"<", "1.1.0dev1"},
        {"==", "1.1.dev1"},    {"<", "1.1.a1"},        {"<", "1.1.0rc1"},     {"<", "1.1.0.0"},
        {"==", "1.1.0"},       {"==", "1.1"},          {"<", "1.1.post1"},    {"==", "1.1.0post1"},
        {"<", "1.1post1"},     {"<", "1996.07.12"},    {"<", "1!0.4.1"},      {"<", "1!3.1.1.6"},
        {"<", "2!0.4.1"},
    };
    std::vector<Version> versions;
    for (const auto& step : chain) versions.push_back(v(step.version));
    // Every pair, not only neighbours: the relation must be a consistent total preorder.
    for (std::size_t i = 0; i < chain.size(); ++i) {
        for (std::size_t j = 0; j < chain.size(); ++j) {
            bool equal = i == j;
            const auto lo = std::min(i, j), hi = std::max(i, j);
            if (!equal) {
                equal = true;
                for (std::size_t k = lo + 1; k <= hi; ++k) equal = equal && std::string(chain[k].relation) == "==";
            }
            INFO(chain[i].version << " vs " << chain[j].version);
            if (equal) {
                CHECK(versions[i] == versions[j]);
                CHECK(versions[i].hash() == versions[j].hash());
            } else if (i < j) {
                CHECK(versions[i] < versions[j]);
                CHECK(versions[j] > versions[i]);
                CHECK(versions[i] != versions[j]);
            } else {
                CHECK(versions[i] > versions[j]);
            }
        }
    }
}

TEST_CASE("sorting a shuffled chain restores the CEP order") {
    std::vector<std::string> texts = {"0.4", "0.4.1.rc", "0.4.1", "0.5a1", "0.5b3", "0.5", "0.9.6", "0.960923",
                                      "1.0", "1.1dev1", "1.1a1", "1.1.0rc1", "1.1", "1.1post1", "1996.07.12",
                                      "1!0.4.1", "2!0.4.1"};
    std::vector<Version> versions;
    for (const auto& text : texts) versions.push_back(v(text));
    std::mt19937 random(7);
    std::shuffle(versions.begin(), versions.end(), random);
    std::sort(versions.begin(), versions.end());
    for (std::size_t i = 0; i < texts.size(); ++i) CHECK(versions[i].str() == texts[i]);
}

TEST_CASE("segments, components and special strings") {
    SECTION("implicit zero padding") {
        CHECK(v("1.1") == v("1.1.0.0"));
        CHECK(v("1") < v("1.0.1"));
        CHECK(v("0") == v("0.0"));
    }
    SECTION("a segment starting with a letter gets a leading 0") {
        CHECK(v("1.1.a1") == v("1.1.0a1"));
        CHECK(v("1.1.0rc") == v("1.1.rc"));
        CHECK(v("1.1.rc") > v("1.1rc"));  // CEP 33 warning, conda#12568
    }
    SECTION("underscores and dashes separate segments") {
        CHECK(v("1_2_3") == v("1.2.3"));
        CHECK(v("1-2-3") == v("1.2.3"));
        CHECK(v("2.15.1_ALPHA") == v("2.15.1.alpha"));
        CHECK(v("1.0.1_") < v("1.0.1a"));
        CHECK(v("1.0.1_") < v("1.0.1"));
        CHECK(v("1!2.15.1alpha_") > v("1!2.15.1alpha"));
    }
    SECTION("dev < strings < numbers < post") {
        CHECK(v("1.0dev") < v("1.0a"));
        CHECK(v("1.0a") < v("1.0"));
        CHECK(v("1.0") < v("1.0post"));
        CHECK(v("1.0.dev") < v("1.0.a"));
        CHECK(v("1.0post") > v("1.0.9999"));
        CHECK(v("1.0.post") < v("1.0.1"));  // "post" after a fill 0
        CHECK(v("1.0DEV") == v("1.0dev"));
        CHECK(v("1.0devel") > v("1.0dev"));  // only "dev" itself is special
        CHECK(v("1.0post") == v("1.0POST"));
    }
    SECTION("strings compare case-insensitively and lexicographically") {
        CHECK(v("1.0RC1") == v("1.0rc1"));
        CHECK(v("1.0a") < v("1.0b"));
        CHECK(v("1.0alpha") < v("1.0beta"));
        CHECK(v("1.0a") < v("1.0aa"));
        CHECK(v("2012d") < v("2012j"));
    }
    SECTION("numbers compare numerically, leading zeros ignored") {
        CHECK(v("1.10") > v("1.9"));
        CHECK(v("1.01") == v("1.1"));
        CHECK(v("1.000000000000000000") == v("1"));
        CHECK(v("1.1152921504606846975") > v("1.1152921504606846974"));
    }
    SECTION("epochs dominate") {
        CHECK(v("1!0.1") > v("999.0"));
        CHECK(v("0!1.0") == v("1.0"));
        CHECK(v("2!1.0").epoch() == 2);
        CHECK(v("1.0").epoch() == 0);
    }
    SECTION("local versions only break ties") {
        CHECK(v("1.0+2") > v("1.0+1"));
        CHECK(v("1.0+abc") < v("1.0"));
        CHECK(v("1.1+1") > v("1.0+999"));
        CHECK(v("2.1+sirius6.0.3") < v("2.1+sirius6.0.4"));
        CHECK(v("1.0+1").has_local());
        CHECK_FALSE(v("1.0").has_local());
    }
}

TEST_CASE("parse keeps the text and counts segments") {
    CHECK(v("  1.2.3 \n").str() == "1.2.3");
    CHECK(v("1!2.3+4.5").str() == "1!2.3+4.5");
    CHECK(v("1.2.3").segment_count() == 3);
    CHECK(v("1!2.3+4.5").segment_count() == 2);
    CHECK(Version().str() == "0");
    CHECK(Version() == v("0.0"));
}

TEST_CASE("invalid versions are rejected with a message naming them") {
    const std::vector<std::pair<const char*, const char*>> cases = {
        {"", "empty"},
        {"   ", "empty"},
        {"1..2", "empty segment"},
        {"1.2.", "empty segment"},
        {".1", "empty segment"},
        {"1._", "empty segment"},
        {"_", "lone '_'"},
        {"1!2!3", "more than one epoch"},
        {"a!1", "epoch"},
        {"!1", "epoch"},
        {"1!", "empty"},
        {"1+2+3", "more than one local"},
        {"1+", "local version"},
        {"+1", "empty"},
        {"1.2*", "'*' is a pattern"},
        {"1.2 3", "invalid character ' '"},
        {"1-2_3", "mixes '-' and '_'"},
        {"1@2", "invalid character '@'"},
        {"1.2+3!4", "epoch"},
        {"1.99999999999999999999", "too large"},
        {"1.\xff", "byte 0xff"},
    };
    for (const auto& [text, fragment] : cases) {
        INFO(text);
        const auto parsed = Version::parse(text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().kind == envctl::ErrorKind::Input);
        CHECK_THAT(parsed.error().message, Catch::Contains(fragment));
        CHECK_THAT(parsed.error().message, Catch::Contains("invalid version"));
    }
    CHECK_FALSE(Version::parse(std::string(5000, '1')).has_value());
}

TEST_CASE("starts_with matches whole leading segments") {
    CHECK(v("1.2").starts_with(v("1.2")));
    CHECK(v("1.2.0").starts_with(v("1.2")));
    CHECK(v("1.2.3").starts_with(v("1.2")));
    CHECK(v("1.2a1").starts_with(v("1.2")));  // conda: a pre-release of 1.2 is in 1.2.*
    CHECK_FALSE(v("1.20").starts_with(v("1.2")));
    CHECK_FALSE(v("1.3").starts_with(v("1.2")));
    CHECK_FALSE(v("1").starts_with(v("1.0")));  // conda: the prefix's last segment must exist
    CHECK(v("1.2.3rc1").starts_with(v("1.2.3rc")));
    CHECK(v("1.2.3rc1").starts_with(v("1.2.3r")));
    CHECK_FALSE(v("1.2.3").starts_with(v("1.2.3rc")));
    CHECK(v("1.2.3").starts_with(v("1")));
    CHECK_FALSE(v("1!1.2").starts_with(v("1.2")));
    CHECK(v("1!1.2.5").starts_with(v("1!1.2")));
    CHECK(v("1.2+3.4").starts_with(v("1.2+3")));
    CHECK_FALSE(v("1.2+4").starts_with(v("1.2+3")));
    CHECK(v("1.2+3.4").starts_with(v("1.2")));
}

TEST_CASE("compatible_with implements ~=") {
    CHECK(v("1.4.2").compatible_with(v("1.4.2")));
    CHECK(v("1.4.5").compatible_with(v("1.4.2")));
    CHECK_FALSE(v("1.4.1").compatible_with(v("1.4.2")));
    CHECK_FALSE(v("1.5").compatible_with(v("1.4.2")));
    CHECK(v("1.9").compatible_with(v("1.4")));
    CHECK_FALSE(v("2.0").compatible_with(v("1.4")));
    CHECK(v("7").compatible_with(v("1")));  // a single segment only fixes the epoch
    CHECK_FALSE(v("1!7").compatible_with(v("1")));
}

TEST_CASE("copies and moves keep versions intact, inline and on the heap") {
    const std::string long_text = "1.2.3.4.5.6.7.8.9.10.11.12a13b14+local.1.2.3";
    auto small = v("1.2.3");
    auto big = v(long_text);
    Version copy_small = small, copy_big = big;
    CHECK(copy_small == small);
    CHECK(copy_big == big);
    CHECK(copy_big.str() == long_text);
    Version moved = std::move(copy_big);
    CHECK(moved == big);
    copy_small = moved;
    CHECK(copy_small == big);
    copy_small = v("0.1");
    CHECK(copy_small.str() == "0.1");
    std::vector<Version> many(100, big);
    many.emplace_back(small);
    CHECK(many.front() == big);
    CHECK(many.back() == small);
}
