#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

using namespace std::string_literals;

#include "envctl/pack/contents.hpp"
#include "envctl/pack/tar_pack.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::pack;
namespace fs = std::filesystem;

namespace {

const std::string placeholder = "/opt/placeholder_" + std::string(60, 'p');

void write(const fs::path& file, const std::string& data) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << data;
}

std::string read(const fs::path& file) { return *read_file(file); }

// A tiny environment from "cache" files: a text script and a binary blob with placeholders.
EnvironmentContents sample_contents(const fs::path& source) {
    write(source / "tool", "#!" + placeholder + "/bin/sh\necho " + placeholder + "/share\n");
    write(source / "blob", std::string("AB\0", 3) + placeholder + std::string("/lib\0tail", 9));
    EnvironmentContents contents;
    contents.platform = "linux-64";
    PackPackage package;
    package.record.name = "demo";
    package.record.version = *conda::Version::parse("1.0");
    package.record.build = "0";
    PackFile tool;
    tool.path = "bin/tool";
    tool.source = source / "tool";
    tool.executable = true;
    tool.placeholder = placeholder;
    PackFile blob;
    blob.path = "lib/blob.so";
    blob.source = source / "blob";
    blob.placeholder = placeholder;
    blob.mode = extract::FileMode::Binary;
    PackFile link;
    link.path = "lib/link.so";
    link.type = PackFile::Type::Symlink;
    link.link_target = "blob.so";
    package.files = {tool, blob, link};
    contents.packages.push_back(package);
    PackFile history;
    history.path = "conda-meta/history";
    history.generated = "";
    contents.other_files.push_back(history);
    return contents;
}

}  // namespace

TEST_CASE("pack manifests round trip and report bad input", "[pack]") {
    PackManifest manifest;
    manifest.platform = "linux-64";
    manifest.packages = {"a-1-0"};
    manifest.files = {{"bin/x", "/p", extract::FileMode::Text}, {"lib/y", "/q", extract::FileMode::Binary}};
    manifest.env_vars = {{"A", "1"}};
    auto parsed = parse_manifest(manifest_json(manifest), "m.json");
    REQUIRE(parsed);
    CHECK(parsed->files == manifest.files);
    CHECK(parsed->packages == manifest.packages);
    CHECK(parsed->env_vars == manifest.env_vars);
    auto bad = parse_manifest(R"({"envctl_pack": 1, "files": [{"path": "x", "placeholder": "/p", "mode": "odd"}]})", "m.json");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("m.json") != std::string::npos);
    CHECK(bad.error().message.find("odd") != std::string::npos);
    CHECK_FALSE(parse_manifest(R"({"envctl_pack": 2, "files": []})", "m.json"));
    CHECK_FALSE(parse_manifest("[]", "m.json"));
}

TEST_CASE("placeholder lists leave out what sh cannot read", "[pack]") {
    const auto text = placeholder_list({{"bin/x", "/p", extract::FileMode::Text},
                                        {"bad\tname", "/p", extract::FileMode::Text},
                                        {"lib/y", "/q", extract::FileMode::Binary}});
    CHECK(text == "text\t/p\tbin/x\nbinary\t/q\tlib/y\n");
}

TEST_CASE("compression follows the archive name", "[pack]") {
    CHECK(*compression_for("env.tar.zst") == Compression::Zstd);
    CHECK(*compression_for("a/env.tar.gz") == Compression::Gzip);
    CHECK(*compression_for("env.tar") == Compression::None);
    CHECK_FALSE(compression_for("env.zip"));
}

TEST_CASE("files are rewritten for a prefix as the installer does", "[pack]") {
    CHECK(*rewrite_for_prefix("a /ph/x /ph", "/ph", extract::FileMode::Text, "/new/prefix") == "a /new/prefix/x /new/prefix");
    const std::string binary = std::string("/ph_long/lib\0z", 14);
    CHECK(*rewrite_for_prefix(binary, "/ph_long", extract::FileMode::Binary, "/n") == std::string("/n/lib\0\0\0\0\0\0\0z", 14));
    CHECK_FALSE(rewrite_for_prefix(binary, "/ph_long", extract::FileMode::Binary, "/much/longer/prefix"));
    // A shebang that grows too long becomes /usr/bin/env.
    const std::string long_prefix = "/" + std::string(150, 'l');
    CHECK(rewrite_for_prefix("#!/ph/bin/python -u\n", "/ph", extract::FileMode::Text, long_prefix)->starts_with("#!/usr/bin/env python"));
}

TEST_CASE("tar packs are reproducible and unpack anywhere", "[pack]") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pack-");
    REQUIRE(root);
    const auto contents = sample_contents(root->path() / "cache");
    const auto first = root->path() / "one.tar.zst";
    const auto second = root->path() / "two.tar.zst";
    auto report = write_tar_pack(contents, {first, 0});
    REQUIRE(report);
    REQUIRE(write_tar_pack(contents, {second, 0}));
    CHECK(read(first) == read(second));
    CHECK(report->placeholder_files == 2);
    CHECK(report->packages == 1);

    const auto destination = root->path() / "dest";
    auto unpacked = unpack(first, destination);
    INFO((unpacked ? "" : unpacked.error().to_string()));
    REQUIRE(unpacked);
    CHECK(unpacked->text_rewritten == 1);
    CHECK(unpacked->binary_rewritten == 1);
    const auto prefix = fs::absolute(destination).lexically_normal().string();
    CHECK(read(destination / "bin/tool") == "#!" + prefix + "/bin/sh\necho " + prefix + "/share\n");
    const auto blob = read(destination / "lib/blob.so");
    CHECK(blob.size() == 3 + placeholder.size() + 9);
    CHECK(blob.substr(3, prefix.size() + 5) == prefix + "/lib\0"s);
    CHECK(fs::is_symlink(destination / "lib/link.so"));
    CHECK((fs::status(destination / "bin/tool").permissions() & fs::perms::owner_exec) != fs::perms::none);
    CHECK(fs::exists(destination / "bin/envctl-unpack"));
    CHECK(read(destination / placeholders_path).find("text\t" + prefix + "\tbin/tool") != std::string::npos);
    CHECK(read(destination / manifest_path).find(placeholder) != std::string::npos);

    // Into a folder that exists and is not empty: refused.
    CHECK_FALSE(unpack(first, destination));
}

TEST_CASE("unpack refuses a prefix longer than a binary placeholder before writing", "[pack]") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pack-");
    REQUIRE(root);
    const auto archive = root->path() / "env.tar.gz";
    REQUIRE(write_tar_pack(sample_contents(root->path() / "cache"), {archive, 0}));
    const auto destination = root->path() / std::string(100, 'd');
    auto unpacked = unpack(archive, destination);
    REQUIRE_FALSE(unpacked);
    CHECK(unpacked.error().kind == ErrorKind::Input);
    CHECK(unpacked.error().message.find("lib/blob.so") != std::string::npos);
    CHECK_FALSE(fs::exists(destination));
}

TEST_CASE("unpack refuses archives that are not envctl packs", "[pack]") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pack-");
    REQUIRE(root);
    write(root->path() / "junk.tar", std::string(1024, 'x'));
    CHECK_FALSE(unpack(root->path() / "junk.tar", root->path() / "dest"));
    CHECK_FALSE(unpack(root->path() / "missing.tar", root->path() / "dest"));
}

TEST_CASE("a prefix's files carry the prefix as placeholder", "[pack]") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pack-");
    REQUIRE(root);
    const auto prefix = fs::absolute(root->path() / "env").lexically_normal();
    write(prefix / "conda-meta/history", "==> 2024-01-01 00:00:00 <==\n");
    write(prefix / "conda-meta/.envctl.lock", "");
    write(prefix / "bin/script", "#!" + prefix.string() + "/bin/python\n");
    write(prefix / "lib/binary", std::string("x\0", 2) + prefix.string());
    write(prefix / "lib/plain", "nothing");
    write(prefix / "lib/mod.pyc", prefix.string());
    fs::create_directories(prefix / "empty");
    auto contents = contents_from_prefix(prefix);
    REQUIRE(contents);
    CHECK(contents->packages.empty());
    CHECK(contents->source_prefix == prefix.string());
    std::map<std::string, const PackFile*> files;
    for (const auto& file : contents->other_files) files[file.path] = &file;
    REQUIRE(files.count("bin/script"));
    CHECK(files["bin/script"]->placeholder == prefix.string());
    CHECK(files["bin/script"]->mode == extract::FileMode::Text);
    CHECK(files["lib/binary"]->mode == extract::FileMode::Binary);
    CHECK(files["lib/plain"]->placeholder.empty());
    CHECK(files["lib/mod.pyc"]->placeholder.empty());
    CHECK(files["empty"]->type == PackFile::Type::Directory);
    CHECK(files.count("conda-meta/.envctl.lock") == 0);
    CHECK_FALSE(contents_from_prefix(root->path()));
}

TEST_CASE("history timestamps are UTC", "[pack]") {
    CHECK(history_time(0) == "1970-01-01 00:00:00");
    CHECK(history_time(86400 + 61) == "1970-01-02 00:01:01");
}
