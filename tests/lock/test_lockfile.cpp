// conda-lock v1 reading and writing: round trips, determinism, the real files of other tools,
// and the invalid ones rejected with file:line errors. Tests using ../shared/fixtures skip
// with a message when it is absent.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <set>

#include "envctl/lock/explicit.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(ENVCTL_SHARED_DIR) / "fixtures" / "lockfiles";

bool have_fixtures() {
    if (fs::exists(fixtures)) return true;
    WARN("skipped: " << fixtures.string() << " is absent; these tests need the shared fixtures next to the checkout");
    return false;
}

lock::Lockfile sample() {
    lock::Lockfile lockfile;
    lockfile.metadata.platforms = {"osx-arm64", "linux-64"};
    lockfile.metadata.content_hash = {{"linux-64", std::string(64, 'a')}, {"osx-arm64", std::string(64, 'b')}};
    lockfile.metadata.channels = {{"conda-forge", {}}, {"https://host/t/${TOKEN}/private", {"TOKEN"}}};
    lockfile.metadata.sources = {"environment.yml"};
    lockfile.metadata.custom_metadata = {{"envctl.pip", "requests>=2\nflask"}};
    lock::LockedPackage python;
    python.name = "python";
    python.version = "3.11.0";
    python.platform = "linux-64";
    python.dependencies = {{"libzlib", ">=1.2.13,<2.0.0a0"}, {"__glibc", ">=2.17,<3.0.a0"}, {"bzip2", ""}};
    python.url = "https://conda.anaconda.org/conda-forge/linux-64/python-3.11.0-h10a6764_1_cpython.conda";
    python.md5 = std::string(32, '1');
    python.sha256 = std::string(64, '2');
    python.build = "h10a6764_1_cpython";
    lock::LockedPackage tzdata = python;
    tzdata.name = "tzdata";
    tzdata.version = "2024a";
    tzdata.dependencies = {};
    tzdata.url = "https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda";
    tzdata.build = "h0c530f3_0";
    lock::LockedPackage arm = tzdata;
    arm.platform = "osx-arm64";
    lock::LockedPackage requests;
    requests.name = "requests";
    requests.version = "2.0";
    requests.manager = lock::Manager::Pip;
    requests.platform = "linux-64";
    requests.dependencies = {{"idna", "<4,>=2.5"}};
    requests.url = "https://files.pythonhosted.org/packages/requests-2.0-py3-none-any.whl";
    requests.sha256 = std::string(64, 'c');
    lockfile.packages = {arm, requests, tzdata, python};
    return lockfile;
}

}  // namespace

TEST_CASE("a written lockfile reads back to the same value and is byte-stable") {
    const auto original = sample();
    const auto text = lock::format_lockfile(original);
    auto read = lock::parse_lockfile(text, "envctl-lock.yml");
    REQUIRE(read);
    CHECK(read->warnings.empty());
    auto expected = original;
    lock::normalize(expected);
    CHECK(read->metadata == expected.metadata);
    REQUIRE(read->packages.size() == expected.packages.size());
    for (std::size_t i = 0; i < expected.packages.size(); ++i) {
        auto want = expected.packages[i];
        std::stable_sort(want.dependencies.begin(), want.dependencies.end(),
                         [](const auto& a, const auto& b) { return a.name < b.name; });
        CHECK(read->packages[i] == want);
    }
    CHECK(lock::format_lockfile(*read) == text);
    // Input order does not matter.
    auto shuffled = original;
    std::reverse(shuffled.packages.begin(), shuffled.packages.end());
    CHECK(lock::format_lockfile(shuffled) == text);
}

TEST_CASE("the writer orders packages by platform, manager, name and quotes ambiguous scalars") {
    const auto text = lock::format_lockfile(sample());
    const auto linux_tzdata = text.find("- name: tzdata\n  version: 2024a\n  manager: conda\n  platform: linux-64");
    const auto linux_python = text.find("- name: python\n");
    const auto linux_requests = text.find("- name: requests\n");
    const auto arm_tzdata = text.find("platform: osx-arm64\n  dependencies: {}");
    REQUIRE(linux_tzdata != std::string::npos);
    CHECK(linux_python < linux_tzdata);
    CHECK(linux_tzdata < linux_requests);
    CHECK(linux_requests < arm_tzdata);
    CHECK(text.find("  version: 3.11.0\n") != std::string::npos);  // dotted versions are no numbers
    CHECK(text.find("  version: \"2.0\"\n") != std::string::npos);   // but 2.0 is a float
    CHECK(text.find("    libzlib: \">=1.2.13,<2.0.0a0\"\n") != std::string::npos);
    CHECK(text.find("    bzip2: \"\"\n") != std::string::npos);
    CHECK(text.find("  - url: \"https://host/t/${TOKEN}/private\"\n    used_env_vars:\n    - TOKEN\n") != std::string::npos);
    CHECK(text.find("envctl.pip: \"requests>=2\\nflask\"") != std::string::npos);
    CHECK(text.find("platforms:\n  - linux-64\n  - osx-arm64\n") != std::string::npos);
    CHECK(text.find("time_metadata") == std::string::npos);
}

TEST_CASE("records convert to lock entries and back") {
    conda::PackageRecord record;
    record.name = "numpy";
    record.version = *conda::Version::parse("1.26.4");
    record.build = "py312h8753938_0";
    record.build_number = 0;
    record.depends = {"python >=3.12,<3.13.0a0", "libblas >=3.9.0,<4.0a0", "python_abi 3.12.* *_cp312", "__glibc >=2.17"};
    record.url = "https://user:pw@conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h8753938_0.conda";
    record.md5 = std::string(32, 'a');
    record.sha256 = std::string(64, 'b');
    const auto entry = lock::from_record(record, "linux-64");
    CHECK(entry.url == "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h8753938_0.conda");
    CHECK(entry.dependencies.front() == lock::Dependency{"__glibc", ">=2.17"});
    CHECK(entry.dependencies.back() == lock::Dependency{"python_abi", "3.12.* *_cp312"});
    auto back = lock::to_record(entry);
    REQUIRE(back);
    CHECK(back->name == "numpy");
    CHECK(back->build == "py312h8753938_0");
    CHECK(back->fn == "numpy-1.26.4-py312h8753938_0.conda");
    CHECK(back->channel == "https://conda.anaconda.org/conda-forge");
    CHECK(back->subdir == "linux-64");
    CHECK(std::find(back->depends.begin(), back->depends.end(), "python_abi 3.12.* *_cp312") != back->depends.end());
    auto no_build = entry;
    no_build.build.clear();
    CHECK(lock::to_record(no_build)->build == "py312h8753938_0");
    auto bad = entry;
    bad.url = "https://host/numpy.whl";
    CHECK(!lock::to_record(bad));
}

TEST_CASE("errors name the file and line") {
    SECTION("a missing hash") {
        const std::string text =
            "version: 1\nmetadata:\n  platforms: [linux-64]\n  channels: []\n  sources: []\n  content_hash: {}\n"
            "package:\n- name: a\n  version: '1'\n  manager: conda\n  platform: linux-64\n  url: https://h/c/linux-64/a-1-0.conda\n";
        auto read = lock::parse_lockfile(text, "x-lock.yml");
        REQUIRE(!read);
        CHECK(read.error().location->file == "x-lock.yml");
        CHECK(read.error().location->line == 8);
        CHECK_THAT(read.error().message, Catch::Contains("hash"));
    }
    SECTION("a platform not in metadata") {
        const std::string text =
            "version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n- name: a\n  version: '1'\n  manager: conda\n"
            "  platform: win-64\n  url: https://h/c/win-64/a-1-0.conda\n  hash: {md5: " + std::string(32, '0') + "}\n";
        auto read = lock::parse_lockfile(text, "x-lock.yml");
        REQUIRE(!read);
        CHECK(read.error().location->line == 8);
        CHECK_THAT(read.error().message, Catch::Contains("win-64"));
    }
    SECTION("a duplicate entry") {
        const std::string entry = "- name: a\n  version: '1'\n  manager: conda\n  platform: linux-64\n"
                                  "  url: https://h/c/linux-64/a-1-0.conda\n  hash: {md5: " + std::string(32, '0') + "}\n";
        auto read = lock::parse_lockfile("metadata:\n  platforms: [linux-64]\npackage:\n" + entry + entry, "x-lock.yml");
        REQUIRE(!read);
        CHECK(read.error().location->line == 10);
        CHECK_THAT(read.error().message, Catch::Contains("first at line 4"));
    }
    SECTION("invalid YAML") {
        auto read = lock::parse_lockfile("metadata: [\n", "x-lock.yml");
        REQUIRE(!read);
        CHECK(read.error().location->line >= 1);
    }
    SECTION("not UTF-8") {
        auto read = lock::parse_lockfile("version: 1\nmetadata: \xff\n", "x-lock.yml");
        REQUIRE(!read);
        CHECK(read.error().location->line == 2);
    }
}

TEST_CASE("the real conda-lock v1 files of mamba and rattler are read") {
    if (!have_fixtures()) return;
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "conda-lock")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path().string());
        auto text = read_file(entry.path());
        REQUIRE(text);
        CHECK(lock::detect_kind(*text) == lock::FileKind::CondaLockV1);
        auto read = lock::parse_lockfile(*text, entry.path().string());
        REQUIRE(read);
        ++files;
        // Every conda entry converts to a record; writing and reading again keeps the entries.
        for (const auto& package : read->packages)
            if (package.manager == lock::Manager::Conda) CHECK(lock::to_record(package));
        auto again = lock::parse_lockfile(lock::format_lockfile(*read), "again");
        REQUIRE(again);
        CHECK(again->packages.size() == read->packages.size());
        CHECK(again->metadata.platforms.size() == read->metadata.platforms.size());
    }
    CHECK(files == 14);
}

TEST_CASE("fixture details: categories, missing category, pip entries, constrains") {
    if (!have_fixtures()) return;
    auto overlap = lock::read_lockfile(fixtures / "conda-lock/mamba/libmamba/good_overlap_categories-lock.yaml");
    REQUIRE(overlap);
    const std::vector<std::string> both = {"foo", "bar"};
    const auto selected = lock::select_packages(*overlap, "linux-64", both);
    std::set<std::pair<std::string, lock::Manager>> unique;
    for (const auto* entry : selected) CHECK(unique.emplace(entry->name, entry->manager).second);
    CHECK(!selected.empty());

    auto missing = lock::read_lockfile(fixtures / "conda-lock/mamba/libmamba/good_one_package_missing_category-lock.yaml");
    REQUIRE(missing);
    REQUIRE(missing->packages.size() == 1);
    CHECK(missing->packages[0].category == "main");

    auto one = lock::read_lockfile(fixtures / "conda-lock/mamba/libmamba/good_one_package-lock.yaml");
    REQUIRE(one);
    CHECK(one->packages[0].constrains == std::vector<lock::Dependency>{{"zlib", "==1.2.11 *_1013"}});

    auto categories = lock::read_lockfile(fixtures / "conda-lock/mamba/libmamba/good_multiple_categories-lock.yaml");
    REQUIRE(categories);
    const std::vector<std::string> main_only = {"main"};
    const std::vector<std::string> main_dev = {"main", "dev"};
    CHECK(lock::select_packages(*categories, "linux-64", main_only).size() == 8);
    CHECK(lock::select_packages(*categories, "linux-64", main_dev).size() == 37);

    auto pip = lock::read_lockfile(fixtures / "conda-lock/rattler/v0/pypi-matplotlib-conda-lock.yml");
    REQUIRE(pip);
    CHECK(std::count_if(pip->packages.begin(), pip->packages.end(),
                        [](const auto& entry) { return entry.manager == lock::Manager::Pip; }) > 0);
}

TEST_CASE("invalid and foreign lockfiles are rejected with clear errors") {
    if (!have_fixtures()) return;
    struct Case {
        const char* path;
        const char* says;
    };
    const Case cases[] = {
        {"invalid/mamba/libmamba/bad_package-lock.yaml", "hash"},
        {"invalid/mamba/libmamba/bad_version-lock.yaml", "version"},
        {"invalid/rattler/forward-compatible-lock.yml", "too new"},
        {"invalid/mamba/libmamba/bad_version-lock.json", "mambajs"},
        {"invalid/mamba/libmamba/bad_package-lock.json", "mambajs"},
        {"invalid/rattler/v7/duplicate_platform.yml", "pixi"},
        {"pixi-lock/rattler/v6/python-from-conda-only-lock.yml", "pixi"},
        {"pixi-lock/rattler/v3/robostack-turtlesim-conda-lock.yml", "version 3"},
        {"mambajs/mamba/libmamba/good_one_package-lock.json", "mambajs"},
    };
    for (const auto& c : cases) {
        INFO(c.path);
        auto read = lock::read_lockfile(fixtures / c.path);
        REQUIRE(!read);
        REQUIRE(read.error().location);
        CHECK(read.error().location->file == (fixtures / c.path).string());
        CHECK(read.error().location->line >= 1);
        CHECK_THAT(read.error().message, Catch::Contains(c.says));
    }
    // Every pixi lock is recognised as such.
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "pixi-lock")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path().string());
        auto read = lock::read_lockfile(entry.path());
        REQUIRE(!read);
        CHECK_THAT(read.error().message, Catch::Contains("pixi"));
    }
}

TEST_CASE("explicit files become records") {
    spec::ExplicitPackage package;
    package.url = "https://conda.anaconda.org/conda-forge/linux-64/zlib-1.3.1-hb9d3cd8_2.conda";
    package.filename = "zlib-1.3.1-hb9d3cd8_2.conda";
    package.md5 = std::string(32, 'a');
    auto record = lock::explicit_record(package);
    REQUIRE(record);
    CHECK(record->name == "zlib");
    CHECK(record->version.str() == "1.3.1");
    CHECK(record->build == "hb9d3cd8_2");
    CHECK(record->subdir == "linux-64");
    CHECK(record->channel == "https://conda.anaconda.org/conda-forge");
    const auto text = lock::format_explicit(std::span(&*record, 1), "linux-64");
    CHECK(text.find("# platform: linux-64\n@EXPLICIT\n" + package.url + "#" + package.md5 + "\n") != std::string::npos);
    package.url = "relative/zlib-1.3.1-hb9d3cd8_2.conda";
    CHECK(!lock::explicit_record(package));

    if (!have_fixtures()) return;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "explicit")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path().string());
        auto contents = read_file(entry.path());
        REQUIRE(contents);
        CHECK(lock::detect_kind(*contents) == lock::FileKind::Explicit);
        auto file = spec::parse_text_spec(*contents, entry.path().string());
        REQUIRE(file);
        for (const auto& line : file->packages) CHECK(lock::explicit_record(line));
    }
}
