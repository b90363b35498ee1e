#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "envctl/conda/package_record.hpp"

using namespace envctl::conda;
using nlohmann::json;

namespace {

PackageRecord read(const json& object, std::string_view filename = "pkg-1.0-0.tar.bz2", const RecordOrigin& origin = {}) {
    auto record = record_from_json(object, filename, origin);
    if (!record) FAIL(record.error().message);
    return *record;
}

const RecordOrigin kForge{"https://conda.anaconda.org/conda-forge", "linux-64", ""};

}  // namespace

TEST_CASE("a repodata entry becomes a record") {
    const auto object = json::parse(R"({
        "build": "py312h1234_0", "build_number": 0, "depends": ["python >=3.12,<3.13.0a0", "libblas >=3.9"],
        "constrains": ["numpy-base <0a0"], "license": "BSD-3-Clause", "license_family": "BSD",
        "md5": "0123456789ABCDEF0123456789abcdef",
        "sha256": "f453db4ffe2271ec492a2913af4e61d4a6c118201f07de757df0eff769b65d2e",
        "name": "numpy", "size": 8000000, "subdir": "linux-64", "timestamp": 1707225457364, "version": "1.26.4",
        "track_features": "", "arch": "x86_64", "platform": "linux"
    })");
    const auto record = read(object, "numpy-1.26.4-py312h1234_0.conda", kForge);
    CHECK(record.name == "numpy");
    CHECK(record.version == *Version::parse("1.26.4"));
    CHECK(record.version.str() == "1.26.4");
    CHECK(record.build == "py312h1234_0");
    CHECK(record.depends.size() == 2);
    CHECK(record.constrains == std::vector<std::string>{"numpy-base <0a0"});
    CHECK(record.track_features.empty());
    CHECK(record.noarch == NoArchType::None);
    CHECK(record.md5 == "0123456789abcdef0123456789abcdef");
    CHECK(record.sha256.size() == 64);
    CHECK(record.size == 8000000);
    CHECK(record.timestamp == 1707225457364);
    CHECK(record.fn == "numpy-1.26.4-py312h1234_0.conda");
    CHECK(record.channel == "https://conda.anaconda.org/conda-forge");
    CHECK(record.url == "https://conda.anaconda.org/conda-forge/linux-64/numpy-1.26.4-py312h1234_0.conda");
    CHECK(record.dist_name() == "numpy-1.26.4-py312h1234_0");
}

TEST_CASE("real-data quirks") {
    SECTION("noarch spellings") {
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"noarch", true}}).noarch == NoArchType::Generic);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"noarch", false}}).noarch == NoArchType::None);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"noarch", ""}}).noarch == NoArchType::None);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"noarch", "python"}}).noarch == NoArchType::Python);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"noarch", "generic"}}).noarch == NoArchType::Generic);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"noarch", nullptr}}).noarch == NoArchType::None);
        CHECK_FALSE(record_from_json(json{{"name", "a"}, {"version", "1"}, {"noarch", "java"}}).has_value());
    }
    SECTION("nulls and missing fields") {
        const auto record = read(json{{"name", "a"}, {"version", "1"}, {"depends", nullptr}, {"constrains", nullptr},
                                      {"license", nullptr}, {"md5", nullptr}});
        CHECK(record.depends.empty());
        CHECK(record.constrains.empty());
        CHECK(record.license.empty());
        CHECK(record.md5.empty());
        CHECK(record.build.empty());
        CHECK(record.timestamp == 0);
    }
    SECTION("features as strings or lists") {
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"track_features", "foo,bar"}}).track_features ==
              std::vector<std::string>{"foo", "bar"});
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"track_features", "foo bar"}}).track_features ==
              std::vector<std::string>{"foo", "bar"});
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"track_features", json::array({"   foo   ", "  bar  "})}})
                  .track_features == std::vector<std::string>{"foo", "bar"});
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"features", "nomkl debug"}}).features ==
              std::vector<std::string>{"nomkl", "debug"});
    }
    SECTION("timestamps in seconds are normalised to milliseconds") {
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"timestamp", 1500000000}}).timestamp == 1500000000000);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"timestamp", 1500000000.25}}).timestamp == 1500000000250);
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"timestamp", 1500000000123}}).timestamp == 1500000000123);
    }
    SECTION("hashes that are not hex of the right length are unknown") {
        const auto record = read(json{{"name", "a"}, {"version", "1"}, {"md5", "dummy"}, {"sha256", "abc"}});
        CHECK(record.md5.empty());
        CHECK(record.sha256.empty());
    }
    SECTION("records without subdir take the origin's") {
        CHECK(read(json{{"name", "a"}, {"version", "1"}}, "a-1-0.tar.bz2", kForge).subdir == "linux-64");
        CHECK(read(json{{"name", "a"}, {"version", "1"}, {"subdir", "noarch"}}, "a-1-0.tar.bz2", kForge).url ==
              "https://conda.anaconda.org/conda-forge/noarch/a-1-0.tar.bz2");
    }
    SECTION("CEP 15 base_url decides the download URL") {
        const RecordOrigin origin{"https://conda.anaconda.org/conda-forge", "linux-64", "https://repo.anaconda.com/pkgs/main/linux-64/"};
        CHECK(read(json{{"name", "a"}, {"version", "1"}}, "a-1-0.conda", origin).url ==
              "https://repo.anaconda.com/pkgs/main/linux-64/a-1-0.conda");
    }
    SECTION("conda-meta fields win and lose their credentials") {
        const auto record = read(json{{"name", "a"}, {"version", "1"}, {"fn", "a-1-0.conda"},
                                      {"url", "https://u:p@host/t/tok/chan/linux-64/a-1-0.conda"},
                                      {"channel", "https://u:p@host/t/tok/chan/linux-64"}},
                                 "", kForge);
        CHECK(record.url == "https://host/chan/linux-64/a-1-0.conda");
        CHECK(record.channel == "https://host/chan");
        CHECK(record.fn == "a-1-0.conda");
    }
}

TEST_CASE("invalid records are rejected naming the file") {
    auto error_of = [](const json& object) {
        auto record = record_from_json(object, "bad-1-0.conda");
        REQUIRE_FALSE(record.has_value());
        return record.error().message;
    };
    CHECK_THAT(error_of(json::array()), Catch::Contains("bad-1-0.conda"));
    CHECK_THAT(error_of(json{{"version", "1"}}), Catch::Contains("'name'"));
    CHECK_THAT(error_of(json{{"name", "a"}}), Catch::Contains("'version'"));
    CHECK_THAT(error_of(json{{"name", "a"}, {"version", "1..0"}}), Catch::Contains("invalid version '1..0'"));
    CHECK_THAT(error_of(json{{"name", "a"}, {"version", "1"}, {"build_number", -1}}), Catch::Contains("'build_number'"));
    CHECK_THAT(error_of(json{{"name", "a"}, {"version", "1"}, {"depends", "python"}}), Catch::Contains("'depends'"));
    CHECK_THAT(error_of(json{{"name", "a"}, {"version", 1}}), Catch::Contains("'version'"));
}

TEST_CASE("to_json writes the repodata-record shape and reads back the same") {
    PackageRecord record;
    record.name = "tzdata";
    record.version = *Version::parse("2024a");
    record.build = "h0c530f3_0";
    record.depends = {"python"};
    record.track_features = {"a", "b"};
    record.noarch = NoArchType::Generic;
    record.subdir = "noarch";
    record.license = "LicenseRef-Public-Domain";
    record.md5 = "0123456789abcdef0123456789abcdef";
    record.size = 12;
    record.timestamp = 1707225457364;
    record.fn = "tzdata-2024a-h0c530f3_0.conda";
    record.channel = "https://conda.anaconda.org/conda-forge";
    record.url = "https://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda";
    const auto object = to_json(record);
    for (const char* key : {"name", "version", "build", "build_number", "subdir", "channel", "fn", "url", "depends",
                            "constrains", "md5", "sha256", "size", "timestamp"}) {
        INFO(key);
        CHECK(object.contains(key));
    }
    CHECK(object["noarch"] == "generic");
    CHECK(object["track_features"] == "a,b");
    CHECK(object["version"] == "2024a");
    const auto back = read(object, "");
    CHECK(to_json(back) == object);
}

TEST_CASE("archive file names") {
    auto parts = parse_archive_name("python_abi-3.12-4_cp312.conda");
    REQUIRE(parts.has_value());
    CHECK(parts->name == "python_abi");
    CHECK(parts->version == "3.12");
    CHECK(parts->build == "4_cp312");
    CHECK(parts->extension == ".conda");
    parts = parse_archive_name("ca-certificates-2024.2.2-hbcca054_0.tar.bz2");
    REQUIRE(parts.has_value());
    CHECK(parts->name == "ca-certificates");
    CHECK(parts->extension == ".tar.bz2");
    CHECK_FALSE(parse_archive_name("foo-1.0.zip").has_value());
    CHECK_FALSE(parse_archive_name("foo.conda").has_value());
    CHECK_FALSE(parse_archive_name("-1-0.conda").has_value());
    CHECK_FALSE(parse_archive_name("a--0.conda").has_value());
}
