#include <catch2/catch.hpp>

#include <algorithm>
#include <unordered_set>

#include "envctl/pypi/name.hpp"
#include "envctl/pypi/version.hpp"

using namespace envctl::pypi;

namespace {
Version V(std::string_view text) { return Version::parse(text).value(); }
}  // namespace

TEST_CASE("PEP 440 normalization table") {
    const std::pair<std::string_view, std::string_view> table[] = {
        {"1.1RC1", "1.1rc1"},        {"v1.0", "1.0"},           {"V2", "2"},
        {"  1.0\n", "1.0"},          {"1.1.a1", "1.1a1"},       {"1.1-a1", "1.1a1"},
        {"1.1_a1", "1.1a1"},         {"1.0alpha1", "1.0a1"},    {"1.0beta2", "1.0b2"},
        {"1.0c1", "1.0rc1"},         {"1.0pre1", "1.0rc1"},     {"1.0preview1", "1.0rc1"},
        {"1.0-RC.2", "1.0rc2"},      {"1.2a", "1.2a0"},         {"1.2.post2", "1.2.post2"},
        {"1.2-post2", "1.2.post2"},  {"1.2post2", "1.2.post2"}, {"1.2.post-2", "1.2.post2"},
        {"1.0-r4", "1.0.post4"},     {"1.0-rev4", "1.0.post4"}, {"1.2.post", "1.2.post0"},
        {"1.0-1", "1.0.post1"},      {"1.2.dev2", "1.2.dev2"},  {"1.2-dev2", "1.2.dev2"},
        {"1.2dev2", "1.2.dev2"},     {"1.2.dev", "1.2.dev0"},   {"1.0+ubuntu-1", "1.0+ubuntu.1"},
        {"1.0+Ubuntu_1", "1.0+ubuntu.1"}, {"1.0+abc.007", "1.0+abc.7"}, {"1.0010", "1.10"},
        {"09000.1", "9000.1"},       {"0!1.0", "1.0"},          {"1!1.0", "1!1.0"},
        {"v1!2.0.0rc1.post2.dev3+local.9", "1!2.0.0rc1.post2.dev3+local.9"},
        {"1.0a1-1", "1.0a1.post1"},  {"1.0.post.dev1", "1.0.post0.dev1"},
        {"1.0a.post1", "1.0a0.post1"},
        // Separators after a keyword are taken even without a number, as the regular expression does.
        {"9c.", "9rc0"},             {"1.0beta-", "1.0b0"},     {"2rev-dev.+01", "2.post0.dev0+1"},
        {"0rc.-0", "0rc0.post0"},
    };
    for (const auto& [input, normalized] : table) {
        INFO(input);
        auto version = Version::parse(input);
        REQUIRE(version);
        CHECK(version->to_string() == normalized);
        // Normalizing is idempotent.
        CHECK(V(version->to_string()).to_string() == normalized);
    }
}

TEST_CASE("invalid versions are rejected with a reason") {
    for (std::string_view text : {"", "   ", "1.", "a", "1.0+", "1.0+a..b", "1..0", "1.0-", "1.0 a1", "1!",
                                  "!1", "1.0.x", "1.0+abc def", "1.0_", "1.0a1a2", "1.0.dev1.post1", "1.0+-a",
                                  "vv1", "1.0alphabet", "99999999999999999999999", "1.0\x01", "-1", "1.0+ä"}) {
        INFO(text);
        auto version = Version::parse(text);
        REQUIRE_FALSE(version);
        CHECK(version.error().kind == envctl::ErrorKind::Input);
        CHECK(version.error().message.find("invalid version") != std::string::npos);
    }
    CHECK_THAT(Version::parse("1.0.x").error().message, Catch::Contains("unexpected '.x' at position 4"));
    CHECK_THAT(Version::parse("").error().message, Catch::Contains("empty"));
    CHECK_THAT(Version::parse("99999999999999999999999").error().message, Catch::Contains("too large"));
}

TEST_CASE("PEP 440 ordering chain") {
    const std::vector<std::string_view> chain = {
        "1.dev0",      "1.0.dev456",  "1.0a1",          "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
        "1.0b1.dev456", "1.0b2",      "1.0b2.post345.dev456", "1.0b2.post345", "1.0rc1.dev456", "1.0rc1",
        "1.0",         "1.0+abc.5",   "1.0+abc.7",      "1.0+5",        "1.0.post456.dev34", "1.0.post456",
        "1.0.15",      "1.1.dev1",
    };
    for (std::size_t i = 0; i < chain.size(); ++i) {
        for (std::size_t j = 0; j < chain.size(); ++j) {
            INFO(chain[i] << " vs " << chain[j]);
            CHECK((V(chain[i]) < V(chain[j])) == (i < j));
            CHECK((V(chain[i]) == V(chain[j])) == (i == j));
        }
    }
    std::vector<Version> shuffled;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) shuffled.push_back(V(*it));
    std::sort(shuffled.begin(), shuffled.end());
    for (std::size_t i = 0; i < chain.size(); ++i) CHECK(shuffled[i].to_string() == V(chain[i]).to_string());
}

TEST_CASE("epochs, zero padding and local labels order as specified") {
    CHECK(V("1.0") == V("1.0.0"));
    CHECK(V("1.0") == V("1"));
    CHECK(V("1.0.0.0.0.0") == V("1"));
    CHECK(V("1.0.post1") == V("1.post1"));
    CHECK(V("1!1.0") > V("2.0"));
    CHECK(V("2!0.1") > V("1!99"));
    CHECK(V("1.0c1") == V("1.0rc1"));
    CHECK(V("1.0+abc") < V("1.0+abc.1"));
    CHECK(V("1.0+abc") < V("1.0+1"));
    CHECK(V("1.0+2") < V("1.0+10"));
    CHECK(V("1.0+a.b") < V("1.0+a.c"));
    CHECK(V("1.0+ABC") == V("1.0+abc"));
    CHECK(V("1.0+1.a") != V("1.0+1.b"));
    CHECK(V("1.0.dev1") < V("1.0a1.dev1"));
    CHECK(V("1.0a1.post1") < V("1.0a2"));
    CHECK(V("1.0.post1.dev1") > V("1.0"));
    CHECK(V("1.10") > V("1.9"));
    CHECK(V("18446744073709551615") > V("18446744073709551614"));
    // Hashes agree with equality.
    CHECK(V("1.0").hash() == V("1.0.0.0").hash());
    CHECK(V("1.0+ab.01").hash() == V("1.0+AB-1").hash());
    std::unordered_set<Version> set{V("1.0"), V("1.0.0"), V("1.0.1")};
    CHECK(set.size() == 2);
}

TEST_CASE("version accessors") {
    const auto version = V("2!1.2.3rc4.post5.dev6+Local-7");
    CHECK(version.epoch() == 2);
    CHECK(std::vector<std::uint64_t>(version.release().begin(), version.release().end()) ==
          std::vector<std::uint64_t>{1, 2, 3});
    REQUIRE(version.pre());
    CHECK(version.pre()->kind == PreReleaseKind::ReleaseCandidate);
    CHECK(version.pre()->number == 4);
    CHECK(version.post() == 5u);
    CHECK(version.dev() == 6u);
    CHECK(version.local() == "local.7");
    CHECK(version.is_prerelease());
    CHECK(version.is_postrelease());
    CHECK(version.is_devrelease());
    CHECK(version.base_version().to_string() == "2!1.2.3");
    CHECK(version.public_version().to_string() == "2!1.2.3rc4.post5.dev6");

    CHECK_FALSE(V("1.0").is_prerelease());
    CHECK_FALSE(V("1.0.post1").is_prerelease());
    CHECK(V("1.0.post1.dev1").is_prerelease());
    CHECK(V("1.0.dev0").is_prerelease());
    CHECK(V("1.0+local").has_local());
    // Many segments are kept beyond the inline storage.
    CHECK(V("1.2.3.4.5.6.7").to_string() == "1.2.3.4.5.6.7");
    CHECK(V("1.2.3.4.5.6.7").release().size() == 7);
    CHECK(V("1.2.3.4.5.6.7") > V("1.2.3.4.5.6"));
    CHECK(Version::from_release(std::vector<std::uint64_t>{3, 11}).to_string() == "3.11");
}

TEST_CASE("PEP 503 name normalization") {
    CHECK(normalize_name("Friendly-Bard") == "friendly-bard");
    CHECK(normalize_name("FRIENDLY-BARD") == "friendly-bard");
    CHECK(normalize_name("friendly.bard") == "friendly-bard");
    CHECK(normalize_name("friendly_bard") == "friendly-bard");
    CHECK(normalize_name("friendly--bard") == "friendly-bard");
    CHECK(normalize_name("FrIeNdLy-._.-bArD") == "friendly-bard");
    CHECK(names_equal("Zope.Interface", "zope-interface"));
    CHECK(escape_name("Foo.Bar-baz") == "foo_bar_baz");
    CHECK_FALSE(names_equal("zope", "zope-interface"));
    CHECK(is_valid_name("a"));
    CHECK(is_valid_name("Friendly.Bard_2"));
    CHECK_FALSE(is_valid_name(""));
    CHECK_FALSE(is_valid_name("-foo"));
    CHECK_FALSE(is_valid_name("foo_"));
    CHECK_FALSE(is_valid_name("foo bar"));
    CHECK_FALSE(is_valid_name("føo"));
}
