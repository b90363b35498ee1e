#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "envctl/conda/version.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/link/transaction.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::link;
namespace fs = std::filesystem;

namespace {
conda::PackageRecord record(const std::string& name, const std::string& version, std::vector<std::string> depends = {},
                            conda::NoArchType noarch = conda::NoArchType::None) {
    nlohmann::json json{{"name", name}, {"version", version}, {"build", "0"}, {"depends", depends}, {"subdir", "linux-64"}};
    auto parsed = conda::record_from_json(json, name + "-" + version + "-0.conda");
    REQUIRE(parsed);
    parsed->noarch = noarch;
    parsed->channel = "https://example.org/chan";
    return *parsed;
}
}  // namespace

TEST_CASE("prefix records round-trip through conda-meta JSON") {
    PrefixRecord prefix_record;
    prefix_record.record = record("demo", "1.0", {"python >=3.8"});
    prefix_record.record.sha256 = std::string(64, 'a');
    prefix_record.requested_spec = "demo>=1";
    prefix_record.extracted_package_dir = "/pkgs/demo-1.0-0";
    prefix_record.package_tarball_full_path = "/pkgs/demo-1.0-0.conda";
    InstalledPath file;
    file.path = "bin/demo";
    file.sha256 = std::string(64, 'b');
    file.sha256_in_prefix = std::string(64, 'c');
    file.size = 12;
    file.prefix_placeholder = "/opt/anaconda1anaconda2anaconda3";
    file.file_mode = "text";
    InstalledPath link;
    link.path = "lib/libdemo.so";
    link.path_type = "softlink";
    prefix_record.paths = {file, link};
    const auto json = prefix_record_json(prefix_record);
    CHECK(json["files"] == nlohmann::json::array({"bin/demo", "lib/libdemo.so"}));
    CHECK(json["paths_data"]["paths_version"] == 1);
    CHECK(json["paths_data"]["paths"][0]["sha256_in_prefix"] == std::string(64, 'c'));
    CHECK(json["link"]["type"] == 1);
    CHECK(json["link"]["source"] == "/pkgs/demo-1.0-0");
    CHECK(json["requested_spec"] == "demo>=1");
    CHECK(json["fn"] == "demo-1.0-0.conda");
    auto parsed = parse_prefix_record(json.dump(), "demo-1.0-0.json");
    REQUIRE(parsed);
    CHECK(parsed->paths == prefix_record.paths);
    CHECK(parsed->record.dist_name() == "demo-1.0-0");
    CHECK(parsed->requested_spec == "demo>=1");
    CHECK(parsed->extracted_package_dir == "/pkgs/demo-1.0-0");
}

TEST_CASE("records written by other tools without paths_data fall back to files") {
    const auto text = R"({"name": "zlib", "version": "1.2.13", "build": "h0", "build_number": 0,
                          "files": ["lib/libz.so", "include/zlib.h"]})";
    auto parsed = parse_prefix_record(text, "zlib-1.2.13-h0.json");
    REQUIRE(parsed);
    REQUIRE(parsed->paths.size() == 2);
    CHECK(parsed->paths[1].path == "include/zlib.h");
    CHECK(parsed->paths[1].path_type == "hardlink");
    CHECK_FALSE(parse_prefix_record("[1]", "x.json"));
}

TEST_CASE("history blocks and requested specs") {
    HistoryEntry entry;
    entry.timestamp = "2024-05-01 10:00:00";
    entry.command = "envctl create -p /e python";
    entry.tool_version = "0.1.0";
    entry.linked = {"https://c/linux-64::python-3.11.0-0"};
    entry.unlinked = {"https://c/linux-64::python-3.10.0-0"};
    entry.update_specs = {"python=3.11", "it's"};
    const auto block = history_block(entry);
    CHECK(block ==
          "==> 2024-05-01 10:00:00 <==\n# cmd: envctl create -p /e python\n# envctl version: 0.1.0\n"
          "-https://c/linux-64::python-3.10.0-0\n+https://c/linux-64::python-3.11.0-0\n"
          "# update specs: ['python=3.11', \"it's\"]\n");
    CHECK(history_dist(record("zlib", "1.3")) == "https://example.org/chan/linux-64::zlib-1.3-0");

    auto dir = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-history-");
    REQUIRE(dir);
    fs::create_directories(dir->path() / "conda-meta");
    std::ofstream(dir->path() / "conda-meta" / "history")
        << "==> 2024 <==\n# update specs: ['python=3.11', 'numpy']\n"
           "==> 2024 <==\n# update specs: [\"numpy>=1.26\", 'requests']\n"
           "==> 2024 <==\n# remove specs: ['requests']\n";
    auto specs = requested_specs_from_history(dir->path());
    REQUIRE(specs);
    CHECK(*specs == std::vector<std::string>{"python=3.11", "numpy>=1.26"});
    CHECK(is_environment(dir->path()));
}

TEST_CASE("state files keep the variables' order") {
    CHECK(state_json({{"B", "2"}, {"A", "1"}}) == "{\n  \"env_vars\": {\n    \"B\": \"2\",\n    \"A\": \"1\"\n  }\n}\n");
}

TEST_CASE("dependency order: dependencies first, python first, noarch python last") {
    const auto python = record("python", "3.11");
    const auto openssl = record("openssl", "3.0");
    const auto libpython_user = record("app", "1.0", {"openssl >=3", "python"});
    const auto noarch = record("black", "24.1", {"python >=3.8", "click"}, conda::NoArchType::Python);
    const auto click = record("click", "8.0", {"python"}, conda::NoArchType::Python);
    std::vector<const conda::PackageRecord*> records = {&noarch, &libpython_user, &click, &openssl, &python};
    const auto order = dependency_order(records);
    std::vector<std::string> names;
    for (const auto i : order) names.push_back(records[i]->name);
    CHECK(names == std::vector<std::string>{"python", "openssl", "app", "click", "black"});
}

TEST_CASE("dependency order survives cycles") {
    const auto a = record("a", "1", {"b"});
    const auto b = record("b", "1", {"a"});
    const auto c = record("c", "1", {"a"});
    std::vector<const conda::PackageRecord*> records = {&c, &b, &a};
    const auto order = dependency_order(records);
    std::vector<std::string> names;
    for (const auto i : order) names.push_back(records[i]->name);
    CHECK(names == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("python context from the python record") {
    auto context = python_context(record("python", "3.11.4"));
    REQUIRE(context);
    CHECK(context->version == "3.11");
    CHECK(context->site_packages == "lib/python3.11/site-packages");
    auto with_path = record("python", "3.13.0");
    with_path.python_site_packages_path = "lib/python3.13t/site-packages";
    CHECK(python_context(with_path)->site_packages == "lib/python3.13t/site-packages");
    CHECK_FALSE(python_context(record("python", "3")));
}
