// The pip resolver over a file:// simple index written by the tests (PEP 691 pages and PEP 658
// metadata files; the wheel files themselves are never read because the pages carry hashes).
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/pip/resolve.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

struct Dist {
    std::string name{}, version{}, tags = "py3-none-any";
    std::vector<std::string> requires_dist{};
    std::string requires_python{};
    bool yanked = false;
    std::vector<std::string> extras{};
    bool sdist = false;
};

class Index {
public:
    Index() : dir_(*TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pip-index")) {}

    void add(Dist dist) { dists_.push_back(std::move(dist)); }

    std::string url() {
        write();
        return pip::file_url(dir_.path() / "simple", "/");
    }
    const fs::path& path() const { return dir_.path(); }

private:
    void write() {
        std::map<std::string, nlohmann::json> pages;
        fs::create_directories(dir_.path() / "files");
        for (const auto& dist : dists_) {
            const auto escaped = pypi::escape_name(dist.name);
            const auto filename = dist.sdist ? fmt::format("{}-{}.tar.gz", escaped, dist.version)
                                             : fmt::format("{}-{}-{}.whl", escaped, dist.version, dist.tags);
            std::string metadata = fmt::format("Metadata-Version: 2.1\nName: {}\nVersion: {}\n", dist.name, dist.version);
            for (const auto& requirement : dist.requires_dist) metadata += "Requires-Dist: " + requirement + "\n";
            for (const auto& extra : dist.extras) metadata += "Provides-Extra: " + extra + "\n";
            if (!dist.requires_python.empty()) metadata += "Requires-Python: " + dist.requires_python + "\n";
            REQUIRE(write_file_atomic(dir_.path() / "files" / filename, "wheel bytes of " + filename));
            REQUIRE(write_file_atomic(dir_.path() / "files" / (filename + ".metadata"), metadata));
            nlohmann::json file{{"filename", filename},
                                {"url", "../../files/" + filename},
                                {"hashes", {{"sha256", sha256_hex("wheel bytes of " + filename)}}},
                                {"yanked", dist.yanked},
                                {"core-metadata", !dist.sdist}};
            if (!dist.requires_python.empty()) file["requires-python"] = dist.requires_python;
            auto& page = pages[pypi::normalize_name(dist.name)];
            if (page.is_null()) page = {{"meta", {{"api-version", "1.1"}}}, {"files", nlohmann::json::array()}};
            page["files"].push_back(file);
        }
        for (const auto& [name, page] : pages) {
            fs::create_directories(dir_.path() / "simple" / name);
            REQUIRE(write_file_atomic(dir_.path() / "simple" / name / "index.json", page.dump()));
        }
    }

    TemporaryDirectory dir_;
    std::vector<Dist> dists_;
};

struct Outcome {
    Result<pip::Resolution> resolution;
    std::map<std::string, std::string> versions() const {
        std::map<std::string, std::string> out;
        for (const auto& wheel : resolution->wheels) out[wheel.name] = wheel.version.to_string();
        return out;
    }
};

Outcome resolve(Index& index, std::initializer_list<const char*> texts, std::vector<pip::ProvidedDistribution> provided = {},
                std::string subdir = "linux-64", std::string python = "3.11.4") {
    std::vector<spec::PipLine> lines;
    std::size_t number = 20;
    lines.push_back({"--index-url " + index.url(), Location{"environment.yml", number++, 7}});
    for (const auto* text : texts) lines.push_back({text, Location{"environment.yml", number++, 7}});
    auto inputs = pip::read_pip_inputs(lines, index.path());
    REQUIRE(inputs);
    pip::IndexOptions options;
    options.index_urls = {inputs->index_url};
    options.find_links = inputs->find_links;
    pip::IndexClient client(options);
    pip::ResolveRequest request;
    request.inputs = &*inputs;
    request.target = {subdir, python, "2.28", std::nullopt};
    request.provided = std::move(provided);
    return {pip::resolve(request, client)};
}

using Versions = std::map<std::string, std::string>;

std::uint32_t crc32(std::string_view data) {
    std::uint32_t crc = 0xFFFFFFFFu;
    for (const unsigned char byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

// A stored (uncompressed) ZIP archive: enough of a wheel for reading its METADATA.
std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& members) {
    std::string out, central;
    const auto u16 = [](std::string& s, std::uint16_t v) { s += static_cast<char>(v & 0xFF); s += static_cast<char>(v >> 8); };
    const auto u32 = [&](std::string& s, std::uint32_t v) { u16(s, static_cast<std::uint16_t>(v & 0xFFFF)); u16(s, static_cast<std::uint16_t>(v >> 16)); };
    for (const auto& [name, data] : members) {
        const auto offset = static_cast<std::uint32_t>(out.size());
        const auto crc = crc32(data);
        const auto size = static_cast<std::uint32_t>(data.size());
        u32(out, 0x04034b50); u16(out, 20); u16(out, 0); u16(out, 0); u16(out, 0); u16(out, 0x21);
        u32(out, crc); u32(out, size); u32(out, size); u16(out, static_cast<std::uint16_t>(name.size())); u16(out, 0);
        out += name;
        out += data;
        u32(central, 0x02014b50); u16(central, 20); u16(central, 20); u16(central, 0); u16(central, 0); u16(central, 0);
        u16(central, 0x21); u32(central, crc); u32(central, size); u32(central, size);
        u16(central, static_cast<std::uint16_t>(name.size())); u16(central, 0); u16(central, 0); u16(central, 0); u16(central, 0);
        u32(central, 0); u32(central, offset);
        central += name;
    }
    const auto central_offset = static_cast<std::uint32_t>(out.size());
    out += central;
    u32(out, 0x06054b50); u16(out, 0); u16(out, 0);
    u16(out, static_cast<std::uint16_t>(members.size())); u16(out, static_cast<std::uint16_t>(members.size()));
    u32(out, static_cast<std::uint32_t>(central.size())); u32(out, central_offset); u16(out, 0);
    return out;
}

}  // namespace

TEST_CASE("pip resolve: newest versions that satisfy every requirement") {
    Index index;
    index.add({"app", "1.0", "py3-none-any", {"lib<2"}});
    index.add({"app", "2.0", "py3-none-any", {"lib<2", "helper>=1"}});
    index.add({"lib", "1.0"});
    index.add({"lib", "1.5"});
    index.add({"lib", "2.0"});
    index.add({"helper", "1.0"});
    auto outcome = resolve(index, {"app"});
    REQUIRE(outcome.resolution);
    CHECK(outcome.versions() == Versions{{"app", "2.0"}, {"helper", "1.0"}, {"lib", "1.5"}});
    CHECK(outcome.resolution->solves >= 2);  // lib 2.0 first, then more lib versions
    for (const auto& wheel : outcome.resolution->wheels) {
        CHECK(wheel.sha256.size() == 64);
        CHECK(wheel.requested == (wheel.name == "app"));
    }
}

TEST_CASE("pip resolve: extras and markers") {
    Index index;
    index.add({"app", "1.0", "py3-none-any",
               {"fastlib>=1; extra == 'fast'", "winonly; sys_platform == 'win32'", "oldpy; python_version < '3.8'", "always"},
               "", false, {"fast"}});
    index.add({"fastlib", "1.2"});
    index.add({"winonly", "1.0"});
    index.add({"oldpy", "1.0"});
    index.add({"always", "3.0"});
    auto plain = resolve(index, {"app"});
    REQUIRE(plain.resolution);
    CHECK(plain.versions() == Versions{{"always", "3.0"}, {"app", "1.0"}});
    auto fast = resolve(index, {"app[fast]"});
    REQUIRE(fast.resolution);
    CHECK(fast.versions() == Versions{{"always", "3.0"}, {"app", "1.0"}, {"fastlib", "1.2"}});
    CHECK(fast.resolution->wheels[1].extras == std::vector<std::string>{"fast"});
    auto windows = resolve(index, {"app"}, {}, "win-64");
    REQUIRE(windows.resolution);
    CHECK(windows.versions().count("winonly") == 1);
    auto marked = resolve(index, {"app; sys_platform == 'darwin'"});
    REQUIRE(marked.resolution);
    CHECK(marked.resolution->wheels.empty());
}

TEST_CASE("pip resolve: pre-releases, yanked files and requires-python") {
    Index index;
    index.add({"lib", "1.0"});
    index.add({"lib", "2.0rc1"});
    index.add({"lib", "1.5", "py3-none-any", {}, "", true});
    index.add({"lib", "1.8", "py3-none-any", {}, ">=3.12"});
    index.add({"onlypre", "0.1b1"});
    CHECK(resolve(index, {"lib"}).versions() == Versions{{"lib", "1.0"}});
    CHECK(resolve(index, {"lib", "--pre"}).versions() == Versions{{"lib", "2.0rc1"}});
    CHECK(resolve(index, {"lib>=2.0rc1"}).versions() == Versions{{"lib", "2.0rc1"}});
    CHECK(resolve(index, {"lib==1.5"}).versions() == Versions{{"lib", "1.5"}});
    CHECK(resolve(index, {"lib"}, {}, "linux-64", "3.12.1").versions() == Versions{{"lib", "1.8"}});
    CHECK(resolve(index, {"onlypre"}).versions() == Versions{{"onlypre", "0.1b1"}});
    auto too_new = resolve(index, {"lib==1.8"});
    REQUIRE_FALSE(too_new.resolution);
    CHECK(too_new.resolution.error().kind == ErrorKind::Unsatisfiable);
    CHECK(too_new.resolution.error().message.find("environment.yml:21") != std::string::npos);
}

TEST_CASE("pip resolve: constraints files") {
    Index index;
    index.add({"app", "1.0", "py3-none-any", {"lib"}});
    index.add({"lib", "1.0"});
    index.add({"lib", "2.0"});
    REQUIRE(write_file_atomic(index.path() / "constraints.txt", "lib<2\nunused==1\n"));
    auto outcome = resolve(index, {"app", "-c constraints.txt"});
    REQUIRE(outcome.resolution);
    CHECK(outcome.versions() == Versions{{"app", "1.0"}, {"lib", "1.0"}});
}

TEST_CASE("pip resolve: wheel tags for the target") {
    Index index;
    index.add({"native", "1.0", "cp311-cp311-manylinux_2_17_x86_64"});
    index.add({"native", "1.1", "cp311-cp311-manylinux_2_34_x86_64"});  // needs a newer glibc than 2.28
    index.add({"native", "1.2", "cp312-cp312-manylinux_2_17_x86_64"});
    CHECK(resolve(index, {"native"}).versions() == Versions{{"native", "1.0"}});
    auto mac = resolve(index, {"native"}, {}, "osx-arm64");
    REQUIRE_FALSE(mac.resolution);
    CHECK(mac.resolution.error().message.find("no wheel of 'native' fits python 3.11.4 on osx-arm64") != std::string::npos);
}

TEST_CASE("pip resolve: packages conda provides are not reinstalled") {
    Index index;
    index.add({"app", "1.0", "py3-none-any", {"numpy>=1.20"}});
    index.add({"numpy", "2.0", "cp311-cp311-manylinux_2_17_x86_64"});
    const std::vector<pip::ProvidedDistribution> conda = {{"numpy", "1.26.4", "numpy 1.26.4 (conda)"}};
    auto outcome = resolve(index, {"app"}, conda);
    REQUIRE(outcome.resolution);
    CHECK(outcome.versions() == Versions{{"app", "1.0"}});
    REQUIRE(outcome.resolution->from_conda.size() == 1);
    CHECK(outcome.resolution->from_conda[0].name == "numpy");
    auto conflict = resolve(index, {"numpy>=2"}, conda);
    REQUIRE_FALSE(conflict.resolution);
    CHECK(conflict.resolution.error().kind == ErrorKind::Unsatisfiable);
    CHECK(conflict.resolution.error().message.find("numpy 1.26.4 (conda)") != std::string::npos);
}

TEST_CASE("pip resolve: source-only projects and unknown names are errors naming the line") {
    Index index;
    index.add({"app", "1.0", "py3-none-any", {"buildme"}});
    index.add({"buildme", "1.0", "", {}, "", false, {}, true});
    auto direct = resolve(index, {"buildme"});
    REQUIRE_FALSE(direct.resolution);
    CHECK(direct.resolution.error().kind == ErrorKind::Input);
    CHECK(direct.resolution.error().message.find("environment.yml:21:7: 'buildme'") != std::string::npos);
    CHECK(direct.resolution.error().message.find("only source distributions") != std::string::npos);
    auto indirect = resolve(index, {"app"});
    REQUIRE_FALSE(indirect.resolution);
    CHECK(indirect.resolution.error().message.find("app 1.0 requires 'buildme'") != std::string::npos);
    auto unknown = resolve(index, {"nothere"});
    REQUIRE_FALSE(unknown.resolution);
    CHECK(unknown.resolution.error().message.find("no index has a project named 'nothere'") != std::string::npos);
}

TEST_CASE("pip resolve: a direct wheel reference is the only candidate of its project") {
    Index index;
    index.add({"lib", "1.0"});
    index.add({"lib", "2.0"});
    const auto wheel = index.path() / "local" / "lib-1.7-py3-none-any.whl";
    fs::create_directories(wheel.parent_path());
    const auto bytes = stored_zip({{"lib/__init__.py", ""},
                                   {"lib-1.7.dist-info/METADATA", "Metadata-Version: 2.1\nName: lib\nVersion: 1.7\nRequires-Dist: helper\n"}});
    REQUIRE(write_file_atomic(wheel, bytes));
    index.add({"helper", "0.5"});
    auto outcome = resolve(index, {"./local/lib-1.7-py3-none-any.whl"});
    REQUIRE(outcome.resolution);
    CHECK(outcome.versions() == Versions{{"helper", "0.5"}, {"lib", "1.7"}});
    CHECK(outcome.resolution->wheels[1].direct);
    CHECK(outcome.resolution->wheels[1].sha256 == sha256_hex(bytes));
}
