// Transactions on hand-made extracted packages: linking, prefix replacement, records, rollback
// after a failure and recovery of a journal that a killed process left behind.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "envctl/extract/extract.hpp"
#include "envctl/link/transaction.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::link;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr const char* legacy_placeholder = "/opt/anaconda1anaconda2anaconda3";

struct File {
    std::string path = {};
    std::string content = {};
    std::string placeholder = {};  // "" none
    std::string mode = "text";     // or "binary"
    std::string link_target = {};  // a symlink when set
    bool executable = false;
};

void write(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
}

// Writes <pkgs>/<name>-<version>-0/ like an extraction would and returns the LinkSource.
LinkSource make_package(const fs::path& pkgs, const std::string& name, const std::string& version,
                        const std::vector<File>& files, std::vector<std::string> depends = {}) {
    const auto directory = pkgs / (name + "-" + version + "-0");
    fs::remove_all(directory);
    json paths = json::array();
    for (const auto& file : files) {
        const auto target = directory / file.path;
        fs::create_directories(target.parent_path());
        json entry{{"_path", file.path}};
        if (!file.link_target.empty()) {
            fs::create_symlink(file.link_target, target);
            entry["path_type"] = "softlink";
            entry["sha256"] = sha256_hex("");
        } else {
            write(target, file.content);
            if (file.executable) fs::permissions(target, fs::perms(0755));
            entry["path_type"] = "hardlink";
            entry["sha256"] = sha256_hex(file.content);
            entry["size_in_bytes"] = file.content.size();
            if (!file.placeholder.empty()) {
                entry["prefix_placeholder"] = file.placeholder;
                entry["file_mode"] = file.mode;
            }
        }
        paths.push_back(entry);
    }
    json index{{"name", name}, {"version", version}, {"build", "0"}, {"build_number", 0}, {"depends", depends},
               {"subdir", "linux-64"}};
    write(directory / "info" / "index.json", index.dump());
    write(directory / "info" / "paths.json", json{{"paths", paths}, {"paths_version", 1}}.dump());
    auto info = extract::load_extracted_package(directory);
    REQUIRE(info);
    LinkSource source;
    auto record = conda::record_from_json(index, name + "-" + version + "-0.conda");
    REQUIRE(record);
    source.record = *record;
    source.record.channel = "https://example.org/chan";
    source.record.url = "https://example.org/chan/linux-64/" + source.record.fn;
    source.directory = directory;
    source.archive = pkgs / source.record.fn;
    source.info = std::move(*info);
    return source;
}

std::string read(const fs::path& path) {
    auto text = read_file(path);
    REQUIRE(text);
    return *text;
}

struct Fixture {
    TemporaryDirectory root = std::move(*TemporaryDirectory::create(fs::temp_directory_path(), "envctl-link-"));
    fs::path pkgs = root.path() / "pkgs";
    fs::path prefix = root.path() / "env";
};

TransactionOptions quiet_options() {
    TransactionOptions options;
    options.command = "test";
    options.tool_version = "0";
    return options;
}

}  // namespace

TEST_CASE("linking a package: hard links, symlinks, text and binary placeholders, records") {
    Fixture fixture;
    const std::string long_placeholder(fixture.root.path().string().size() + 60, 'P');
    const std::string binary = std::string("\x7f" "ELF\0rpath=", 11) + long_placeholder;
    auto package = make_package(fixture.pkgs, "demo", "1.0",
                                {{"share/demo/readme.txt", "hello\n"},
                                 {"etc/demo.conf", std::string("prefix=") + legacy_placeholder + "\n", legacy_placeholder},
                                 {"bin/demo", std::string("#!") + legacy_placeholder + "/bin/sh\necho hi\n", legacy_placeholder,
                                  "text", "", true},
                                 {"lib/libdemo.so.1", binary + "/lib" + std::string("\0tail", 5), long_placeholder, "binary"},
                                 {"lib/libdemo.so", "", "", "text", "libdemo.so.1"}});
    auto lock = PrefixLock::acquire(fixture.prefix);
    REQUIRE(lock);
    auto result = execute(fixture.prefix, {}, {package}, quiet_options(), *lock);
    REQUIRE(result);
    CHECK(result->linked == std::vector<std::string>{"demo-1.0-0"});
    CHECK(result->hardlinks == 1);
    CHECK(result->replaced == 3);
    CHECK(result->symlinks == 1);
    const auto prefix = fs::absolute(fixture.prefix).string();
    CHECK(read(fixture.prefix / "share/demo/readme.txt") == "hello\n");
    struct stat source_status {}, target_status {};
    ::stat((package.directory / "share/demo/readme.txt").c_str(), &source_status);
    ::stat((fixture.prefix / "share/demo/readme.txt").c_str(), &target_status);
    CHECK(source_status.st_ino == target_status.st_ino);  // a hard link
    CHECK(read(fixture.prefix / "etc/demo.conf") == "prefix=" + prefix + "\n");
    CHECK(read(fixture.prefix / "bin/demo") == "#!" + prefix + "/bin/sh\necho hi\n");
    CHECK((fs::status(fixture.prefix / "bin/demo").permissions() & fs::perms::owner_exec) != fs::perms::none);
    const auto library = read(fixture.prefix / "lib/libdemo.so.1");
    CHECK(library.size() == binary.size() + 9);
    CHECK(library.find("rpath=" + prefix + "/lib\0", 0) != std::string::npos);
    CHECK(fs::read_symlink(fixture.prefix / "lib/libdemo.so") == "libdemo.so.1");
    // The record lists every file with the hash of what is in the prefix.
    const auto record = json::parse(read(fixture.prefix / "conda-meta/demo-1.0-0.json"));
    CHECK(record["files"].size() == 5);
    for (const auto& path : record["paths_data"]["paths"]) {
        if (path["path_type"] != "hardlink") continue;
        auto digest = file_digest_hex(fixture.prefix / path["_path"].get<std::string>(), HashAlgorithm::Sha256);
        REQUIRE(digest);
        CHECK(path["sha256_in_prefix"] == *digest);
    }
    CHECK(record["link"]["type"] == 1);
    CHECK(read(fixture.prefix / "conda-meta/history").find("+https://example.org/chan/linux-64::demo-1.0-0") != std::string::npos);
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-transaction.json"));
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-trash"));
}

TEST_CASE("a failed transaction rolls everything back, including unlinked packages") {
    Fixture fixture;
    auto old = make_package(fixture.pkgs, "old", "1.0", {{"share/old.txt", "old\n"}, {"share/common.txt", "from old\n"}});
    auto lock = PrefixLock::acquire(fixture.prefix);
    REQUIRE(lock);
    REQUIRE(execute(fixture.prefix, {}, {old}, quiet_options(), *lock));
    auto installed = read_prefix_records(fixture.prefix);
    REQUIRE(installed);
    REQUIRE(installed->size() == 1);

    auto good = make_package(fixture.pkgs, "good", "1.0", {{"share/good.txt", "good\n"}, {"share/common.txt", "from good\n"}});
    // A binary placeholder shorter than the prefix cannot be replaced: the transaction fails.
    auto bad = make_package(fixture.pkgs, "bad", "1.0", {{"lib/bad.so", std::string("a\0/ph\0", 6), "/ph", "binary"}}, {"good"});
    auto result = execute(fixture.prefix, *installed, {bad, good}, quiet_options(), *lock);
    REQUIRE_FALSE(result);
    CHECK(result.error().message.find("bad-1.0-0") != std::string::npos);
    CHECK(read(fixture.prefix / "share/old.txt") == "old\n");
    CHECK(read(fixture.prefix / "share/common.txt") == "from old\n");
    CHECK_FALSE(fs::exists(fixture.prefix / "share/good.txt"));
    CHECK_FALSE(fs::exists(fixture.prefix / "lib"));
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/good-1.0-0.json"));
    CHECK(fs::exists(fixture.prefix / "conda-meta/old-1.0-0.json"));
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-transaction.json"));
}

TEST_CASE("two packages writing one path: the later one wins and it is reported") {
    Fixture fixture;
    auto first = make_package(fixture.pkgs, "a-first", "1.0", {{"bin/tool", "first\n"}});
    auto second = make_package(fixture.pkgs, "b-second", "1.0", {{"bin/tool", "second\n"}}, {"a-first"});
    auto lock = PrefixLock::acquire(fixture.prefix);
    REQUIRE(lock);
    auto result = execute(fixture.prefix, {}, {second, first}, quiet_options(), *lock);
    REQUIRE(result);
    CHECK(read(fixture.prefix / "bin/tool") == "second\n");
    REQUIRE(result->clobbered.size() == 1);
    CHECK(result->clobbered[0] == "bin/tool: b-second-1.0-0 replaced the file of a-first-1.0-0");
}

TEST_CASE("recover() rolls back a transaction a killed process left behind") {
    Fixture fixture;
    auto kept = make_package(fixture.pkgs, "kept", "1.0", {{"share/kept.txt", "kept\n"}});
    auto lock = PrefixLock::acquire(fixture.prefix);
    REQUIRE(lock);
    REQUIRE(execute(fixture.prefix, {}, {kept}, quiet_options(), *lock));
    // What a process killed in the middle of linking "half" leaves: a journal listing its paths,
    // one of them already linked, and a file of "kept" moved to the trash by an overwrite.
    fs::create_directories(fixture.prefix / "conda-meta/.envctl-trash/share");
    fs::rename(fixture.prefix / "share/kept.txt", fixture.prefix / "conda-meta/.envctl-trash/share/kept.txt");
    ::sleep(0);
    json journal{{"version", 1},
                 {"state", "running"},
                 {"started_ns", 0},
                 {"unlink", json::array()},
                 {"link", json::array({json{{"dist", "half-1.0-0"},
                                            {"paths", {"share/kept.txt", "share/half/a.txt", "share/half/b.txt",
                                                       "conda-meta/half-1.0-0.json"}}}})},
                 {"history", ""}};
    write(fixture.prefix / "conda-meta/.envctl-transaction.json", journal.dump());
    write(fixture.prefix / "share/kept.txt", "overwritten by half\n");
    write(fixture.prefix / "share/half/a.txt", "a\n");
    auto report = recover(fixture.prefix, *lock);
    REQUIRE(report);
    CHECK(report->outcome == RecoveryReport::Outcome::RolledBack);
    CHECK(report->linked == std::vector<std::string>{"half-1.0-0"});
    CHECK(read(fixture.prefix / "share/kept.txt") == "kept\n");
    CHECK_FALSE(fs::exists(fixture.prefix / "share/half"));
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-transaction.json"));
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-trash"));
    auto again = recover(fixture.prefix, *lock);
    REQUIRE(again);
    CHECK(again->outcome == RecoveryReport::Outcome::Nothing);
}

TEST_CASE("recover() leaves files that were there before the transaction") {
    Fixture fixture;
    auto lock = PrefixLock::acquire(fixture.prefix);
    REQUIRE(lock);
    write(fixture.prefix / "share/user.txt", "mine\n");
    // The journal started after the user's file existed: it was never ours to remove.
    json journal{{"version", 1},
                 {"state", "running"},
                 {"started_ns", std::numeric_limits<std::int64_t>::max()},
                 {"unlink", json::array()},
                 {"link", json::array({json{{"dist", "p-1-0"}, {"paths", {"share/user.txt"}}}})},
                 {"history", ""}};
    write(fixture.prefix / "conda-meta/.envctl-transaction.json", journal.dump());
    REQUIRE(recover(fixture.prefix, *lock));
    CHECK(read(fixture.prefix / "share/user.txt") == "mine\n");
}

TEST_CASE("recover() completes a committed transaction") {
    Fixture fixture;
    auto lock = PrefixLock::acquire(fixture.prefix);
    REQUIRE(lock);
    fs::create_directories(fixture.prefix / "conda-meta/.envctl-trash/share");
    write(fixture.prefix / "conda-meta/.envctl-trash/share/gone.txt", "unlinked\n");
    json journal{{"version", 1},
                 {"state", "committed"},
                 {"started_ns", 0},
                 {"unlink", {"gone-1-0"}},
                 {"link", json::array()},
                 {"history", "==> 2024-01-01 00:00:00 <==\n# cmd: test\n-c/noarch::gone-1-0\n"}};
    write(fixture.prefix / "conda-meta/.envctl-transaction.json", journal.dump());
    auto report = recover(fixture.prefix, *lock);
    REQUIRE(report);
    CHECK(report->outcome == RecoveryReport::Outcome::Completed);
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-trash"));
    CHECK(read(fixture.prefix / "conda-meta/history").find("-c/noarch::gone-1-0") != std::string::npos);
    REQUIRE(recover(fixture.prefix, *lock));
    const auto history = read(fixture.prefix / "conda-meta/history");
    CHECK(history.find("gone-1-0") == history.rfind("gone-1-0"));  // appended once
}
