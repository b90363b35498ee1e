// The JSON-to-store path: parsing quirks, the binary layout, invalidation of cache files.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "envctl/repodata/builder.hpp"
#include "envctl/repodata/parse.hpp"
#include "envctl/repodata/store.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::repodata;
namespace fs = std::filesystem;

namespace {

const char* kDocument = R"({
  "info": {"subdir": "linux-64"},
  "packages": {
    "zlib-1.2.13-h0_0.tar.bz2": {"name": "zlib", "version": "1.2.13", "build": "h0_0", "build_number": 0,
      "depends": ["libgcc-ng >=12"], "md5": "0123456789abcdef0123456789ABCDEF", "size": 10, "timestamp": 1660000000},
    "zlib-1.3.1-h1_0.tar.bz2": {"name": "zlib", "version": "1.3.1", "build": "h1_0", "build_number": 0,
      "depends": ["libzlib 1.3.1 h1_0"], "subdir": "linux-64"}
  },
  "packages.conda": {
    "zlib-1.3.1-h1_0.conda": {"name": "zlib", "version": "1.3.1", "build": "h1_0", "build_number": 0,
      "depends": ["libzlib 1.3.1 h1_0"], "constrains": null, "license": "Zlib", "noarch": "",
      "sha256": "ab00000000000000000000000000000000000000000000000000000000000000", "track_features": "a,b c"},
    "libzlib-1.3.1-h1_0.conda": {"name": "libzlib", "version": "1.3.1", "build": "h1_0", "build_number": 0,
      "depends": [], "timestamp": 1720000000123.0, "extra": {"nested": [1, {"x": "}"}]}},
    "odd name.conda": {"name": "weird", "version": "1.0", "build": "0", "depends": []}
  },
  "removed": ["zlib-1.2.11-h0_0.tar.bz2"],
  "repodata_version": 1
})";

Store parse_ok(std::string_view json, std::vector<std::string>* warnings = nullptr) {
    auto store = parse_repodata_json(json, [&](const std::string& message) {
        if (warnings) warnings->push_back(message);
    });
    if (!store) FAIL(store.error().message);
    return std::move(*store);
}

}  // namespace

TEST_CASE("records are grouped by name with interned fields") {
    auto store = parse_ok(kDocument);
    CHECK(store.info_subdir() == "linux-64");
    CHECK(store.repodata_version() == 1);
    REQUIRE(store.name_count() == 3);
    CHECK(store.name(0) == "libzlib");
    CHECK(store.name(1) == "weird");
    CHECK(store.name(2) == "zlib");
    // zlib-1.3.1-h1_0.tar.bz2 has a .conda twin: left out.
    CHECK(store.size() == 4);
    CHECK(store.skipped_records() == 1);
    const auto zlib = store.find_name("zlib");
    REQUIRE(zlib);
    const auto [first, last] = store.records_of(*zlib);
    REQUIRE(last - first == 2);
    const auto old = store.record(first);
    CHECK(old.version() == "1.2.13");
    CHECK(old.fn() == "zlib-1.2.13-h0_0.tar.bz2");
    CHECK(old.md5_hex() == "0123456789abcdef0123456789abcdef");
    CHECK(old.sha256_hex().empty());
    CHECK(old.timestamp() == 1660000000000ULL);  // seconds become milliseconds
    CHECK(old.subdir() == "linux-64");         // from info
    const auto current = store.record(first + 1);
    CHECK(current.is_conda_format());
    CHECK(current.license() == "Zlib");
    CHECK(current.track_features().size() == 3);
    CHECK(current.constrains().empty());
    CHECK(current.noarch() == conda::NoArchType::None);
    CHECK(current.depends().ids()[0] == store.record(first + 1).depends().ids()[0]);
    const auto libzlib = store.record(store.records_of(*store.find_name("libzlib")).first);
    CHECK(libzlib.timestamp() == 1720000000123ULL);
    const auto weird = store.record(store.records_of(*store.find_name("weird")).first);
    CHECK(weird.fn() == "odd name.conda");
    CHECK_FALSE(store.find_name("zli"));
    CHECK_FALSE(store.find_name("zzz"));
}

TEST_CASE("materialised records carry urls and the channel") {
    auto store = parse_ok(kDocument);
    const auto index = store.records_of(*store.find_name("zlib")).first + 1;
    const auto record = store.materialize(index, {"https://example.com/chan", "https://example.com/chan/linux-64"});
    CHECK(record.name == "zlib");
    CHECK(record.version.str() == "1.3.1");
    CHECK(record.fn == "zlib-1.3.1-h1_0.conda");
    CHECK(record.url == "https://example.com/chan/linux-64/zlib-1.3.1-h1_0.conda");
    CHECK(record.channel == "https://example.com/chan");
    CHECK(record.depends == std::vector<std::string>{"libzlib 1.3.1 h1_0"});
    CHECK(record.sha256.substr(0, 4) == "ab00");
}

TEST_CASE("CEP 15 base_url, absolute and relative") {
    auto absolute = parse_ok(R"({"info": {"subdir": "linux-64", "base_url": "https://repo.example/main/linux-64/"},
        "packages.conda": {"a-1-0.conda": {"name": "a", "version": "1", "build": "0"}}, "repodata_version": 2})");
    CHECK(absolute.repodata_version() == 2);
    CHECK(absolute.materialize(0, {"https://mirror/x", "https://mirror/x/linux-64"}).url ==
          "https://repo.example/main/linux-64/a-1-0.conda");
    auto relative = parse_ok(R"({"info": {"base_url": "../noarch"}, "repodata_version": 2,
        "packages": {"a-1-0.tar.bz2": {"name": "a", "version": "1", "build": "0"}}})");
    CHECK(relative.materialize(0, {"https://h/c", "https://h/c/linux-64"}).url == "https://h/c/noarch/a-1-0.tar.bz2");
}

TEST_CASE("quirky documents") {
    CHECK(parse_ok("{}").size() == 0);
    CHECK(parse_ok("  {\"packages\": {}}\n").size() == 0);
    CHECK(parse_ok(R"({"signatures": {"a": [1, 2, {"}": "]"}]}, "packages": {"a-1-0.tar.bz2": {"name": "a",
        "version": "1", "build": "0"}}, "info": {"default_python_version": "2.7", "arch": "x86_64"}})")
              .size() == 1);
    // Escaped keys.
    auto escaped = parse_ok(R"({"packages": {"a-1-\u0030.tar.bz2": {"name": "a", "version": "1", "build": "0"}}})");
    CHECK(escaped.record(0).fn() == "a-1-0.tar.bz2");
}

TEST_CASE("invalid records are skipped with warnings") {
    std::vector<std::string> warnings;
    auto store = parse_ok(R"({"packages": {
        "a.tar.bz2": {"name": "a", "version": "1", "build": "0", "depends": "not-a-list"},
        "b.tar.bz2": {"name": "b", "version": "1!!x", "build": "0"},
        "c.tar.bz2": {"version": "1", "build": "0"},
        "d.tar.bz2": {"name": "d", "version": "1", "build": "0", "build_number": -1},
        "e.tar.bz2": {"name": "e", "version": "1", "build": "0", "noarch": "rust"},
        "f.tar.bz2": [1, 2],
        "ok-1-0.tar.bz2": {"name": "ok", "version": "1", "build": "0"}}})",
                          &warnings);
    CHECK(store.size() == 1);
    CHECK(store.skipped_records() == 6);
    REQUIRE(warnings.size() == 4);
    CHECK(warnings[0].find("'a.tar.bz2'") != std::string::npos);
    CHECK(warnings[0].find("'depends' must be a list of strings") != std::string::npos);
    CHECK(warnings[3].find("3 more") != std::string::npos);
}

TEST_CASE("broken JSON is an error with the byte offset") {
    for (const char* text : {"", "[]", "{\"packages\": []}", "{\"packages\": {\"a\": 5 6}}", "{\"packages\": {\"a\": {\"name\": \"a\"}",
                             "{\"packages\": {\"a\" {}}}", "{} trailing", "{\"packages\": {\"a\": {\"name\": tru}}}"}) {
        auto store = parse_repodata_json(text);
        INFO(text);
        REQUIRE_FALSE(store);
        CHECK(store.error().kind == ErrorKind::Input);
    }
    auto error = parse_repodata_json("{\"packages\": {\"a\": {}} x").error();
    CHECK(error.message.find("byte 23") != std::string::npos);
}

TEST_CASE("chunked feeding gives the same store as one piece") {
    const std::string document = kDocument;
    for (std::size_t chunk : {1u, 2u, 7u, 64u, 1000u}) {
        StoreBuilder builder;
        JsonStreamParser parser(builder);
        for (std::size_t at = 0; at < document.size(); at += chunk)
            REQUIRE(parser.feed(std::string_view(document).substr(at, chunk)));
        REQUIRE(parser.finish());
        auto store = builder.finish_in_memory(7);
        REQUIRE(store);
        CHECK(store->size() == 4);
        CHECK(store->key() == 7);
        CHECK(store->record(store->records_of(*store->find_name("libzlib")).first).fn() == "libzlib-1.3.1-h1_0.conda");
    }
}

TEST_CASE("store files: keyed, validated, atomically replaced") {
    auto temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-store-test").value();
    const auto file = temp.path() / "repodata.store";
    StoreBuilder builder;
    JsonStreamParser parser(builder);
    REQUIRE(parser.feed(kDocument));
    REQUIRE(parser.finish());
    auto written = builder.finish_to_file(file, 1234);
    REQUIRE(written);
    CHECK(Store::open(file, 1234));
    CHECK(Store::open(file));
    auto stale = Store::open(file, 999);
    REQUIRE_FALSE(stale);
    CHECK(stale.error().message.find("stale") != std::string::npos);
    CHECK(std::distance(fs::directory_iterator(temp.path()), fs::directory_iterator()) == 1);

    const auto bytes = read_file(file).value();
    SECTION("truncated") {
        REQUIRE(write_file_atomic(file, std::string_view(bytes).substr(0, bytes.size() / 2)));
        CHECK_FALSE(Store::open(file, 1234));
    }
    SECTION("a flipped byte") {
        for (std::size_t at : {std::size_t{200}, bytes.size() / 2, bytes.size() - 3}) {
            auto damaged = bytes;
            damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
            REQUIRE(write_file_atomic(file, damaged));
            CHECK_FALSE(Store::open(file, 1234));
        }
    }
    SECTION("not a store") {
        REQUIRE(write_file_atomic(file, "hello"));
        CHECK_FALSE(Store::open(file));
        CHECK_FALSE(Store::from_bytes(std::string(200, 'x')));
    }
}
