// Hostile and malformed archives: each must be refused (or defused) without writing
// anything outside the temporary area, and without leaving a destination behind.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "archive_builder.hpp"
#include "envctl/extract/extract.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::extract;
using namespace envctl::test;
namespace fs = std::filesystem;

namespace {

// sandbox/outside (a target for escapes) and sandbox/cache (the destination's parent).
struct Sandbox {
    TemporaryDirectory root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-extract-test-").value();
    fs::path outside = root.path() / "outside";
    fs::path cache = root.path() / "cache";
    fs::path destination = cache / "pkg-1.0-0";

    Sandbox() {
        fs::create_directories(outside);
        fs::create_directories(cache);
        std::ofstream(outside / "victim.txt") << "original";
    }
};

std::string read_text(const fs::path& file) { return read_file(file).value(); }

std::span<const std::byte> bytes_of(const std::string& data) {
    return {reinterpret_cast<const std::byte*>(data.data()), data.size()};
}

Result<ExtractedPackage> extract_bytes(const Sandbox& sandbox, const std::string& archive, ArchiveFormat format,
                                       const ExtractLimits& limits = {}) {
    const fs::path file = sandbox.root.path() / (format == ArchiveFormat::Conda ? "pkg-1.0-0.conda" : "pkg-1.0-0.tar.bz2");
    write_binary(file, archive);
    auto result = extract_package(file, sandbox.destination, limits);
    fs::remove(file);
    return result;
}

// Both formats of one package: info/ entries first, then `payload`.
std::string build(ArchiveFormat format, const std::vector<TestEntry>& payload) {
    auto info = info_entries("pkg", {});
    if (format == ArchiveFormat::Conda) return make_conda("pkg-1.0-0", info, payload);
    info.insert(info.end(), payload.begin(), payload.end());
    return make_tar_bz2(info);
}

void require_refused(const std::vector<TestEntry>& payload, const std::string& expected_message,
                     const ExtractLimits& limits = {}) {
    for (const auto format : {ArchiveFormat::TarBz2, ArchiveFormat::Conda}) {
        INFO("format " << archive_extension(format));
        Sandbox sandbox;
        const auto before = snapshot(sandbox.root.path());
        const auto result = extract_bytes(sandbox, build(format, payload), format, limits);
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == ErrorKind::Integrity);
        CHECK_THAT(result.error().message, Catch::Contains(expected_message));
        CHECK_THAT(result.error().message, Catch::Contains("pkg-1.0-0"));
        CHECK(snapshot(sandbox.root.path()) == before);  // nothing left anywhere, temp dir removed
        CHECK(read_text(sandbox.outside / "victim.txt") == "original");
    }
}

}  // namespace

TEST_CASE("entries outside the package are refused") {
    require_refused({tar_file("../outside/victim.txt", "pwned")}, "refusing entry '../outside/victim.txt'");
    require_refused({tar_file("lib/../../outside/x", "pwned")}, "'..' component");
    require_refused({tar_file("/tmp/envctl-absolute-test", "pwned")}, "absolute");
    require_refused({tar_dir("../outside/newdir")}, "'..' component");
}

TEST_CASE("symlinks that leave the package are refused") {
    require_refused({tar_symlink("lib/etc", "/etc")}, "absolute");
    require_refused({tar_symlink("lib/out", "../../outside")}, "resolves outside the package");
    // Each link is inside on its own; together lib/y resolves to the parent of the root.
    require_refused({tar_symlink("lib/x", ".."), tar_symlink("lib/y", "x/..")}, "refusing symlink 'lib/y'");
    require_refused({tar_symlink("a/up", ".."), tar_symlink("a/b/up2", "../up/..")}, "refusing symlink 'a/b/up2'");
}

TEST_CASE("nothing is written through an extracted symlink") {
    // The classic: a symlink to a directory outside, then a file below it.
    require_refused({tar_symlink("lib/evil", "../../outside"), tar_file("lib/evil/victim.txt", "pwned")},
                    "resolves outside the package");
    // Even a symlink that points inside is never traversed by later entries.
    require_refused({tar_dir("real"), tar_symlink("alias", "real"), tar_file("alias/file", "x")},
                    "'alias' is a symlink or a file, and nothing is written through it");
    require_refused({tar_file("plain", "x"), tar_file("plain/below", "y")}, "'plain' is a symlink or a file");
}

TEST_CASE("hardlinks must point at files already extracted inside the package") {
    require_refused({tar_hardlink("lib/h", "../outside/victim.txt")}, "hardlink target");
    require_refused({tar_hardlink("lib/h", "/etc/passwd")}, "hardlink target");
    require_refused({tar_hardlink("lib/h", "lib/later"), tar_file("lib/later", "x")}, "not a regular file extracted before");
    require_refused({tar_symlink("lib/s", "target"), tar_file("lib/target", "x"), tar_hardlink("lib/h", "lib/s")},
                    "not a regular file extracted before");
    require_refused({tar_file("a", "x"), tar_hardlink("a", "a")}, "hardlink to itself");
}

TEST_CASE("device files and FIFOs are refused") {
    require_refused({tar_special("dev/null", TestEntry::Type::CharDevice)}, "device files are not allowed");
    require_refused({tar_special("dev/sda", TestEntry::Type::BlockDevice)}, "device files are not allowed");
    require_refused({tar_special("run/pipe", TestEntry::Type::Fifo)}, "FIFOs are not allowed");
}

TEST_CASE("names that are not clean UTF-8 are refused") {
    require_refused({tar_file("caf\xe9.txt", "x")}, "not valid UTF-8");
    require_refused({tar_file("a\nb", "x")}, "control character");
}

TEST_CASE("metadata files must be regular files and stay in their tarball") {
    for (const auto format : {ArchiveFormat::TarBz2, ArchiveFormat::Conda}) {
        Sandbox sandbox;
        std::vector<TestEntry> info = {tar_symlink("info/index.json", "../secret"), tar_file("info/paths.json", "{}")};
        const auto archive = format == ArchiveFormat::Conda ? make_conda("pkg-1.0-0", info, {}) : make_tar_bz2(info);
        const auto result = extract_bytes(sandbox, archive, format);
        REQUIRE_FALSE(result);
        CHECK_THAT(result.error().message, Catch::Contains("package metadata must be a regular file"));
    }
    Sandbox sandbox;
    const auto overwrite = make_conda("pkg-1.0-0", info_entries("pkg", {}), {tar_file("info/index.json", "{}")});
    auto result = extract_bytes(sandbox, overwrite, ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("the pkg tarball must not replace the package metadata"));
    auto info = info_entries("pkg", {});
    info.push_back(tar_file("bin/smuggled", "x"));
    result = extract_bytes(sandbox, make_conda("pkg-1.0-0", info, {}), ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("the info tarball may only hold info/"));
    CHECK(snapshot(sandbox.cache).empty());
}

TEST_CASE("decompression bombs stop at the size and entry limits") {
    ExtractLimits limits;
    limits.max_total_bytes = 1 << 20;
    require_refused({tar_file("zeros", std::string(8 << 20, '\0'))}, "byte limit", limits);
    limits = ExtractLimits{};
    limits.max_entries = 50;
    std::vector<TestEntry> many;
    for (int i = 0; i < 100; ++i) many.push_back(tar_file("f" + std::to_string(i), ""));
    require_refused(many, "more than 50 entries", limits);
}

TEST_CASE("modes are normalised: no setuid, setgid, sticky or world-write bits") {
    for (const auto format : {ArchiveFormat::TarBz2, ArchiveFormat::Conda}) {
        Sandbox sandbox;
        const auto archive = build(format, {tar_file("bin/suid", "#!/bin/sh\n", 04755), tar_file("bin/sgid", "x", 02775),
                                            tar_file("share/open", "x", 0666), tar_dir("tmp", 01777)});
        const auto result = extract_bytes(sandbox, archive, format);
        REQUIRE(result);
        const auto mode_of = [&](const char* path) {
            struct stat status {};
            REQUIRE(::lstat((sandbox.destination / path).c_str(), &status) == 0);
            return status.st_mode & 07777;
        };
        CHECK(mode_of("bin/suid") == 0755);
        CHECK(mode_of("bin/sgid") == 0755);
        CHECK(mode_of("share/open") == 0644);
        CHECK(mode_of("tmp") == 0755);
    }
}

TEST_CASE("duplicate entries: the later file wins, type conflicts with directories are refused") {
    for (const auto format : {ArchiveFormat::TarBz2, ArchiveFormat::Conda}) {
        Sandbox sandbox;
        const auto archive = build(format, {tar_file("a", "first"), tar_file("a", "second"), tar_file("target.txt", "keep"),
                                            tar_symlink("link", "target.txt"), tar_file("link", "replaced")});
        const auto result = extract_bytes(sandbox, archive, format);
        REQUIRE(result);
        CHECK(read_text(sandbox.destination / "a") == "second");
        // The file replaced the symlink; it was not written through it.
        CHECK_FALSE(fs::is_symlink(sandbox.destination / "link"));
        CHECK(read_text(sandbox.destination / "link") == "replaced");
        CHECK(read_text(sandbox.destination / "target.txt") == "keep");
    }
    require_refused({tar_dir("d"), tar_file("d", "x")}, "a directory of that name was extracted before");
    require_refused({tar_file("d", "x"), tar_dir("d")}, "a file or symlink of that name was extracted before");
}

TEST_CASE("corrupt and malformed containers are integrity errors") {
    Sandbox sandbox;
    const auto good = build(ArchiveFormat::TarBz2, {tar_file("a", std::string(100000, 'x'))});
    auto result = extract_bytes(sandbox, good.substr(0, good.size() / 2), ArchiveFormat::TarBz2);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Integrity);
    result = extract_bytes(sandbox, "definitely not bzip2", ArchiveFormat::TarBz2);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Integrity);

    const auto info_tar = make_tar(info_entries("pkg", {}), Compression::Zstd);
    result = extract_bytes(sandbox, make_zip({{"pkg-pkg-1.0-0.tar.zst", make_tar({}, Compression::Zstd)}}),
                           ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("no info-*.tar.zst member"));
    result = extract_bytes(sandbox, make_zip({{"info-a.tar.zst", info_tar}, {"info-b.tar.zst", info_tar}}),
                           ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("more than one info-*.tar.zst"));
    result = extract_bytes(sandbox, make_zip({{"metadata.json", R"({"conda_pkg_format_version": 3})"},
                                              {"info-a.tar.zst", info_tar}}),
                           ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("unsupported .conda format version 3"));
    result = extract_bytes(sandbox, make_zip({{"info-a.tar.zst", make_tar(info_entries("pkg", {}), Compression::None)}}),
                           ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().message, Catch::Contains("not a zstd-compressed tarball"));

    // ZIP64: an end-of-central-directory record that defers to a ZIP64 record that is not there.
    auto zip64 = make_conda("pkg-1.0-0", info_entries("pkg", {}), {});
    const auto eocd = zip64.rfind(std::string("PK\x05\x06", 4));
    REQUIRE(eocd != std::string::npos);
    zip64.replace(eocd + 16, 4, std::string(4, '\xff'));
    result = extract_bytes(sandbox, zip64, ArchiveFormat::Conda);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Integrity);
    CHECK(snapshot(sandbox.cache).empty());
}

TEST_CASE("the destination appears complete or not at all") {
    Sandbox sandbox;
    const auto archive = build(ArchiveFormat::Conda, {tar_file("v", "one")});
    REQUIRE(extract_bytes(sandbox, archive, ArchiveFormat::Conda));
    CHECK(read_text(sandbox.destination / "v") == "one");
    // An existing destination is an error by default and is left alone...
    const auto again = extract_bytes(sandbox, build(ArchiveFormat::Conda, {tar_file("v", "two")}), ArchiveFormat::Conda);
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::Io);
    CHECK(read_text(sandbox.destination / "v") == "one");
    // ...or swapped for the new tree on request.
    const auto replaced = extract_package_from_memory(bytes_of(build(ArchiveFormat::Conda, {tar_file("v", "two")})),
                                                      ArchiveFormat::Conda, "pkg-1.0-0.conda", sandbox.destination, {},
                                                      ExistingDestination::Replace);
    REQUIRE(replaced);
    CHECK(read_text(sandbox.destination / "v") == "two");
    CHECK(snapshot(sandbox.cache).size() == snapshot(sandbox.destination).size() + 1);  // no leftovers
    // A trailing slash names the same destination.
    const auto slash = extract_package_from_memory(bytes_of(build(ArchiveFormat::Conda, {tar_file("v", "three")})),
                                                   ArchiveFormat::Conda, "pkg-1.0-0.conda",
                                                   sandbox.destination.string() + "/", {}, ExistingDestination::Replace);
    REQUIRE(slash);
    CHECK(read_text(sandbox.destination / "v") == "three");
    CHECK(load_extracted_package(sandbox.destination.string() + "/").value().index.name == "pkg");
    CHECK(snapshot(sandbox.cache).size() == snapshot(sandbox.destination).size() + 1);
    // A failed extraction leaves neither a destination nor a temporary directory.
    const auto failed = extract_bytes(Sandbox{}, build(ArchiveFormat::Conda, {tar_file("../x", "")}), ArchiveFormat::Conda);
    REQUIRE_FALSE(failed);
}

TEST_CASE("symlinks inside the package, hardlinks and sparse names extract faithfully") {
    for (const auto format : {ArchiveFormat::TarBz2, ArchiveFormat::Conda}) {
        Sandbox sandbox;
        const auto archive = build(format, {tar_file("lib/libreal.so.1", "real"), tar_symlink("lib/libreal.so", "libreal.so.1"),
                                            tar_hardlink("lib/libhard.so", "lib/libreal.so.1"),
                                            tar_symlink("lib/dangling", "does-not-exist"), tar_symlink("share/up", "../lib"),
                                            tar_symlink("empty-target", ""), tar_dir("share/empty"),
                                            tar_file("./dot/slash", "x"), tar_file("caf\xc3\xa9", "unicode")});
        const auto result = extract_bytes(sandbox, archive, format);
        REQUIRE(result);
        const auto& root = sandbox.destination;
        CHECK(fs::read_symlink(root / "lib/libreal.so") == "libreal.so.1");
        CHECK(fs::read_symlink(root / "lib/dangling") == "does-not-exist");
        CHECK(fs::read_symlink(root / "share/up") == "../lib");
        CHECK(fs::equivalent(root / "lib/libhard.so", root / "lib/libreal.so.1"));
        CHECK(fs::is_directory(root / "share/empty"));
        CHECK(read_text(root / "dot/slash") == "x");
        CHECK(read_text(root / "caf\xc3\xa9") == "unicode");
        CHECK(fs::is_regular_file(fs::symlink_status(root / "empty-target")));
        REQUIRE(result->warnings.size() == 1);
        CHECK_THAT(result->warnings[0], Catch::Contains("empty target"));
        CHECK(result->stats.symlinks == 4);
        CHECK(result->stats.hardlinks == 1);
        CHECK(result->info.index.name == "pkg");
    }
}

TEST_CASE("archives written by the Python testkit (the fuzz seeds) get the same verdicts") {
    // tests/fuzz/corpus/package_archive holds archives made by testkit/condapkg.py, each with
    // one leading byte that tells the fuzzer how to read it: 0 .tar.bz2, 1 .conda, 2 plain tar.
    const fs::path corpus = fs::path(ENVCTL_SOURCE_DIR) / "tests/fuzz/corpus/package_archive";
    std::size_t checked = 0;
    for (const auto& item : fs::directory_iterator(corpus)) {
        const auto bytes = read_text(item.path());
        if (bytes.empty() || bytes[0] == '\x02') continue;
        const auto name = item.path().filename().string();
        const auto format = bytes[0] == '\x01' ? ArchiveFormat::Conda : ArchiveFormat::TarBz2;
        const bool benign = name.starts_with("valid") || name.starts_with("noarch-python") || name.starts_with("setuid");
        INFO(name);
        Sandbox sandbox;
        const auto before = snapshot(sandbox.root.path());
        const auto result = extract_package_from_memory(bytes_of(bytes.substr(1)), format, name, sandbox.destination);
        if (benign) {
            REQUIRE(result);
            if (name.starts_with("setuid")) {
                struct stat status {};
                REQUIRE(::lstat((sandbox.destination / "bin/suid").c_str(), &status) == 0);
                CHECK((status.st_mode & 07777) == 0755);
            }
        } else {
            REQUIRE_FALSE(result);
            CHECK(result.error().kind == ErrorKind::Integrity);
            CHECK(snapshot(sandbox.root.path()) == before);
        }
        ++checked;
    }
    CHECK(checked >= 10);
}
