#include <catch2/catch.hpp>

#include <filesystem>

#include "envctl/spec/selector.hpp"
#include "envctl/spec/text_spec.hpp"

using namespace envctl;
using namespace envctl::spec;
namespace fs = std::filesystem;

namespace {

TextSpecFile parse_or_fail(std::string_view text) {
    auto file = parse_text_spec(text, "env.txt");
    if (!file) FAIL(file.error().to_string());
    return *file;
}

fs::path fixtures() { return fs::path(ENVCTL_SHARED_DIR) / "fixtures"; }

}  // namespace

TEST_CASE("explicit files: URLs, hashes, comments and the platform") {
    const auto file = parse_or_fail(
        "# This file may be used to create an environment using:\r\n"
        "# platform: osx-arm64\r\n"
        "@EXPLICIT\r\n"
        "https://conda.anaconda.org/conda-forge/osx-arm64/bzip2-1.0.8-h93a5062_5.conda#1bbc659ca658bfd49a481b5ef7a0f40f\r\n"
        "\r\n"
        "# a comment between packages\r\n"
        "https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda#7B2B69C54EC62A243EB6FBA2391B5E443421608C3AE5DBFF938AD33CA8DB5122\r\n"
        "https://conda.anaconda.org/conda-forge/noarch/setuptools-69.5.1-pyhd8ed1ab_0.conda#sha256:72d143408507043628b32bed089730b6d5f5445eccc44b59911ec9f262e365e7\r\n"
        "  https://user:pw@private.example.com/t/tok/chan/noarch/pip-24.0-pyhd8ed1ab_0.tar.bz2  \r\n"
        "file:///opt/local/linux-64/mine-1.0-0.conda\n"
        "/abs/path/linux-64/other-1.0-0.tar.bz2\n");
    CHECK(file.is_explicit);
    CHECK(file.platform == "osx-arm64");
    REQUIRE(file.packages.size() == 6);
    CHECK(file.packages[0].url == "https://conda.anaconda.org/conda-forge/osx-arm64/bzip2-1.0.8-h93a5062_5.conda");
    CHECK(file.packages[0].filename == "bzip2-1.0.8-h93a5062_5.conda");
    CHECK(file.packages[0].md5 == "1bbc659ca658bfd49a481b5ef7a0f40f");
    CHECK(file.packages[0].sha256.empty());
    CHECK(file.packages[0].location.line == 4);
    CHECK(file.packages[1].sha256 == "7b2b69c54ec62a243eb6fba2391b5e443421608c3ae5dbff938ad33ca8db5122");
    CHECK(file.packages[2].sha256 == "72d143408507043628b32bed089730b6d5f5445eccc44b59911ec9f262e365e7");
    CHECK(file.packages[3].url == "https://user:pw@private.example.com/t/tok/chan/noarch/pip-24.0-pyhd8ed1ab_0.tar.bz2");
    CHECK(file.packages[3].md5.empty());
    CHECK(file.packages[4].filename == "mine-1.0-0.conda");
    CHECK(file.packages[5].url == "/abs/path/linux-64/other-1.0-0.tar.bz2");
    CHECK(file.specs.empty());
}

TEST_CASE("lines before @EXPLICIT are ignored with a warning") {
    const auto file = parse_or_fail("numpy\n@EXPLICIT\nhttps://x.example.com/c/linux-64/a-1-0.conda\n");
    CHECK(file.packages.size() == 1);
    REQUIRE(file.warnings.size() == 1);
    CHECK(file.warnings[0].location.line == 1);
}

TEST_CASE("plain spec lists") {
    const auto file = parse_or_fail("# platform: linux-64\npython=3.7.*\n\nxtensor >=0.20\nconda-forge::numpy[build=py3*]\n");
    CHECK_FALSE(file.is_explicit);
    CHECK(file.platform == "linux-64");
    REQUIRE(file.specs.size() == 3);
    CHECK(file.specs[0].spec.str() == "python=3.7");
    CHECK(file.specs[1].location.line == 4);
    CHECK(file.specs[2].spec.channel == "conda-forge");
}

TEST_CASE("bad lines are errors naming the line") {
    struct Case {
        const char* text;
        std::size_t line;
        const char* fragment;
    };
    const std::vector<Case> cases = {
        {"@EXPLICIT\nhttps://x.example.com/c/linux-64/a-1-0.zip\n", 2, "expected the URL or path of a .conda or .tar.bz2 package"},
        {"@EXPLICIT\nhttps://x.example.com/c/linux-64/a-1-0.conda#xyz\n", 2, "expected an MD5"},
        {"@EXPLICIT\nhttps://x.example.com/c/linux-64/a-1-0.conda#sha256:abc\n", 2, "64 hexadecimal"},
        {"@EXPLICIT\n\nhttps://x/a-1-0.conda https://x/b-1-0.conda\n", 3, "unexpected space"},
        {"@EXPLICIT\nhttps://x/.conda\n", 2, "file name is empty"},
        {"numpy\nnumpy >=1..0\n", 2, "invalid match spec"},
        {"@EXPLICIT\nhttps://user:secret@x/c/linux-64/a-1-0.zip\n", 2, "***"},
    };
    for (const auto& item : cases) {
        INFO(item.text);
        const auto file = parse_text_spec(item.text, "env.txt");
        REQUIRE_FALSE(file.has_value());
        CHECK_THAT(file.error().message, Catch::Contains(item.fragment));
        CHECK_THAT(file.error().message, !Catch::Contains("secret"));
        REQUIRE(file.error().location.has_value());
        CHECK(file.error().location->line == item.line);
        CHECK_THAT(file.error().to_string(), Catch::StartsWith("env.txt:" + std::to_string(item.line) + ":"));
    }
}

TEST_CASE("every explicit file and spec list of the shared fixtures parses") {
    if (!fs::is_directory(fixtures())) {
        WARN("skipped: " << fixtures() << " is absent (the shared fixtures are not checked out)");
        return;
    }
    std::size_t explicit_files = 0, packages = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures() / "lockfiles" / "explicit")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path());
        const auto file = parse_text_spec_file(entry.path());
        if (!file) FAIL(file.error().to_string());
        CHECK(file->is_explicit);
        CHECK(file->specs.empty());
        CHECK_FALSE(file->packages.empty());
        ++explicit_files;
        packages += file->packages.size();
        if (entry.path().filename() == "minrk_environment.py-3.9-linux-64.lock") {
            CHECK(file->packages.size() == 170);
            CHECK(file->platform == "linux-64");
            for (const auto& package : file->packages) CHECK(package.md5.size() == 32);
        }
        if (entry.path().filename() == "ros-noetic_linux-64.txt") CHECK(file->packages.size() == 568);
    }
    CHECK(explicit_files == 13);
    CHECK(packages > 850);
    std::size_t lists = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures() / "envfiles" / "spec-lists")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path());
        const auto file = parse_text_spec_file(entry.path());
        if (!file) FAIL(file.error().to_string());
        CHECK_FALSE(file->is_explicit);
        CHECK_FALSE(file->specs.empty());
        ++lists;
    }
    CHECK(lists == 5);
}

TEST_CASE("platform selectors") {
    auto selector = [](std::string_view text) {
        auto parsed = PlatformSelector::parse(text);
        if (!parsed) FAIL(parsed.error().message);
        return *parsed;
    };
    CHECK(selector("linux").evaluate("linux-aarch64"));
    CHECK_FALSE(selector("linux").evaluate("osx-64"));
    CHECK(selector("unix").evaluate("osx-arm64"));
    CHECK_FALSE(selector("unix").evaluate("win-64"));
    CHECK(selector("win").evaluate("win-arm64"));
    CHECK(selector("linux64").evaluate("linux-64"));
    CHECK_FALSE(selector("linux64").evaluate("linux-aarch64"));
    CHECK(selector("osx64").evaluate("osx-64"));
    CHECK(selector("x86").evaluate("win-32"));
    CHECK(selector("x86_64").evaluate("osx-64"));
    CHECK(selector("arm64").evaluate("osx-arm64"));
    CHECK(selector("aarch64").evaluate("linux-aarch64"));
    CHECK(selector("not win").evaluate("linux-64"));
    CHECK(selector("linux and not aarch64").evaluate("linux-64"));
    CHECK_FALSE(selector("linux and not aarch64").evaluate("linux-aarch64"));
    CHECK(selector("osx or linux and x86_64").evaluate("osx-arm64"));  // and binds tighter
    CHECK_FALSE(selector("(osx or linux) and x86_64").evaluate("osx-arm64"));
    CHECK(selector(" ( win ) ").str() == "( win )");
    for (const char* bad : {"", "windows", "py>=38", "linux and", "(linux", "linux)", "not", "linux linux", "np"}) {
        INFO(bad);
        const auto parsed = PlatformSelector::parse(bad);
        REQUIRE_FALSE(parsed.has_value());
        CHECK_THAT(parsed.error().message, Catch::StartsWith("invalid selector"));
    }
}
