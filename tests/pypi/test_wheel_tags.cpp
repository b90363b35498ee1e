#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "envctl/pypi/tags.hpp"
#include "envctl/pypi/wheel.hpp"

using namespace envctl::pypi;

namespace {
WheelFilename W(std::string_view name) { return WheelFilename::parse(name).value(); }
TagSet T(TagTarget target) { return TagSet::for_target(target).value(); }
std::optional<int> rank(const TagSet& set, std::string_view wheel) { return set.rank(W(wheel)); }
}  // namespace

TEST_CASE("wheel filenames parse and normalize") {
    auto w = W("pip-23.0.1-py3-none-any.whl");
    CHECK(w.name == "pip");
    CHECK(w.version.to_string() == "23.0.1");
    CHECK_FALSE(w.build);
    CHECK(w.tags() == std::vector<Tag>{{"py3", "none", "any"}});

    w = W("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    CHECK(w.platform_tags == std::vector<std::string>{"manylinux_2_17_x86_64", "manylinux2014_x86_64"});
    CHECK(w.tags().size() == 2);

    w = W("foo-1.0-1abc-py2.py3-none-any.whl");
    REQUIRE(w.build);
    CHECK(w.build->number == 1);
    CHECK(w.build->suffix == "abc");
    CHECK(w.tags().size() == 2);
    CHECK(BuildTag{2, ""} > BuildTag{1, "zzz"});
    CHECK(BuildTag{1, "b"} > BuildTag{1, "a"});
    CHECK(w.to_string() == "foo-1.0-1abc-py2.py3-none-any.whl");

    w = W("Typing_Extensions-4.0.0-py3-none-any.whl");
    CHECK(w.normalized_name() == "typing-extensions");
    CHECK(W("zope.interface-6.0-cp311-cp311-win_amd64.whl").normalized_name() == "zope-interface");
    CHECK(W("foo-1.0-PY3-NONE-ANY.whl").tags() == std::vector<Tag>{{"py3", "none", "any"}});
    CHECK(W("foo-1.0_rc1-py3-none-any.whl").version.to_string() == "1.0rc1");
    CHECK(W("foo-v1.0-py3-none-any.whl").to_string() == "foo-1.0-py3-none-any.whl");
}

TEST_CASE("malformed wheel filenames are rejected clearly") {
    const std::pair<std::string_view, std::string_view> cases[] = {
        {"foo-1.0.whl", "expected 5 or 6 parts"},
        {"foo-bar-1.0-1-py3-none-any.whl", "expected 5 or 6 parts"},
        {"foo-1.0-py3-none-any.zip", "source distribution"},
        {"foo-1.0.tar.gz", "source distribution, not a wheel"},
        {"foo-1.0-py3-none-any", "must end with '.whl'"},
        {"foo__bar-1.0-py3-none-any.whl", "invalid distribution name"},
        {"_foo-1.0-py3-none-any.whl", "invalid distribution name"},
        {"foo-notaversion-py3-none-any.whl", "invalid version 'notaversion'"},
        {"foo-1.0-abc-py3-none-any.whl", "build tag 'abc' must start with a digit"},
        {"foo-1.0-py3-none-.whl", "invalid platform tag"},
        {"foo-1.0-py3..py2-none-any.whl", "invalid python tag"},
        {"foo-1.0-py3-no+ne-any.whl", "invalid abi tag"},
        {"dir/foo-1.0-py3-none-any.whl", "without directories"},
        {"foo-1.0-99999999999999999999-py3-none-any.whl", "too large"},
    };
    for (const auto& [name, reason] : cases) {
        INFO(name);
        auto parsed = WheelFilename::parse(name);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(reason)));
        CHECK_THAT(parsed.error().message, Catch::Contains("invalid wheel filename"));
    }
}

TEST_CASE("source distributions are recognised") {
    CHECK(distribution_kind("foo-1.0-py3-none-any.whl") == DistributionKind::Wheel);
    CHECK(distribution_kind("foo-1.0.tar.gz") == DistributionKind::SourceDistribution);
    CHECK(distribution_kind("Foo-1.0.ZIP") == DistributionKind::SourceDistribution);
    CHECK(distribution_kind("foo-1.0.tar.bz2") == DistributionKind::SourceDistribution);
    CHECK(distribution_kind("foo-1.0.exe") == DistributionKind::Unknown);
    CHECK(distribution_kind("foo-1.0.egg") == DistributionKind::Unknown);
    auto sdist = parse_sdist_filename("foo-bar-1.0.tar.gz").value();
    CHECK(sdist.name == "foo-bar");
    CHECK(sdist.version.to_string() == "1.0");
    CHECK(sdist.extension == ".tar.gz");
    CHECK(parse_sdist_filename("numpy-1.26.4.zip").value().name == "numpy");
    CHECK(parse_sdist_filename("foo-1.0-1.tar.gz").value().version.to_string() == "1.0.post1");
    CHECK_FALSE(parse_sdist_filename("foo.tar.gz"));
    CHECK_FALSE(parse_sdist_filename("foo-1.0-py3-none-any.whl"));
}

TEST_CASE("linux tags follow pip's order") {
    const auto set = T({"linux-64", "3.11", "2.28", std::nullopt, std::nullopt});
    const auto& tags = set.tags();
    REQUIRE(!tags.empty());
    CHECK(tags.front().to_string() == "cp311-cp311-manylinux_2_28_x86_64");
    CHECK(tags.back().to_string() == "py30-none-any");
    auto position = [&](std::string_view tag) {
        auto it = std::find_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.to_string() == tag; });
        REQUIRE(it != tags.end());
        return it - tags.begin();
    };
    CHECK(position("cp311-cp311-manylinux2014_x86_64") == position("cp311-cp311-manylinux_2_17_x86_64") + 1);
    CHECK(position("cp311-cp311-manylinux2010_x86_64") == position("cp311-cp311-manylinux_2_12_x86_64") + 1);
    CHECK(position("cp311-cp311-manylinux1_x86_64") == position("cp311-cp311-manylinux_2_5_x86_64") + 1);
    CHECK(position("cp311-cp311-linux_x86_64") == position("cp311-cp311-manylinux1_x86_64") + 1);
    CHECK(position("cp311-cp311-linux_x86_64") < position("cp311-abi3-manylinux_2_28_x86_64"));
    CHECK(position("cp311-abi3-linux_x86_64") < position("cp311-none-manylinux_2_28_x86_64"));
    CHECK(position("cp311-none-linux_x86_64") < position("cp310-abi3-manylinux_2_28_x86_64"));
    CHECK(position("cp33-abi3-linux_x86_64") < position("cp32-abi3-manylinux_2_28_x86_64"));
    CHECK(position("cp32-abi3-linux_x86_64") < position("py311-none-manylinux_2_28_x86_64"));
    CHECK(position("py311-none-linux_x86_64") < position("py3-none-manylinux_2_28_x86_64"));
    CHECK(position("py30-none-linux_x86_64") < position("cp311-none-any"));
    CHECK(position("cp311-none-any") < position("py311-none-any"));
    CHECK(position("py311-none-any") < position("py3-none-any"));
    CHECK(position("py3-none-any") < position("py310-none-any"));
    for (std::size_t i = 0; i < tags.size(); ++i) CHECK(set.rank(tags[i]) == static_cast<int>(i));
    CHECK_FALSE(set.rank(Tag{"cp31", "abi3", "linux_x86_64"}));
    CHECK_FALSE(set.rank(Tag{"cp311", "cp311", "manylinux_2_29_x86_64"}));
}

TEST_CASE("wheel ranking on linux") {
    const auto set = T({"linux-64", "3.11", "2.28", std::nullopt, std::nullopt});
    const auto native = rank(set, "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl");
    const auto newer_glibc = rank(set, "numpy-2.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl");
    const auto abi3 = rank(set, "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl");
    const auto pure = rank(set, "pip-23.0.1-py3-none-any.whl");
    const auto universal = rank(set, "six-1.16.0-py2.py3-none-any.whl");
    REQUIRE(native);
    REQUIRE(newer_glibc);
    REQUIRE(abi3);
    REQUIRE(pure);
    CHECK(universal == pure);
    CHECK(*newer_glibc < *native);
    CHECK(*native < *abi3);
    CHECK(*abi3 < *pure);
    CHECK_FALSE(rank(set, "numpy-2.1-cp311-cp311-manylinux_2_31_x86_64.whl"));
    CHECK_FALSE(rank(set, "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.whl"));
    CHECK_FALSE(rank(set, "numpy-1.26.4-cp311-cp311-musllinux_1_1_x86_64.whl"));
    CHECK_FALSE(rank(set, "numpy-1.26.4-cp311-cp311-manylinux_2_17_aarch64.whl"));
    CHECK_FALSE(rank(set, "numpy-1.26.4-cp311-cp311-win_amd64.whl"));
    CHECK_FALSE(rank(set, "old-1.0-py2-none-any.whl"));
    CHECK(set.is_compatible(W("old-1.0-cp27.cp311-none-any.whl")));
    CHECK(rank(set, "x-1.0-cp311-abi3-linux_x86_64.whl"));

    // Older CPython: the cp39 stable-ABI wheel needs 3.9 or newer.
    const auto py38 = T({"linux-64", "3.8", "2.28", std::nullopt, std::nullopt});
    CHECK_FALSE(rank(py38, "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl"));
    CHECK(rank(py38, "cryptography-42.0.5-cp37-abi3-manylinux_2_28_x86_64.whl"));

    // Default glibc is 2.17; other architectures stop at manylinux2014.
    const auto arm = T({"linux-aarch64", "3.12", std::nullopt, std::nullopt, std::nullopt});
    CHECK(rank(arm, "numpy-1.26.4-cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64.whl"));
    CHECK_FALSE(rank(arm, "numpy-1.26.4-cp312-cp312-manylinux_2_12_aarch64.whl"));
    CHECK_FALSE(rank(arm, "numpy-1.26.4-cp312-cp312-manylinux_2_18_aarch64.whl"));
    CHECK(arm.tags().front().to_string() == "cp312-cp312-manylinux_2_17_aarch64");
}

TEST_CASE("musllinux tags") {
    const auto musl = T({"linux-64", "3.12", std::nullopt, std::nullopt, "1.2"});
    CHECK(musl.tags().front().to_string() == "cp312-cp312-musllinux_1_2_x86_64");
    CHECK(rank(musl, "numpy-2.0-cp312-cp312-musllinux_1_1_x86_64.whl"));
    CHECK(rank(musl, "numpy-2.0-cp312-cp312-musllinux_1_2_x86_64.whl") <
          rank(musl, "numpy-2.0-cp312-cp312-musllinux_1_1_x86_64.whl"));
    CHECK_FALSE(rank(musl, "numpy-2.0-cp312-cp312-musllinux_1_3_x86_64.whl"));
    CHECK_FALSE(rank(musl, "numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.whl"));
    CHECK(rank(musl, "x-1.0-cp312-cp312-linux_x86_64.whl"));
}

TEST_CASE("macOS tags") {
    const auto arm = T({"osx-arm64", "3.12", std::nullopt, "14.2", std::nullopt});
    CHECK(arm.tags().front().to_string() == "cp312-cp312-macosx_14_0_arm64");
    CHECK(rank(arm, "numpy-2.0-cp312-cp312-macosx_14_0_arm64.whl"));
    CHECK(rank(arm, "numpy-2.0-cp312-cp312-macosx_11_0_arm64.whl"));
    CHECK(rank(arm, "numpy-2.0-cp312-cp312-macosx_10_9_universal2.whl"));
    CHECK(rank(arm, "numpy-2.0-cp312-cp312-macosx_11_0_universal2.whl"));
    CHECK_FALSE(rank(arm, "numpy-2.0-cp312-cp312-macosx_15_0_arm64.whl"));
    CHECK_FALSE(rank(arm, "numpy-2.0-cp312-cp312-macosx_10_9_x86_64.whl"));
    CHECK_FALSE(rank(arm, "numpy-2.0-cp312-cp312-macosx_10_9_arm64.whl"));
    CHECK(rank(arm, "numpy-2.0-cp312-cp312-macosx_14_0_arm64.whl") <
          rank(arm, "numpy-2.0-cp312-cp312-macosx_11_0_arm64.whl"));
    CHECK(T({"osx-arm64", "3.12", std::nullopt, std::nullopt, std::nullopt}).tags().front().to_string() ==
          "cp312-cp312-macosx_11_0_arm64");

    const auto intel = T({"osx-64", "3.11", std::nullopt, std::nullopt, std::nullopt});  // 10.13
    CHECK(intel.tags().front().to_string() == "cp311-cp311-macosx_10_13_x86_64");
    CHECK(rank(intel, "numpy-1.26-cp311-cp311-macosx_10_9_x86_64.whl"));
    CHECK(rank(intel, "numpy-1.26-cp311-cp311-macosx_10_6_intel.whl"));
    CHECK(rank(intel, "numpy-1.26-cp311-cp311-macosx_10_9_universal2.whl"));
    CHECK(rank(intel, "numpy-1.26-cp311-cp311-macosx_10_4_fat32.whl"));
    CHECK_FALSE(rank(intel, "numpy-1.26-cp311-cp311-macosx_10_3_x86_64.whl"));
    CHECK_FALSE(rank(intel, "numpy-1.26-cp311-cp311-macosx_10_14_x86_64.whl"));
    CHECK_FALSE(rank(intel, "numpy-1.26-cp311-cp311-macosx_11_0_x86_64.whl"));
    const auto monterey = T({"osx-64", "3.11", std::nullopt, "12.6", std::nullopt});
    CHECK(rank(monterey, "numpy-1.26-cp311-cp311-macosx_12_0_x86_64.whl"));
    CHECK(rank(monterey, "numpy-1.26-cp311-cp311-macosx_10_16_x86_64.whl"));
    CHECK(rank(monterey, "numpy-1.26-cp311-cp311-macosx_12_0_x86_64.whl") <
          rank(monterey, "numpy-1.26-cp311-cp311-macosx_10_9_x86_64.whl"));
}

TEST_CASE("windows, free-threaded and platform-independent targets") {
    const auto win = T({"win-64", "3.10", std::nullopt, std::nullopt, std::nullopt});
    CHECK(win.tags().front().to_string() == "cp310-cp310-win_amd64");
    CHECK(rank(win, "numpy-1.26.4-cp310-cp310-win_amd64.whl"));
    CHECK_FALSE(rank(win, "numpy-1.26.4-cp310-cp310-win32.whl"));
    CHECK(rank(T({"win-32", "3.10", std::nullopt, std::nullopt, std::nullopt}), "numpy-1.26.4-cp310-cp310-win32.whl"));
    CHECK(rank(T({"win-arm64", "3.12", std::nullopt, std::nullopt, std::nullopt}),
               "numpy-2.0-cp312-cp312-win_arm64.whl"));

    TagTarget threaded{"linux-64", "3.13", "2.35", std::nullopt, std::nullopt};
    threaded.free_threaded = true;
    const auto nogil = T(threaded);
    CHECK(rank(nogil, "numpy-2.1-cp313-cp313t-manylinux_2_17_x86_64.whl"));
    CHECK_FALSE(rank(nogil, "numpy-2.1-cp313-cp313-manylinux_2_17_x86_64.whl"));
    CHECK_FALSE(rank(nogil, "cryptography-42-cp39-abi3-manylinux_2_28_x86_64.whl"));

    const auto wasm = T({"emscripten-wasm32", "3.12", std::nullopt, std::nullopt, std::nullopt});
    CHECK(rank(wasm, "pip-23.0.1-py3-none-any.whl"));
    CHECK(wasm.tags().front().to_string() == "cp312-none-any");
}

TEST_CASE("bad tag targets are rejected") {
    CHECK_THAT(TagSet::for_target({"noarch", "3.11", {}, {}, {}}).error().message, Catch::Contains("'noarch'"));
    CHECK_THAT(TagSet::for_target({"osx-arm64", "3.11", {}, "10.15", {}}).error().message,
               Catch::Contains("starts at 11.0"));
    CHECK_THAT(TagSet::for_target({"linux-64", "3.11", "abc", {}, {}}).error().message,
               Catch::Contains("invalid glibc version 'abc'"));
    CHECK_FALSE(TagSet::for_target({"linux-64", "2.7", {}, {}, {}}));
    CHECK_FALSE(TagSet::for_target({"linux-64", "3.11", "3.1", {}, {}}));
    CHECK_FALSE(TagSet::for_target({"linux-64", "3.11", "2.999999", {}, {}}));
}

TEST_CASE("the real wheel fixtures have valid names and are pure Python") {
    const std::filesystem::path folder = std::filesystem::path(ENVCTL_SHARED_DIR) / "fixtures" / "wheels";
    if (!std::filesystem::exists(folder)) {
        WARN("skipped: " << folder << " is absent (shared fixtures not available)");
        return;
    }
    const auto set = T({"linux-64", "3.11", "2.17", std::nullopt, std::nullopt});
    int count = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(folder)) {
        if (entry.path().extension() != ".whl") continue;
        INFO(entry.path());
        auto wheel = WheelFilename::parse(entry.path().filename().string());
        REQUIRE(wheel);
        CHECK(wheel->to_string() == entry.path().filename().string());
        CHECK(set.is_compatible(*wheel));
        ++count;
    }
    CHECK(count >= 4);
}
