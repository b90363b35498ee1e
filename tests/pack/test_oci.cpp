#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "envctl/pack/oci.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::pack;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

PackPackage package_named(const std::string& name, std::uint64_t size) {
    PackPackage package;
    package.record.name = name;
    package.record.version = *conda::Version::parse("1.0");
    package.record.build = "0";
    package.payload_size = size;
    PackFile file;
    file.path = "share/" + name + ".txt";
    file.generated = name + "\n";
    package.files.push_back(file);
    return package;
}

EnvironmentContents contents_with(std::size_t count, std::uint64_t size = 10) {
    EnvironmentContents contents;
    contents.platform = "linux-64";
    for (std::size_t i = 0; i < count; ++i) contents.packages.push_back(package_named("pkg" + std::to_string(i), size));
    return contents;
}

json read_json(const fs::path& file) { return json::parse(*read_file(file)); }

json blob(const fs::path& layout, const std::string& digest) {
    return read_json(layout / "blobs/sha256" / digest.substr(7));
}

}  // namespace

TEST_CASE("conda platforms map to OCI platforms and back", "[oci]") {
    CHECK(oci_platform_of("linux-64")->text() == "linux/amd64");
    CHECK(oci_platform_of("linux-aarch64")->text() == "linux/arm64");
    CHECK(oci_platform_of("linux-armv7l")->text() == "linux/arm/v7");
    CHECK_FALSE(oci_platform_of("noarch"));
    CHECK(*subdir_of_platform("linux/amd64") == "linux-64");
    CHECK(*subdir_of_platform("linux-ppc64le") == "linux-ppc64le");
    CHECK(*subdir_of_platform("linux/arm/v7") == "linux-armv7l");
    CHECK_FALSE(subdir_of_platform("plan9/amd64"));
}

TEST_CASE("small environments get one layer per package", "[oci]") {
    const auto groups = layer_groups(contents_with(5), 64);
    REQUIRE(groups.size() == 5);
    for (std::size_t i = 0; i < groups.size(); ++i) CHECK(groups[i] == std::vector<std::size_t>{i});
}

TEST_CASE("large environments are bucketed by name, big packages alone", "[oci]") {
    auto contents = contents_with(200);
    contents.packages[7].payload_size = 100ull << 20;
    const auto groups = layer_groups(contents, 16);
    CHECK(groups.size() <= 15);
    std::size_t total = 0;
    bool seven_alone = false;
    for (const auto& group : groups) {
        total += group.size();
        if (group == std::vector<std::size_t>{7}) seven_alone = true;
    }
    CHECK(total == 200);
    CHECK(seven_alone);
    // A package's bucket depends on its name only: changing another package's version or size
    // (below the threshold) leaves the groups as they are.
    auto changed = contents;
    changed.packages[3].record.version = *conda::Version::parse("2.0");
    changed.packages[3].payload_size = 999;
    CHECK(layer_groups(changed, 16) == groups);
}

TEST_CASE("OCI layouts are deterministic and self-consistent", "[oci]") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-oci-");
    REQUIRE(root);
    auto contents = contents_with(3);
    contents.env_vars = {{"MY_VAR", "1"}};
    PackFile history;
    history.path = "conda-meta/history";
    history.generated = "";
    contents.other_files.push_back(history);
    OciOptions options;
    options.output = root->path() / "one";
    options.tag = "demo:v1";
    options.entrypoint = {"tool", "--flag"};
    auto one = write_oci_image(contents, options);
    REQUIRE(one);
    options.output = root->path() / "two";
    auto two = write_oci_image(contents, options);
    REQUIRE(two);
    CHECK(one->manifest_digest == two->manifest_digest);
    CHECK(one->layers.size() == 4);
    CHECK(one->ref_name == "v1");

    const auto layout = root->path() / "one";
    const auto index = read_json(layout / "index.json");
    REQUIRE(index["manifests"].size() == 1);
    CHECK(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == "v1");
    CHECK(index["manifests"][0]["digest"] == one->manifest_digest);
    const auto manifest = blob(layout, one->manifest_digest);
    CHECK(manifest["layers"].size() == 4);
    for (const auto& layer : manifest["layers"]) {
        const auto data = *read_file(layout / "blobs/sha256" / layer["digest"].get<std::string>().substr(7));
        CHECK("sha256:" + sha256_hex(data) == layer["digest"]);
        CHECK(data.size() == layer["size"]);
    }
    const auto config = blob(layout, manifest["config"]["digest"]);
    CHECK(config["config"]["Entrypoint"] == json({"tool", "--flag"}));
    CHECK(config["config"]["Env"][0] == "PATH=/opt/env/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    CHECK(config["config"]["Env"].back() == "MY_VAR=1");
    CHECK(config["rootfs"]["diff_ids"].size() == 4);
    CHECK(config["created"] == "1970-01-01T00:00:00Z");

    // A second tag in the same layout keeps the first.
    options.output = layout;
    options.tag = "demo:v2";
    options.prefix = "/srv/env";
    REQUIRE(write_oci_image(contents, options));
    CHECK(read_json(layout / "index.json")["manifests"].size() == 2);

    options.prefix = "relative";
    CHECK_FALSE(write_oci_image(contents, options));
    options.prefix = "/opt/env";
    options.platform = "linux/arm64";
    CHECK_FALSE(write_oci_image(contents, options));  // the packages are for linux-64
}
