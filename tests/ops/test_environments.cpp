// The environment registry (<root>/environments.txt): registration without duplicates, listing
// order and kinds, pruning of vanished prefixes; and how list/repoquery find an environment.
#include <catch2/catch.hpp>

#include <filesystem>
#include <tuple>
#include <utility>

#include "envctl/ops/environments.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

struct EnvironmentsSandbox {
    TemporaryDirectory directory = *TemporaryDirectory::create(fs::temp_directory_path(), "envctl-environments-");
    config::Config config;

    EnvironmentsSandbox() {
        config.root_prefix = fs::weakly_canonical(directory.path()) / "root";
        config.envs_dirs = {config.root_prefix / "envs"};
    }
    fs::path environment(const fs::path& prefix) {
        fs::create_directories(prefix / "conda-meta");
        REQUIRE(write_file_atomic(prefix / "conda-meta" / "history", ""));
        return prefix;
    }
    fs::path path(const std::string& relative) { return fs::weakly_canonical(directory.path()) / relative; }
};

std::vector<std::string> registry_lines(const fs::path& root) {
    std::vector<std::string> lines;
    auto text = read_file(ops::registry_file(root));
    REQUIRE(text);
    std::string line;
    for (const char c : *text) {
        if (c == '\n') lines.push_back(std::exchange(line, {}));
        else line += c;
    }
    return lines;
}

}  // namespace

TEST_CASE("registering an environment twice lists it once") {
    EnvironmentsSandbox box;
    const auto prefix = box.environment(box.path("work/env"));
    REQUIRE(ops::register_environment(box.config.root_prefix, prefix));
    REQUIRE(ops::register_environment(box.config.root_prefix, prefix / "."));
    CHECK(registry_lines(box.config.root_prefix) == std::vector<std::string>{prefix.string()});
}

TEST_CASE("environments: root, envs_dirs, then registered ones by path, with their kinds") {
    EnvironmentsSandbox box;
    box.environment(box.config.root_prefix);
    const auto named_b = box.environment(box.config.root_prefix / "envs" / "b");
    const auto named_a = box.environment(box.config.root_prefix / "envs" / "a");
    fs::create_directories(box.config.root_prefix / "envs" / "not-an-env");
    const auto project = box.environment(box.path("proj/.envctl/envs/default"));
    const auto other = box.environment(box.path("elsewhere"));
    for (const auto& prefix : {project, other, named_a})
        REQUIRE(ops::register_environment(box.config.root_prefix, prefix));

    auto listed = ops::list_environments(box.config);
    REQUIRE(listed);
    std::vector<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& entry : *listed)
        seen.emplace_back(entry.name, entry.prefix.string(), std::string(ops::environment_kind_name(entry.kind)));
    CHECK(seen == std::vector<std::tuple<std::string, std::string, std::string>>{
                      {"base", box.config.root_prefix.string(), "root"},
                      {"a", named_a.string(), "named"},
                      {"b", named_b.string(), "named"},
                      {"elsewhere", other.string(), "other"},
                      {"default", project.string(), "project"},
                  });
}

TEST_CASE("a registered prefix that disappears leaves the registry") {
    EnvironmentsSandbox box;
    const auto kept = box.environment(box.path("kept"));
    const auto gone = box.environment(box.path("gone"));
    REQUIRE(ops::register_environment(box.config.root_prefix, kept));
    REQUIRE(ops::register_environment(box.config.root_prefix, gone));
    fs::remove(gone / "conda-meta" / "history");  // no longer an environment
    auto listed = ops::list_environments(box.config);
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().prefix == kept);
    CHECK(registry_lines(box.config.root_prefix) == std::vector<std::string>{kept.string()});
}

TEST_CASE("existing_environment: -p, -n in envs_dirs, CONDA_PREFIX, and clear errors") {
    EnvironmentsSandbox box;
    const auto named = box.environment(box.config.root_prefix / "envs" / "ml");
    const auto elsewhere = box.environment(box.path("elsewhere"));
    config::Environment environment;

    auto by_path = ops::existing_environment(elsewhere.string(), "", box.config, environment);
    REQUIRE(by_path);
    CHECK(*by_path == elsewhere);
    auto by_name = ops::existing_environment("", "ml", box.config, environment);
    REQUIRE(by_name);
    CHECK(*by_name == named);

    auto missing = ops::existing_environment("", "nope", box.config, environment);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::Input);
    auto bad_name = ops::existing_environment("", "a/b", box.config, environment);
    REQUIRE_FALSE(bad_name);
    CHECK(bad_name.error().kind == ErrorKind::Usage);
    auto not_env = ops::existing_environment(box.path("").string(), "", box.config, environment);
    REQUIRE_FALSE(not_env);
    CHECK(not_env.error().message.find("not an environment") != std::string::npos);
    auto nothing = ops::existing_environment("", "", box.config, environment);
    REQUIRE_FALSE(nothing);
    CHECK(nothing.error().kind == ErrorKind::Usage);

    environment.variables["CONDA_PREFIX"] = elsewhere.string();
    auto active = ops::existing_environment("", "", box.config, environment);
    REQUIRE(active);
    CHECK(*active == elsewhere);
}
