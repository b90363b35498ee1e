// Plans for `envctl create` from lockfiles and explicit files: the real files of conda-lock,
// mamba and rattler (URLs rewritten to a local server) parse and plan, in dependency order,
// without any network; --locked/--frozen decisions on an environment file. Tests using
// ../shared/fixtures skip with a message when it is absent.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "envctl/lock/lockfile.hpp"
#include "envctl/ops/lock.hpp"
#include "envctl/ops/lock_install.hpp"
#include "envctl/spec/text_spec.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(ENVCTL_SHARED_DIR) / "fixtures" / "lockfiles";

bool have_fixtures() {
    if (fs::exists(fixtures)) return true;
    WARN("skipped: " << fixtures.string() << " is absent; these tests need the shared fixtures next to the checkout");
    return false;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
    return text;
}

// Every dependency that is in the plan comes before its dependent, unless the two are on a
// cycle (python and pip in conda-lock's files).
void check_dependency_order(const std::vector<conda::PackageRecord>& records) {
    std::map<std::string, std::size_t> position;
    for (std::size_t i = 0; i < records.size(); ++i) position[records[i].name] = i;
    std::vector<std::vector<std::size_t>> edges(records.size());
    for (std::size_t i = 0; i < records.size(); ++i)
        for (const auto& depends : records[i].depends)
            if (const auto found = position.find(lock::split_dependency(depends).name); found != position.end())
                edges[i].push_back(found->second);
    auto reaches = [&](std::size_t from, std::size_t to) {
        std::vector<bool> seen(records.size(), false);
        std::vector<std::size_t> stack = {from};
        while (!stack.empty()) {
            const auto at = stack.back();
            stack.pop_back();
            if (at == to) return true;
            if (seen[at]) continue;
            seen[at] = true;
            for (const auto next : edges[at]) stack.push_back(next);
        }
        return false;
    };
    std::size_t violations = 0;
    for (std::size_t i = 0; i < records.size(); ++i)
        for (const auto dependency : edges[i])
            if (dependency > i && !reaches(dependency, i)) ++violations;
    CHECK(violations == 0);
}

ops::LockedInstallRequest request_for(const fs::path& file, std::string platform) {
    ops::LockedInstallRequest request;
    request.file = file;
    request.platform = std::move(platform);
    request.check_virtual_packages = false;
    return request;
}

struct TempDir {
    TempDir() : dir(*TemporaryDirectory::create(fs::temp_directory_path(), "envctl-lock-install-")) {}
    TemporaryDirectory dir;
    fs::path operator/(const char* name) const { return dir.path() / name; }
};

}  // namespace

TEST_CASE("dependency order is stable and puts dependencies first") {
    auto record = [](std::string name, std::vector<std::string> depends) {
        conda::PackageRecord out;
        out.name = std::move(name);
        out.depends = std::move(depends);
        return out;
    };
    const auto ordered = ops::dependency_order({record("numpy", {"python >=3.11", "libblas"}), record("python", {"libzlib"}),
                                                record("libzlib", {}), record("libblas", {"__glibc >=2.17"}),
                                                record("a", {"b"}), record("b", {"a"})});
    std::vector<std::string> names;
    for (const auto& r : ordered) names.push_back(r.name);
    CHECK(names == std::vector<std::string>{"libzlib", "python", "libblas", "numpy", "a", "b"});
}

TEST_CASE("the real conda-lock files plan for every platform, URLs rewritten to a local server") {
    if (!have_fixtures()) return;
    std::size_t planned = 0;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "conda-lock")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path().string());
        auto text = read_file(entry.path());
        REQUIRE(text);
        const auto local = replace_all(*text, "https://conda.anaconda.org/", "http://127.0.0.1:8123/");
        auto lockfile = lock::parse_lockfile(local, entry.path().string());
        REQUIRE(lockfile);
        for (const auto& platform : lockfile->metadata.platforms) {
            std::set<std::string> categories;
            for (const auto& package : lockfile->packages) categories.insert(package.category);
            const std::vector<std::string> all(categories.begin(), categories.end());
            auto plan = ops::plan_from_lockfile(*lockfile, entry.path(), platform, all);
            REQUIRE(plan);
            std::set<std::string> conda_names, pip_names;
            for (const auto& package : lockfile->packages) {
                if (package.platform != platform) continue;
                (package.manager == lock::Manager::Conda ? conda_names : pip_names).insert(package.name);
            }
            CHECK(plan->records.size() == conda_names.size());
            CHECK(plan->pip_packages.size() == pip_names.size());
            check_dependency_order(plan->records);
            for (const auto& record : plan->records) {
                CHECK(!record.fn.empty());
                CHECK((!record.md5.empty() || !record.sha256.empty()));
                if (record.url.rfind("http://127.0.0.1:8123/", 0) == 0) {
                    CHECK(record.channel.rfind("http://127.0.0.1:8123/", 0) == 0);
                    CHECK(record.url == record.channel + "/" + record.subdir + "/" + record.fn);
                }
            }
            ++planned;
        }
    }
    CHECK(planned >= 20);
}

TEST_CASE("categories select entries, main by default, overlaps installed once") {
    if (!have_fixtures()) return;
    auto lockfile = lock::read_lockfile(fixtures / "conda-lock/mamba/libmamba/good_multiple_categories-lock.yaml");
    REQUIRE(lockfile);
    auto main_only = ops::plan_from_lockfile(*lockfile, "x", "linux-64", {});
    REQUIRE(main_only);
    auto with_dev = ops::plan_from_lockfile(*lockfile, "x", "linux-64", {"main", "dev"});
    REQUIRE(with_dev);
    CHECK(main_only->records.size() + main_only->pip_packages.size() == 8);
    CHECK(with_dev->records.size() + with_dev->pip_packages.size() == 37);
    auto missing = ops::plan_from_lockfile(*lockfile, "x", "win-64", {});
    REQUIRE(!missing);
    CHECK_THAT(missing.error().message, Catch::Contains("does not lock platform win-64"));
}

TEST_CASE("explicit files and lockfiles given with -f plan without network") {
    if (!have_fixtures()) return;
    const config::Config config;
    const config::Environment environment;
    const repodata::Options options;
    for (const auto& entry : fs::recursive_directory_iterator(fixtures / "explicit")) {
        if (!entry.is_regular_file()) continue;
        INFO(entry.path().string());
        auto file = spec::parse_text_spec_file(entry.path());
        REQUIRE(file);
        const auto platform = file->platform.empty() ? std::string("linux-64") : file->platform;
        CHECK(ops::is_locked_input(entry.path()));
        auto plan = ops::plan_locked_install(request_for(entry.path(), platform), config, environment, options);
        REQUIRE(plan);
        CHECK(plan->origin == ops::LockedInstallPlan::Origin::Explicit);
        CHECK(plan->records.size() == file->packages.size());
        if (!file->platform.empty()) {
            auto other = ops::plan_locked_install(request_for(entry.path(), file->platform == "win-64" ? "linux-64" : "win-64"),
                                                  config, environment, options);
            REQUIRE(!other);
            CHECK_THAT(other.error().hints.front(), Catch::Contains("--platform"));
        }
    }
    const auto lock_path = fixtures / "conda-lock/mamba/micromamba/test-env-lock.yaml";
    CHECK(ops::is_locked_input(lock_path));
    auto plan = ops::plan_locked_install(request_for(lock_path, "osx-arm64"), config, environment, options);
    REQUIRE(plan);
    CHECK(plan->origin == ops::LockedInstallPlan::Origin::Lockfile);
    CHECK(!plan->records.empty());
    CHECK(plan->channels.size() == 1 + config.default_channels.size());  // conda-forge, then defaults expanded
    auto pixi = ops::plan_locked_install(request_for(fixtures / "pixi-lock/rattler/v6/python-from-conda-only-lock.yml", "osx-arm64"),
                                         config, environment, options);
    REQUIRE(!pixi);
    CHECK_THAT(pixi.error().message, Catch::Contains("pixi"));
}

TEST_CASE("--frozen, --locked and the current lockfile beside an environment file") {
    TempDir dir;
    const auto env_file = dir / "environment.yml";
    REQUIRE(write_file_atomic(env_file, "name: t\nchannels: [http://127.0.0.1:9/chan]\ndependencies:\n  - zlib\n"));
    const config::Config config;
    const config::Environment environment;
    const repodata::Options options;  // no cache folder: any repodata load would fail

    auto request = request_for(env_file, "linux-64");
    CHECK(!ops::is_locked_input(env_file));
    request.mode = ops::LockMode::Frozen;
    auto missing = ops::plan_locked_install(request, config, environment, options);
    REQUIRE(!missing);
    CHECK(missing.error().kind == ErrorKind::Input);
    request.mode = ops::LockMode::Locked;
    CHECK(!ops::plan_locked_install(request, config, environment, options));

    // A lockfile that satisfies the file: zlib and its dependency libzlib.
    lock::Lockfile lockfile;
    lockfile.metadata.platforms = {"linux-64"};
    lockfile.metadata.channels = {{"http://127.0.0.1:9/chan", {}}};
    lockfile.metadata.sources = {"environment.yml"};
    lock::LockedPackage zlib;
    zlib.name = "zlib";
    zlib.version = "1.3.1";
    zlib.platform = "linux-64";
    zlib.dependencies = {{"libzlib", "1.3.1 h_0"}};
    zlib.url = "http://127.0.0.1:9/chan/linux-64/zlib-1.3.1-h_0.conda";
    zlib.md5 = std::string(32, 'a');
    auto libzlib = zlib;
    libzlib.name = "libzlib";
    libzlib.dependencies = {};
    libzlib.url = "http://127.0.0.1:9/chan/linux-64/libzlib-1.3.1-h_0.conda";
    lockfile.packages = {zlib, libzlib};
    REQUIRE(write_file_atomic(dir / "envctl-lock.yml", lock::format_lockfile(lockfile)));

    for (const auto mode : {ops::LockMode::Default, ops::LockMode::Locked}) {
        request.mode = mode;
        auto plan = ops::plan_locked_install(request, config, environment, options);
        REQUIRE(plan);
        CHECK(plan->origin == ops::LockedInstallPlan::Origin::CurrentLockfile);
        REQUIRE(plan->records.size() == 2);
        CHECK(plan->records[0].name == "libzlib");
        CHECK(plan->requested_specs == std::vector<std::string>{"zlib"});
    }

    // The file now asks for more: --locked fails and lists why; --frozen installs as it is.
    REQUIRE(write_file_atomic(env_file, "name: t\nchannels: [http://127.0.0.1:9/chan]\ndependencies:\n  - zlib >=2\n"));
    request.mode = ops::LockMode::Locked;
    auto stale = ops::plan_locked_install(request, config, environment, options);
    REQUIRE(!stale);
    CHECK(stale.error().kind == ErrorKind::Unsatisfiable);
    CHECK_THAT(stale.error().message, Catch::Contains("zlib >=2"));
    request.mode = ops::LockMode::Frozen;
    auto frozen = ops::plan_locked_install(request, config, environment, options);
    REQUIRE(frozen);
    CHECK(frozen->origin == ops::LockedInstallPlan::Origin::FrozenLockfile);
    CHECK(frozen->records.size() == 2);
}
