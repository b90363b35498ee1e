// Cache state handling, msgpack/shard decoding, dependency names, and the loader against real
// sharded channels served on loopback.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include <fmt/format.h>

#include "../support/channel_server.hpp"
#include "envctl/conda/channel.hpp"
#include "envctl/repodata/cache.hpp"
#include "envctl/repodata/msgpack.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::repodata;
namespace fs = std::filesystem;

namespace {

// A tiny msgpack writer for test inputs.
struct Pack {
    std::string out;
    Pack& map(std::uint8_t n) { return raw(static_cast<char>(0x80 | n)); }
    Pack& array(std::uint8_t n) { return raw(static_cast<char>(0x90 | n)); }
    Pack& str(std::string_view text) {
        out.push_back(static_cast<char>(0xd9));
        out.push_back(static_cast<char>(text.size()));
        out.append(text);
        return *this;
    }
    Pack& bin(std::string_view bytes) {
        out.push_back(static_cast<char>(0xc4));
        out.push_back(static_cast<char>(bytes.size()));
        out.append(bytes);
        return *this;
    }
    Pack& uint(std::uint8_t value) { return raw(static_cast<char>(0xcc)).raw(static_cast<char>(value)); }
    Pack& raw(char c) {
        out.push_back(c);
        return *this;
    }
};

}  // namespace

TEST_CASE("cache state round trip and hostile state files") {
    CacheState state;
    state.url = "https://example.com/chan/linux-64";
    state.repodata = {"repodata.json.zst", "\"etag\"", "Mon, 01 Jan 2024 00:00:00 GMT", "max-age=60", 10, 20, 300, 400};
    state.variants["repodata.json.zst"] = {true, 20};
    state.variants["repodata_shards.msgpack.zst"] = {false, 20};
    auto parsed = parse_cache_state(cache_state_json(state));
    REQUIRE(parsed);
    CHECK(*parsed == state);
    CHECK_FALSE(parse_cache_state("[1]"));
    auto hostile = parse_cache_state(R"({"repodata": {"file": "../../etc/passwd", "etag": 5}})");
    REQUIRE(hostile);
    CHECK(hostile->repodata.file.empty());
    // Credentials never reach the file.
    state.url = "https://user:secret@example.com/t/tok-123/chan/linux-64";
    const auto text = cache_state_json(state);
    CHECK(text.find("secret") == std::string::npos);
    CHECK(text.find("tok-123") == std::string::npos);
    CHECK(cache_folder_name("https://u:p@example.com/t/abc/chan/linux-64") ==
          cache_folder_name("https://example.com/chan/linux-64"));
    CHECK(cache_folder_name("https://example.com/chan/linux-64").size() == 16);
}

TEST_CASE("freshness follows local_repodata_ttl") {
    CachedFile file;
    file.file = "repodata.json";
    file.checked_at = 1000;
    CHECK_FALSE(is_fresh(file, 0, 1001));
    CHECK_FALSE(is_fresh(file, 1, 1001));  // no max-age: revalidate
    file.cache_control = "public, max-age=30";
    CHECK(is_fresh(file, 1, 1029));
    CHECK_FALSE(is_fresh(file, 1, 1030));
    CHECK(is_fresh(file, 600, 1500));
    CHECK_FALSE(is_fresh(file, 600, 1600));
    CHECK_FALSE(is_fresh(file, 600, 900));  // the clock went back
    CHECK(cache_max_age("no-cache") == 0);
    CHECK(cache_max_age("max-age=\"12\"") == 12);
    CHECK_FALSE(cache_max_age("private"));
    CachedFile other = file;
    other.etag = "x";
    CHECK(store_key("u", file) != store_key("u", other));
    CHECK(store_key("u", file) == store_key("u", file));
}

TEST_CASE("dependency names") {
    CHECK(dependency_name("numpy >=1.26") == "numpy");
    CHECK(dependency_name("numpy>=1.26,<2") == "numpy");
    CHECK(dependency_name("conda-forge::NumPy") == "numpy");
    CHECK(dependency_name("conda-forge/linux-64::numpy[version='>=1']") == "numpy");
    CHECK(dependency_name("python_abi 3.11.* *_cp311") == "python_abi");
    CHECK(dependency_name("numpy=1.2=py_0") == "numpy");
    CHECK(dependency_name("  ") == "");
}

TEST_CASE("msgpack reader") {
    Pack pack;
    pack.map(2).str("a").array(3).uint(1).raw(static_cast<char>(0xff)).raw(static_cast<char>(0xc3)).str("b").bin("xy");
    msgpack::Reader reader(pack.out);
    auto top = reader.next();
    REQUIRE(top);
    CHECK(top->type == msgpack::Type::Map);
    CHECK(top->count == 2);
    CHECK(reader.next()->bytes == "a");
    CHECK(reader.skip());
    CHECK(reader.next()->bytes == "b");
    auto bin = reader.next();
    CHECK(bin->type == msgpack::Type::Binary);
    CHECK(bin->bytes == "xy");
    CHECK(reader.at_end());
    CHECK_FALSE(reader.next());
    // Truncated and hostile headers.
    for (std::string bad : {std::string("\xdb\xff\xff\xff\xff", 5), std::string("\xdd\xff\xff\xff\xff", 5),
                            std::string("\xc1"), std::string("\x92\x01", 2)}) {
        msgpack::Reader hostile(bad);
        CHECK_FALSE(hostile.skip());
    }
    std::string deep(100000, static_cast<char>(0x91));
    deep.push_back(0x01);
    msgpack::Reader nested(deep);
    CHECK(nested.skip());
}

TEST_CASE("shard index and shards, binary and hex hashes") {
    const std::string hash(32, '\x11');
    Pack index;
    index.map(3).str("version").uint(1).str("info").map(2).str("base_url").str("").str("shards_base_url").str("./s/");
    index.str("shards").map(2).str("numpy").bin(hash).str("python").str(std::string(64, 'a'));
    auto decoded = decode_shard_index(index.out);
    REQUIRE(decoded);
    CHECK(decoded->shards_base_url == "./s/");
    REQUIRE(decoded->find("numpy"));
    CHECK((*decoded->find("numpy"))[0] == 0x11);
    REQUIRE(decoded->find("python"));
    CHECK((*decoded->find("python"))[0] == 0xaa);
    CHECK_FALSE(decoded->find("scipy"));

    Pack shard;
    shard.map(2).str("packages.conda").map(2);
    shard.str("numpy-1.26.4-py311_0.conda").map(5).str("name").str("numpy").str("version").str("1.26.4");
    shard.str("build").str("py311_0").str("depends").array(2).str("python >=3.11").str("libblas >=3.9");
    shard.str("sha256").bin(hash);
    shard.str("bad.conda").map(1).str("name").uint(5);
    shard.str("removed").array(0);
    StoreBuilder builder;
    std::vector<std::string> warnings;
    std::vector<std::string> names;
    REQUIRE(decode_shard(shard.out, builder, [&](const std::string& w) { warnings.push_back(w); }, &names));
    CHECK(names == std::vector<std::string>{"python", "libblas"});
    CHECK(warnings.size() == 1);
    auto store = builder.finish_in_memory(0);
    REQUIRE(store);
    REQUIRE(store->size() == 1);
    CHECK(store->record(0).sha256_hex() == std::string(64, '1'));
    CHECK_FALSE(decode_shard("\x01", builder));
}

namespace {

#define REQUIRE_TOOLS(tool)                               \
    const auto tool = testing::channel_server_tool();     \
    if (!tool) {                                          \
        WARN(testing::missing_tools_message());           \
        return;                                           \
    }

Options test_options(const fs::path& cache) {
    Options options;
    options.cache_dir = cache;
    options.network.max_retries = 0;
    options.on_warning = [](const std::string&) {};
    return options;
}

}  // namespace

TEST_CASE("load_reachable over the real sharded fixture") {
    REQUIRE_TOOLS(tool);
    const auto channel_dir = testing::shared_dir() / "fixtures" / "channels" / "conda-format-repo";
    if (!fs::exists(channel_dir)) {
        WARN("skipped: ../shared/fixtures is absent");
        return;
    }
    auto temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-shards-test").value();
    testing::ChannelServer server(*tool, channel_dir, temp.path() / "server");
    auto channel = conda::Channel::resolve(server.url(), {});
    REQUIRE(channel);
    const std::vector<conda::Channel> channels = {*channel};
    const std::vector<std::string> subdirs = {"linux-64", "noarch"};
    const std::vector<std::string> roots = {"zlib >=1.2"};
    auto loaded = load_reachable(channels, subdirs, roots, test_options(temp.path() / "cache"));
    REQUIRE(loaded);
    REQUIRE(loaded->size() == 1);
    const auto& records = loaded->front().records;
    std::set<std::string> files;
    for (const auto& record : records) files.insert(record.fn);
    // zlib depends on libgcc-ng, whose shard is fetched too.
    CHECK(files.count("zlib-1.2.11-h7b6447c_3.conda") == 1);
    CHECK(std::any_of(records.begin(), records.end(), [](const auto& r) { return r.name == "libgcc-ng"; }));
    for (const auto& record : records) {
        CHECK(record.channel == server.url());
        CHECK(record.url == server.url() + "/linux-64/" + record.fn);
    }
}

TEST_CASE("load_reachable over a generated sharded channel fetches only what is reachable") {
    REQUIRE_TOOLS(tool);
    const auto make_channel = testing::shared_dir() / "tools" / "make-channel";
    auto temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-shards-gen").value();
    const auto channel_dir = temp.path() / "chan";
    const auto command = fmt::format("'{}' '{}' --records 3000 --shards > /dev/null", make_channel.string(), channel_dir.string());
    REQUIRE(std::system(command.c_str()) == 0);
    testing::ChannelServer server(*tool, channel_dir, temp.path() / "server");
    auto channel = conda::Channel::resolve(server.url(), {});
    REQUIRE(channel);
    const std::vector<conda::Channel> channels = {*channel};
    const std::vector<std::string> subdirs = {"linux-64", "noarch"};
    const std::vector<std::string> roots = {"python=3.11", "numpy"};
    auto options = test_options(temp.path() / "cache");
    auto sharded = load_names(channels, subdirs, roots, true, options);
    REQUIRE(sharded);
    std::size_t downloaded = 0;
    std::size_t total = 0;
    for (const auto& subdir : sharded->subdirs()) {
        CHECK(subdir.sharded);
        downloaded += subdir.shards_downloaded;
        total += subdir.shards_total;
    }
    CHECK(downloaded > 5);
    CHECK(downloaded * 2 < total);
    // The same closure as the monolithic repodata gives.
    auto via_shards = load_reachable(channels, subdirs, roots, options);
    options.use_shards = false;
    auto via_json = load_reachable(channels, subdirs, roots, options);
    REQUIRE(via_shards);
    REQUIRE(via_json);
    std::set<std::string> a;
    std::set<std::string> b;
    for (const auto& r : via_shards->front().records) a.insert(r.url + r.sha256 + r.md5);
    for (const auto& r : via_json->front().records) b.insert(r.url + r.sha256 + r.md5);
    CHECK(a == b);
    CHECK(a.size() > 20);
}
