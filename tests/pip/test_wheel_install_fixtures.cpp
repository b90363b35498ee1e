// The real wheels of ../shared/fixtures/wheels (pip, setuptools, wheel, small_python_package):
// installed together with .pyc compilation by a real python, entry points run, then uninstalled
// by RECORD without a trace. Skipped when the fixtures or /usr/bin/python3.11 are absent.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include <catch2/catch.hpp>

#include "envctl/pip/wheel_install.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/util/fs.hpp"
#include "wheel_test_support.hpp"

using namespace envctl;
using namespace wheel_test;

namespace {

const fs::path fixture_wheels = fs::path(ENVCTL_SHARED_DIR) / "fixtures" / "wheels";
const fs::path system_python = "/usr/bin/python3.11";

std::string run_command(const std::string& command) {
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
    std::string out;
    char buffer[4096];
    while (pipe && std::fgets(buffer, sizeof buffer, pipe.get())) out += buffer;
    return out;
}

}  // namespace

TEST_CASE("wheel install: real fixture wheels with pyc, entry points run, uninstall leaves nothing") {
    if (!fs::exists(fixture_wheels)) {
        WARN("skipped: " << fixture_wheels << " is absent (the shared fixtures are not next to the checkout)");
        return;
    }
    if (!fs::exists(system_python)) {
        WARN("skipped: " << system_python << " is absent; the test compiles .pyc files and runs entry points with it");
        return;
    }
    auto temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-wheel-fixtures").value();
    const auto prefix = temp.path() / "env";
    const std::string site = "lib/python3.11/site-packages";
    fs::create_directories(prefix / site);
    fs::create_directories(prefix / "bin");
    fs::create_directories(prefix / "conda-meta");
    fs::create_symlink(system_python, prefix / "bin/python");
    const auto before = snapshot(prefix);

    pip::PipTransaction change;
    change.prefix = prefix;
    change.python = {"3.11", ""};
    for (const auto* name : {"conda/small_python_package-1.0.0-py3-none-any.whl", "debian/pip-23.0.1-py3-none-any.whl",
                             "debian/setuptools-66.1.1-py3-none-any.whl", "debian/wheel-0.38.4-py3-none-any.whl"})
    {
        pip::WheelToInstall wheel;
        wheel.wheel = fixture_wheels / name;
        wheel.requested = true;
        change.install.push_back(std::move(wheel));
    }
    std::vector<std::string> warnings;
    change.on_warning = [&](const std::string& warning) { warnings.push_back(warning); };
    pip::PipTransactionResult result;
    {
        auto lock = link::PrefixLock::acquire(prefix).value();
        auto applied = pip::apply_pip_transaction(change, lock);
        REQUIRE(applied);
        result = std::move(*applied);
    }
    CHECK(warnings.empty());
    REQUIRE(result.installed.size() == 4);
    const auto& pip_wheel = result.installed[1];
    CHECK(pip_wheel.name == "pip");
    CHECK(pip_wheel.version == "23.0.1");
    CHECK(pip_wheel.pyc_files > 300);
    CHECK(pip_wheel.scripts == std::vector<std::string>{"bin/pip", "bin/pip3", "bin/pip3.11"});
    CHECK(fs::exists(prefix / site / "distutils-precedence.pth"));
    CHECK(fs::exists(prefix / site / "pip/__pycache__/__init__.cpython-311.pyc"));

    // RECORD of pip: every file with its hash, pyc files included.
    const auto dist_info = prefix / site / "pip-23.0.1.dist-info";
    std::size_t hashed = 0;
    const auto entries = pypi::parse_record(slurp(dist_info / "RECORD")).value();
    for (const auto& entry : entries) {
        if (entry.hash_algorithm.empty()) continue;
        INFO(entry.path);
        CHECK("sha256=" + entry.hash_digest == record_hash(slurp(prefix / site / entry.path)));
        ++hashed;
    }
    CHECK(hashed == pip_wheel.files.size() - 1);

    // The entry points run with the environment's python (the symlinked system python needs the
    // prefix's site-packages on its path).
    const auto env = "PYTHONPATH=" + (prefix / site).string() + " PYTHONDONTWRITEBYTECODE=1 ";
    CHECK(run_command(env + (prefix / "bin/small-py-cli").string() + " --version 2>&1").find("small-python-package 1.0.0") != std::string::npos);
    CHECK(run_command(env + (prefix / "bin/pip").string() + " --version 2>&1").starts_with("pip 23.0.1 from " +
                                                                                          (prefix / site).string()));
    CHECK(run_command(env + (prefix / "bin/wheel").string() + " version 2>&1").find("0.38.4") != std::string::npos);

    auto listed = pip::list_distributions(prefix);
    REQUIRE(listed);
    std::vector<std::string> names;
    for (const auto& distribution : *listed) names.push_back(distribution.name + " " + distribution.version);
    CHECK(names == std::vector<std::string>{"pip 23.0.1", "setuptools 66.1.1", "small-python-package 1.0.0",
                                            "wheel 0.38.4"});

    for (const auto* name : {"pip", "setuptools", "wheel", "small_python_package"})
        REQUIRE(pip::uninstall_distribution(prefix, site, name));
    CHECK(snapshot(prefix) == before);
}
