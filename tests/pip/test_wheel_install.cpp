// Installing wheels into a prefix and uninstalling them by RECORD: layout of every .data scheme,
// shebangs, entry points, RECORD/INSTALLER/REQUESTED/direct_url.json, upgrades, hostile wheels
// refused with the prefix untouched, rollback of a failed transaction and recovery of a killed one.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>

#include <catch2/catch.hpp>

#include "envctl/pip/wheel_install.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/util/fs.hpp"
#include "wheel_test_support.hpp"

using namespace envctl;
using namespace wheel_test;

namespace {

struct Fixture {
    TemporaryDirectory temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-wheel-test").value();
    fs::path prefix = temp.path() / "env";
    fs::path dist = temp.path() / "dist";
    const std::string site = "lib/python3.11/site-packages";

    Fixture() {
        fs::create_directories(prefix / site);
        fs::create_directories(prefix / "conda-meta");
        for (const auto* folder : {"bin", "include", "share"}) fs::create_directories(prefix / folder);
    }

    pip::WheelInstallRequest request(const fs::path& wheel) const {
        pip::WheelInstallRequest request;
        request.wheel = wheel;
        request.prefix = prefix;
        request.python = {"3.11", ""};
        request.requested = true;
        request.compile_pyc = false;
        return request;
    }

    Result<pip::InstalledWheel> install(const WheelSpec& spec) const { return pip::install_wheel(request(build_wheel(dist, spec))); }
};

std::map<std::string, std::string> record_of(const fs::path& file) {
    std::map<std::string, std::string> out;
    const auto entries = pypi::parse_record(slurp(file)).value();
    for (const auto& entry : entries)
        out[entry.path] = entry.hash_algorithm.empty() ? std::string() : entry.hash_algorithm + "=" + entry.hash_digest;
    return out;
}

void require_refused(Fixture& fixture, const WheelSpec& spec, const std::string& message_part,
                     ErrorKind kind = ErrorKind::Integrity) {
    const auto before = snapshot(fixture.prefix);
    auto result = fixture.install(spec);
    REQUIRE_FALSE(result);
    INFO(result.error().message);
    CHECK(result.error().kind == kind);
    CHECK(result.error().message.find(message_part) != std::string::npos);
    CHECK(snapshot(fixture.prefix) == before);
}

}  // namespace

TEST_CASE("wheel install: every scheme lands where the spec says, with RECORD, INSTALLER and scripts") {
    Fixture fixture;
    auto installed = fixture.install(demo_spec());
    REQUIRE(installed);
    const auto& prefix = fixture.prefix;
    const auto site = prefix / fixture.site;
    CHECK(installed->name == "demo");
    CHECK(installed->version == "1.0");
    CHECK(installed->dist_info == fixture.site + "/demo-1.0.dist-info");
    CHECK(slurp(site / "demo/util.py") == "X = 1\n");
    CHECK(slurp(site / "demo/data/table.txt") == "a b c\n");
    CHECK(slurp(prefix / "include/python3.11/demo/demo.h") == "#define DEMO 1\n");
    CHECK(slurp(prefix / "share/demo/readme.txt") == "readme\n");
    CHECK(slurp(prefix / "demo-data/nested/file.txt") == "data\n");
    // "#!python" becomes the environment's interpreter; other shebangs stay.
    CHECK(slurp(prefix / "bin/demo-tool") == "#!" + prefix.string() + "/bin/python\nimport demo\ndemo.main()\n");
    CHECK(slurp(prefix / "bin/plain.sh") == "#!/bin/sh\necho plain\n");
    // Entry points: console and gui scripts, executable, calling the named function.
    for (const auto* script : {"bin/demo", "bin/demo-gui"}) {
        const auto text = slurp(prefix / script);
        CHECK(text.starts_with("#!" + prefix.string() + "/bin/python\n"));
        CHECK(text.find("from demo import main") != std::string::npos);
        CHECK(text.find("sys.exit(main())") != std::string::npos);
        CHECK(::access((prefix / script).c_str(), X_OK) == 0);
    }
    CHECK(::access((prefix / "bin/demo-tool").c_str(), X_OK) == 0);
    CHECK(installed->scripts == std::vector<std::string>{"bin/demo", "bin/demo-gui", "bin/demo-tool", "bin/plain.sh"});
    CHECK(slurp(site / "demo-1.0.dist-info/INSTALLER") == "envctl\n");
    CHECK(fs::exists(site / "demo-1.0.dist-info/REQUESTED"));
    CHECK_FALSE(fs::exists(site / "demo-1.0.dist-info/direct_url.json"));

    // RECORD lists every installed file (paths relative to site-packages) with the hash of what
    // was written, and itself without a hash.
    const auto record = record_of(site / "demo-1.0.dist-info/RECORD");
    CHECK(record.at("demo-1.0.dist-info/RECORD").empty());
    CHECK(record.count("../../../bin/demo") == 1);
    CHECK(record.count("../../../include/python3.11/demo/demo.h") == 1);
    CHECK(record.count("../../../share/demo/readme.txt") == 1);
    CHECK(record.size() == installed->files.size());
    for (const auto& [path, hash] : record) {
        if (hash.empty()) continue;
        INFO(path);
        CHECK(hash == record_hash(slurp(site / path)));
    }
    // Nothing of the staging or the journal is left behind.
    CHECK_FALSE(fs::exists(prefix / "conda-meta/.envctl-pip-staging"));
    CHECK_FALSE(fs::exists(prefix / "conda-meta/.envctl-pip-trash"));
    CHECK_FALSE(fs::exists(prefix / "conda-meta/.envctl-pip-transaction.json"));

    auto listed = pip::list_distributions(prefix);
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().name == "demo");
    CHECK(listed->front().version == "1.0");
    CHECK(listed->front().installer == "envctl");
    CHECK(listed->front().requested);
    CHECK(listed->front().site_packages == fixture.site);
}

TEST_CASE("wheel install: uninstall by RECORD leaves the prefix as it was") {
    Fixture fixture;
    const auto before = snapshot(fixture.prefix);
    REQUIRE(fixture.install(demo_spec()));
    // Files a later python run adds: .pyc of another interpreter version.
    fs::create_directories(fixture.prefix / fixture.site / "demo/__pycache__");
    std::ofstream(fixture.prefix / fixture.site / "demo/__pycache__/util.cpython-312.pyc") << "pyc";
    std::ofstream(fixture.prefix / fixture.site / "demo/__pycache__/__init__.cpython-311.opt-1.pyc") << "pyc";
    REQUIRE(pip::uninstall_distribution(fixture.prefix, "", "Demo"));  // found in its site-packages
    CHECK(snapshot(fixture.prefix) == before);
    auto again = pip::uninstall_distribution(fixture.prefix, fixture.site, "demo");
    REQUIRE_FALSE(again);
    CHECK(again.error().kind == ErrorKind::Input);
}

TEST_CASE("wheel install: a new version replaces the old one in one transaction") {
    Fixture fixture;
    REQUIRE(fixture.install(demo_spec("1.0")));
    auto upgraded = fixture.install(demo_spec("2.0"));
    REQUIRE(upgraded);
    const auto site = fixture.prefix / fixture.site;
    CHECK_FALSE(fs::exists(site / "demo-1.0.dist-info"));
    CHECK_FALSE(fs::exists(site / "demo/only_in_1.py"));
    CHECK(fs::exists(site / "demo/new_in_2.0.py"));
    CHECK(slurp(site / "demo/__init__.py").find("2.0") != std::string::npos);
    auto listed = pip::list_distributions(fixture.prefix, fixture.site);
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().version == "2.0");
}

TEST_CASE("wheel install: a failure half-way rolls back to the previous install") {
    Fixture fixture;
    REQUIRE(fixture.install(demo_spec("1.0")));
    // A directory where the new version puts a file: placing it fails after other files moved.
    fs::create_directories(fixture.prefix / fixture.site / "demo/new_in_2.0.py");
    const auto before = snapshot(fixture.prefix);
    auto result = fixture.install(demo_spec("2.0"));
    REQUIRE_FALSE(result);
    CHECK(result.error().message.find("directory is in the way") != std::string::npos);
    CHECK(snapshot(fixture.prefix) == before);
    CHECK(slurp(fixture.prefix / fixture.site / "demo/__init__.py").find("1.0") != std::string::npos);
}

TEST_CASE("wheel install: direct_url.json without credentials, REQUESTED only when asked") {
    Fixture fixture;
    const auto wheel = build_wheel(fixture.dist, demo_spec());
    auto request = fixture.request(wheel);
    request.requested = false;
    request.direct_url = pip::DirectUrl{"https://user:secret@example.org/wheels/demo-1.0-py3-none-any.whl", ""};
    REQUIRE(pip::install_wheel(request));
    const auto dist_info = fixture.prefix / fixture.site / "demo-1.0.dist-info";
    CHECK_FALSE(fs::exists(dist_info / "REQUESTED"));
    const auto text = slurp(dist_info / "direct_url.json");
    const auto sha256 = file_digest_hex(wheel, HashAlgorithm::Sha256).value();
    CHECK(text == "{\"url\":\"https://example.org/wheels/demo-1.0-py3-none-any.whl\",\"archive_info\":{\"hash\":\"sha256=" +
                      sha256 + "\",\"hashes\":{\"sha256\":\"" + sha256 + "\"}}}\n");
    auto listed = pip::list_distributions(fixture.prefix);
    CHECK(listed->front().direct_url == "https://example.org/wheels/demo-1.0-py3-none-any.whl");
    CHECK_FALSE(listed->front().requested);
}

TEST_CASE("wheel install: the wheel's sha256 is checked when expected") {
    Fixture fixture;
    auto request = fixture.request(build_wheel(fixture.dist, demo_spec()));
    request.expected_sha256 = std::string(64, '0');
    auto result = pip::install_wheel(request);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Integrity);
}

TEST_CASE("wheel install: hostile or broken wheels are refused and the prefix is untouched") {
    Fixture fixture;
    REQUIRE(fixture.install(demo_spec("1.0")));  // something to keep intact

    SECTION("a member whose hash differs from RECORD") {
        auto spec = demo_spec("2.0");
        spec.tamper_record = [](std::vector<std::string>& lines) {
            for (auto& line : lines)
                if (line.starts_with("demo/util.py,")) line = "demo/util.py," + record_hash("other") + ",6";
        };
        require_refused(fixture, spec, "does not match its RECORD hash");
    }
    SECTION("a member whose size differs from RECORD") {
        auto spec = demo_spec("2.0");
        spec.tamper_record = [](std::vector<std::string>& lines) {
            for (auto& line : lines)
                if (line.starts_with("demo/util.py,")) line = line.substr(0, line.rfind(',')) + ",99";
        };
        require_refused(fixture, spec, "RECORD says 99");
    }
    SECTION("a member missing from RECORD") {
        auto spec = demo_spec("2.0");
        spec.unlisted.push_back({"demo/sneaky.py", "print('x')\n"});
        require_refused(fixture, spec, "not listed in RECORD");
    }
    SECTION("no RECORD") {
        auto spec = demo_spec("2.0");
        spec.write_record = false;
        require_refused(fixture, spec, "has no demo-2.0.dist-info/RECORD");
    }
    SECTION("md5 in RECORD") {
        auto spec = demo_spec("2.0");
        spec.tamper_record = [](std::vector<std::string>& lines) {
            for (auto& line : lines)
                if (line.starts_with("demo/util.py,")) line = "demo/util.py,md5=AAAAAAAAAAAAAAAAAAAAAA,6";
        };
        require_refused(fixture, spec, "only sha256, sha384 and sha512");
    }
    SECTION("a member climbing out with ..") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({"../../../../escaped.txt", "x"});
        require_refused(fixture, spec, "not a plain relative path");
        CHECK_FALSE(fs::exists(fixture.temp.path() / "escaped.txt"));
    }
    SECTION("a member name that is not UTF-8 (found by fuzzing: it broke the journal)") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({"demo/\xfd\xff.py", "x"});
        require_refused(fixture, spec, "not a plain relative path");
    }
    SECTION("an absolute member") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({"/tmp/envctl-absolute-member.txt", "x"});
        require_refused(fixture, spec, "not a plain relative path");
    }
    SECTION("a symlink member") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({"demo/link", "/etc/passwd", 0777, true});
        require_refused(fixture, spec, "not a regular file");
    }
    SECTION("a RECORD entry pointing outside") {
        auto spec = demo_spec("2.0");
        spec.tamper_record = [](std::vector<std::string>& lines) { lines.push_back("../../../../etc/passwd,,"); };
        require_refused(fixture, spec, "a path outside the wheel");
    }
    SECTION("data files aimed at conda-meta") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({spec.data_dir() + "/data/conda-meta/fake-1.0-0.json", "{}"});
        require_refused(fixture, spec, "conda-meta");
    }
    SECTION("an unknown .data scheme") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({spec.data_dir() + "/etc/passwd", "x"});
        require_refused(fixture, spec, "unknown .data scheme");
    }
    SECTION("a .dist-info that names another project") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({"other-2.0.dist-info/METADATA", "Name: other\n"});
        require_refused(fixture, spec, "2 .dist-info folders");
    }
    SECTION("Wheel-Version 2") {
        auto spec = demo_spec("2.0");
        spec.wheel_version = "2.0";
        require_refused(fixture, spec, "Wheel-Version", ErrorKind::Input);
    }
    SECTION("a zip bomb beyond the size bound") {
        auto spec = demo_spec("2.0");
        spec.members.push_back({"demo/zeros.bin", std::string(4 << 20, '\0')});
        const auto wheel = build_wheel(fixture.dist, spec);
        auto request = fixture.request(wheel);
        request.limits.min_total_bytes = 1 << 20;
        request.limits.max_ratio = 10;
        const auto before = snapshot(fixture.prefix);
        auto result = pip::install_wheel(request);
        REQUIRE_FALSE(result);
        CHECK(result.error().message.find("zip bomb") != std::string::npos);
        CHECK(snapshot(fixture.prefix) == before);
    }
}

TEST_CASE("wheel install: a distribution conda installed is neither replaced nor removed") {
    Fixture fixture;
    const auto dist_info = fixture.prefix / fixture.site / "demo-0.9.dist-info";
    fs::create_directories(dist_info);
    std::ofstream(dist_info / "METADATA") << "Metadata-Version: 2.1\nName: demo\nVersion: 0.9\n\n";
    std::ofstream(dist_info / "INSTALLER") << "conda\n";
    std::ofstream(dist_info / "RECORD") << "demo-0.9.dist-info/METADATA,,\n";
    require_refused(fixture, demo_spec(), "installed by conda", ErrorKind::Input);
    auto removed = pip::uninstall_distribution(fixture.prefix, fixture.site, "demo");
    REQUIRE_FALSE(removed);
    CHECK(removed.error().message.find("installed by conda") != std::string::npos);
    auto listed = pip::list_distributions(fixture.prefix);
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().installer == "conda");
}

TEST_CASE("wheel install: an uninstall refuses RECORD entries outside the prefix") {
    Fixture fixture;
    REQUIRE(fixture.install(demo_spec()));
    const auto record = fixture.prefix / fixture.site / "demo-1.0.dist-info/RECORD";
    std::ofstream(record, std::ios::app) << "../../../../outside.txt,,\n";
    std::ofstream(fixture.temp.path() / "outside.txt") << "keep me";
    auto removed = pip::uninstall_distribution(fixture.prefix, fixture.site, "demo");
    REQUIRE_FALSE(removed);
    CHECK(removed.error().kind == ErrorKind::Integrity);
    CHECK(fs::exists(fixture.temp.path() / "outside.txt"));
    CHECK(fs::exists(fixture.prefix / fixture.site / "demo/__init__.py"));
}

TEST_CASE("wheel install: recovery rolls back a killed transaction and completes a committed one") {
    Fixture fixture;
    REQUIRE(fixture.install(demo_spec("1.0")));
    const auto before = snapshot(fixture.prefix);
    const auto site = fixture.prefix / fixture.site;
    // What a run killed half-way leaves: an old file moved to the trash, new files written after
    // the journal's start time, a staging folder.
    const auto trash = fixture.prefix / "conda-meta/.envctl-pip-trash" / fixture.site / "demo";
    fs::create_directories(trash);
    fs::rename(site / "demo/util.py", trash / "util.py");
    std::ofstream(fixture.prefix / "conda-meta/.envctl-pip-transaction.json")
        << R"({"version":1,"state":"running","started_ns":0,"create":[")" << fixture.site
        << R"(/demo/util.py",")" << fixture.site << R"(/demo/brand_new.py"],"removed":[]})";
    fs::create_directories(fixture.prefix / "conda-meta/.envctl-pip-staging/0");
    std::ofstream(site / "demo/util.py") << "half-written";
    std::ofstream(site / "demo/brand_new.py") << "new";
    auto lock = link::PrefixLock::acquire(fixture.prefix).value();
    auto recovered = pip::recover_pip_transaction(fixture.prefix, lock);
    REQUIRE(recovered);
    CHECK(*recovered);
    CHECK(snapshot(fixture.prefix) == before);
    CHECK(slurp(site / "demo/util.py") == "X = 1\n");
    CHECK_FALSE(*pip::recover_pip_transaction(fixture.prefix, lock));  // nothing left to do

    // Committed: the trash is simply deleted.
    fs::create_directories(trash);
    std::ofstream(trash / "old.py") << "old";
    std::ofstream(fixture.prefix / "conda-meta/.envctl-pip-transaction.json")
        << R"({"version":1,"state":"committed","started_ns":0,"create":[],"removed":[]})";
    REQUIRE(*pip::recover_pip_transaction(fixture.prefix, lock));
    CHECK(snapshot(fixture.prefix) == before);
}

TEST_CASE("wheel install: several wheels as one transaction, one bad wheel installs none") {
    Fixture fixture;
    auto other = demo_spec();
    other.name = "other";
    other.members = {{"other/__init__.py", ""}};
    other.entry_points.clear();
    auto broken = demo_spec();
    broken.name = "broken";
    broken.members = {{"broken/__init__.py", ""}};
    broken.entry_points.clear();
    broken.write_record = false;
    pip::PipTransaction change;
    change.prefix = fixture.prefix;
    change.python = {"3.11", ""};
    change.compile_pyc = false;
    for (const auto& spec : {demo_spec(), other, broken}) {
        pip::WheelToInstall wheel;
        wheel.wheel = build_wheel(fixture.dist, spec);
        change.install.push_back(std::move(wheel));
    }
    const auto before = snapshot(fixture.prefix);
    {
        auto lock = link::PrefixLock::acquire(fixture.prefix).value();
        auto result = pip::apply_pip_transaction(change, lock);
        REQUIRE_FALSE(result);
        CHECK(result.error().message.find("broken") != std::string::npos);
    }
    CHECK(snapshot(fixture.prefix) == before);
    change.install.pop_back();
    auto lock = link::PrefixLock::acquire(fixture.prefix).value();
    auto result = pip::apply_pip_transaction(change, lock);
    REQUIRE(result);
    CHECK(result->installed.size() == 2);
    CHECK(pip::list_distributions(fixture.prefix)->size() == 2);
}

TEST_CASE("wheel install: path helpers") {
    CHECK(pip::site_packages_of({"3.12", ""}) == "lib/python3.12/site-packages");
    CHECK(pip::site_packages_of({"3.12", "custom/site"}) == "custom/site");
}

TEST_CASE("wheel install: kill -9 during an upgrade, then recovery restores the old version") {
    Fixture fixture;
    auto big = [](const std::string& version) {
        auto spec = demo_spec(version);
        for (int i = 0; i < 3000; ++i)
            spec.members.push_back({"demo/generated/m" + std::to_string(i) + ".py", "V = '" + version + "'\n"});
        return spec;
    };
    REQUIRE(fixture.install(big("1.0")));
    const auto before = snapshot(fixture.prefix);
    const auto wheel = build_wheel(fixture.dist, big("2.0"));
    const auto journal = fixture.prefix / "conda-meta/.envctl-pip-transaction.json";
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto request = fixture.request(wheel);
        ::_exit(pip::install_wheel(request) ? 0 : 1);
    }
    bool seen = false;
    for (int i = 0; i < 2'000'000 && !seen; ++i) seen = fs::exists(journal);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (!seen || !WIFSIGNALED(status) || !fs::exists(journal)) {
        WARN("the install finished before it could be killed; nothing to recover");
        return;
    }
    const bool committed = slurp(journal).find("\"committed\"") != std::string::npos;
    auto lock = link::PrefixLock::acquire(fixture.prefix).value();
    auto recovered = pip::recover_pip_transaction(fixture.prefix, lock);
    REQUIRE(recovered);
    CHECK(*recovered);
    CHECK_FALSE(fs::exists(journal));
    CHECK_FALSE(fs::exists(fixture.prefix / "conda-meta/.envctl-pip-trash"));
    if (committed) {  // killed while cleaning up: the upgrade stands
        CHECK(slurp(fixture.prefix / fixture.site / "demo/generated/m7.py") == "V = '2.0'\n");
        return;
    }
    CHECK(snapshot(fixture.prefix) == before);
    CHECK(slurp(fixture.prefix / fixture.site / "demo/generated/m7.py") == "V = '1.0'\n");
}
