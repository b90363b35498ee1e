// ops::conda_distributions: the Python distributions conda packages hold, read from extracted
// package cache entries and from a prefix's conda-meta.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/ops/pip_install.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

conda::PackageRecord record(std::string name, std::string version, std::string sha256) {
    conda::PackageRecord out;
    out.name = std::move(name);
    out.version = *conda::Version::parse(version);
    out.build = "py_0";
    out.depends = {"python >=3.8"};
    out.fn = fmt::format("{}-{}-py_0.conda", out.name, version);
    out.sha256 = std::move(sha256);
    return out;
}

void touch(const fs::path& file, std::string_view text = "") {
    fs::create_directories(file.parent_path());
    REQUIRE(write_file_atomic(file, text));
}

// An extracted cache entry as fetch writes it: <pkgs>/<stem>/ with info/repodata_record.json.
void extracted_entry(const fs::path& pkgs, const conda::PackageRecord& r, const std::vector<std::string>& files) {
    const auto entry = pkgs / fmt::format("{}-{}-py_0", r.name, r.version.str());
    touch(entry / "info" / "repodata_record.json", nlohmann::json{{"fn", r.fn}, {"sha256", r.sha256}, {"name", r.name}}.dump());
    for (const auto& file : files) touch(entry / file);
}

}  // namespace

TEST_CASE("conda_distributions reads the metadata folders of extracted cache entries") {
    auto temporary = *TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pip-distributions");
    const auto pkgs = temporary.path() / "pkgs";
    const auto torch = record("pytorch", "2.1.0", std::string(64, 'a'));
    const auto foo = record("foo-conda", "1.0", std::string(64, 'b'));
    const auto stale = record("stale", "1.0", std::string(64, 'c'));
    const auto missing = record("missing", "1.0", std::string(64, 'd'));
    extracted_entry(pkgs, torch, {"lib/python3.11/site-packages/torch-2.1.0.dist-info/METADATA", "lib/python3.11/site-packages/torch/__init__.py",
                                  "lib/python3.11/site-packages/torch/_vendor/x-1.0.dist-info/METADATA"});
    extracted_entry(pkgs, foo, {"site-packages/bar_dist-1.0.dist-info/METADATA", "site-packages/old-0.5-py3.11.egg-info"});
    // An entry of another build of the same file name: its hash differs, so it proves nothing.
    auto other = stale;
    other.sha256 = std::string(64, 'e');
    extracted_entry(pkgs, other, {"site-packages/stale_dist-1.0.dist-info/METADATA"});

    const auto found = ops::conda_distributions({torch, foo, stale, missing}, {temporary.path() / "absent", pkgs});
    REQUIRE(found.size() == 2);
    CHECK(found.at("pytorch") == std::vector<pip::DistributionName>{{"torch", "2.1.0"}});
    auto bar = found.at("foo-conda");
    std::sort(bar.begin(), bar.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    CHECK(bar == std::vector<pip::DistributionName>{{"bar_dist", "1.0"}, {"old", "0.5"}});
}

TEST_CASE("conda_distributions reads the files a prefix's conda-meta lists for the same record") {
    auto temporary = *TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pip-distributions");
    const auto prefix = temporary.path() / "env";
    const auto torch = record("pytorch", "2.1.0", std::string(64, 'a'));
    const auto other_version = record("foo-conda", "2.0", std::string(64, 'b'));
    touch(prefix / "conda-meta" / "pytorch-2.1.0-py_0.json",
          nlohmann::json{{"name", "pytorch"},
                         {"files", {"lib/python3.11/site-packages/torch-2.1.0.dist-info/METADATA", "lib/python3.11/site-packages/torch/__init__.py"}}}
              .dump());
    // conda-meta of another version of foo-conda: not the record being resolved.
    touch(prefix / "conda-meta" / "foo-conda-1.0-py_0.json",
          nlohmann::json{{"name", "foo-conda"}, {"files", {"site-packages/bar_dist-1.0.dist-info/METADATA"}}}.dump());
    touch(prefix / "conda-meta" / "broken-1.0-py_0.json", "{not json");
    const auto found = ops::conda_distributions({torch, other_version, record("broken", "1.0", "")}, {}, prefix);
    REQUIRE(found.size() == 1);
    CHECK(found.at("pytorch") == std::vector<pip::DistributionName>{{"torch", "2.1.0"}});
}
