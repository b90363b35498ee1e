// Activation as conda does it: variables of activate/deactivate (nested, stacked, state
// variables with saved values), round trips back to the starting environment, shell text,
// activate.d scripts sourced in /bin/sh, and the rc-file block of `envctl shell init`.
#include <catch2/catch.hpp>

#include <filesystem>

#include "envctl/ops/activation.hpp"
#include "envctl/ops/shell.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

struct ActivationSandbox {
    TemporaryDirectory directory = *TemporaryDirectory::create(fs::temp_directory_path(), "envctl-activation-");

    fs::path environment(const std::string& name, const std::string& state = {}) {
        const auto prefix = directory.path() / "envs" / name;
        fs::create_directories(prefix / "conda-meta");
        if (!state.empty()) REQUIRE(write_file_atomic(prefix / "conda-meta" / "state", state));
        return prefix;
    }
    void script(const fs::path& prefix, const std::string& kind, const std::string& name, const std::string& text) {
        fs::create_directories(prefix / "etc" / "conda" / (kind + ".d"));
        REQUIRE(write_file_atomic(prefix / "etc" / "conda" / (kind + ".d") / name, text));
    }
};

ops::EnvironmentMap activate(const ops::EnvironmentMap& current, const fs::path& prefix, const ops::ActivationOptions& options) {
    auto change = ops::plan_activate(current, prefix, options);
    REQUIRE(change);
    return ops::apply_change(current, *change);
}

ops::EnvironmentMap deactivate(const ops::EnvironmentMap& current, const ops::ActivationOptions& options) {
    auto change = ops::plan_deactivate(current, options);
    REQUIRE(change);
    return ops::apply_change(current, *change);
}

}  // namespace

TEST_CASE("activation sets conda's variables and the state variables") {
    ActivationSandbox sandbox;
    const auto prefix = sandbox.environment("ml", R"({"env_vars": {"DATA_DIR": "/data", "HOME_TOO": "x y 'z'"}})");
    ops::ActivationOptions options;
    options.envs_dirs = {sandbox.directory.path() / "envs"};
    const ops::EnvironmentMap start = {{"PATH", "/usr/bin:/bin"}, {"DATA_DIR", "/old"}};
    const auto active = activate(start, prefix, options);
    CHECK(active.at("PATH") == (prefix / "bin").string() + ":/usr/bin:/bin");
    CHECK(active.at("CONDA_PREFIX") == prefix.string());
    CHECK(active.at("CONDA_SHLVL") == "1");
    CHECK(active.at("CONDA_DEFAULT_ENV") == "ml");
    CHECK(active.at("CONDA_PROMPT_MODIFIER") == "(ml) ");
    CHECK(active.at("DATA_DIR") == "/data");
    CHECK(active.at("__CONDA_SHLVL_0_DATA_DIR") == "/old");
    CHECK(active.at("HOME_TOO") == "x y 'z'");

    const auto back = deactivate(active, options);
    auto expected = start;
    expected["CONDA_SHLVL"] = "0";
    CHECK(back == expected);
}

TEST_CASE("nested activation replaces the PATH entry and deactivation walks back") {
    ActivationSandbox sandbox;
    const auto first = sandbox.environment("first", R"({"env_vars": {"WHICH": "first", "ONLY_FIRST": "1"}})");
    const auto second = sandbox.environment("second", R"({"env_vars": {"WHICH": "second"}})");
    ops::ActivationOptions options;
    const ops::EnvironmentMap start = {{"PATH", "/usr/bin"}, {"WHICH", "none"}};
    const auto one = activate(start, first, options);
    const auto two = activate(one, second, options);
    CHECK(two.at("PATH") == (second / "bin").string() + ":/usr/bin");
    CHECK(two.at("CONDA_SHLVL") == "2");
    CHECK(two.at("CONDA_PREFIX_1") == first.string());
    CHECK(two.at("CONDA_DEFAULT_ENV") == second.string());  // not inside envs_dirs: the path
    CHECK(two.at("WHICH") == "second");
    CHECK_FALSE(two.contains("ONLY_FIRST"));

    const auto back_one = deactivate(two, options);
    CHECK(back_one == one);
    const auto back_start = deactivate(back_one, options);
    auto expected = start;
    expected["CONDA_SHLVL"] = "0";
    CHECK(back_start == expected);
    // Nothing active: nothing to do.
    CHECK(deactivate(back_start, options) == back_start);
}

TEST_CASE("stacked activation keeps the previous PATH entry and its variables") {
    ActivationSandbox sandbox;
    const auto first = sandbox.environment("first", R"({"env_vars": {"ONLY_FIRST": "1"}})");
    const auto second = sandbox.environment("second");
    ops::ActivationOptions options;
    const ops::EnvironmentMap start = {{"PATH", "/usr/bin"}};
    const auto one = activate(start, first, options);
    options.stack = true;
    const auto two = activate(one, second, options);
    CHECK(two.at("PATH") == (second / "bin").string() + ":" + (first / "bin").string() + ":/usr/bin");
    CHECK(two.at("CONDA_STACKED_2") == "true");
    CHECK(two.at("ONLY_FIRST") == "1");
    CHECK(deactivate(two, options) == one);
}

TEST_CASE("reactivating the active environment keeps the level") {
    ActivationSandbox sandbox;
    const auto prefix = sandbox.environment("env", R"({"env_vars": {"A": "1"}})");
    ops::ActivationOptions options;
    const auto once = activate({{"PATH", "/bin"}}, prefix, options);
    CHECK(activate(once, prefix, options) == once);
}

TEST_CASE("the unset marker of conda-meta/state unsets a variable until deactivation") {
    ActivationSandbox sandbox;
    const auto prefix = sandbox.environment("env", R"({"env_vars": {"PYTHONPATH": "***unset***"}})");
    ops::ActivationOptions options;
    const ops::EnvironmentMap start = {{"PATH", "/bin"}, {"PYTHONPATH", "/somewhere"}};
    const auto active = activate(start, prefix, options);
    CHECK_FALSE(active.contains("PYTHONPATH"));
    CHECK(deactivate(active, options).at("PYTHONPATH") == "/somewhere");
}

TEST_CASE("bad input: no conda-meta, broken state file") {
    ActivationSandbox sandbox;
    ops::ActivationOptions options;
    auto missing = ops::plan_activate({}, sandbox.directory.path() / "nothing", options);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::Input);
    const auto broken = sandbox.environment("broken", "{not json");
    auto parsed = ops::plan_activate({}, broken, options);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.find("conda-meta/state") != std::string::npos);
}

TEST_CASE("scripts: sorted, deactivate ones in reverse, sourced in /bin/sh") {
    ActivationSandbox sandbox;
    const auto prefix = sandbox.environment("env");
    sandbox.script(prefix, "activate", "b.sh", "export ORDER=\"${ORDER}b\"\n");
    sandbox.script(prefix, "activate", "a.sh", "export ORDER=\"${ORDER}a\"\nunset GONE\necho chatter\n");
    sandbox.script(prefix, "activate", "c.fish", "set -gx FISH 1\n");
    sandbox.script(prefix, "deactivate", "a.sh", "");
    sandbox.script(prefix, "deactivate", "b.sh", "");
    const auto scripts = ops::activation_scripts(prefix, "activate", ".sh");
    REQUIRE(scripts.size() == 2);
    CHECK(scripts[0].filename() == "a.sh");

    auto sourced = ops::source_scripts({{"PATH", "/usr/bin:/bin"}, {"GONE", "1"}, {"KEPT", "multi\nline"}}, scripts);
    REQUIRE(sourced);
    CHECK(sourced->at("ORDER") == "ab");
    CHECK_FALSE(sourced->contains("GONE"));
    CHECK(sourced->at("KEPT") == "multi\nline");

    ops::ActivationOptions options;
    const auto active = activate({{"PATH", "/bin"}}, prefix, options);
    auto change = ops::plan_deactivate(active, options);
    REQUIRE(change);
    REQUIRE(change->deactivate_scripts.size() == 2);
    CHECK(change->deactivate_scripts[0].filename() == "b.sh");
}

TEST_CASE("a script that exits the shell is an error naming it") {
    ActivationSandbox sandbox;
    const auto prefix = sandbox.environment("env");
    sandbox.script(prefix, "activate", "a.sh", "export FINE=1\n");
    sandbox.script(prefix, "activate", "b.sh", "exit 3\n");
    auto sourced = ops::source_scripts({{"PATH", "/usr/bin:/bin"}}, ops::activation_scripts(prefix, "activate", ".sh"));
    REQUIRE_FALSE(sourced);
    CHECK(sourced.error().message.find("b.sh") != std::string::npos);
    CHECK(sourced.error().message.find("exit status 3") != std::string::npos);
}

TEST_CASE("run_environment: clean environment, scripts, then -e values") {
    ActivationSandbox sandbox;
    const auto prefix = sandbox.environment("env", R"({"env_vars": {"FROM_STATE": "state"}})");
    sandbox.script(prefix, "activate", "x.sh", "export FROM_SCRIPT=\"$FROM_STATE-script\"\n");
    ops::RunEnvironmentRequest request;
    request.prefix = prefix;
    request.base = {{"PATH", "/opt/custom/bin"}, {"HOME", "/home/me"}, {"SECRET", "s"}, {"LC_ALL", "C"}};
    request.clean_env = true;
    request.extra = {{"FROM_SCRIPT", "overridden"}, {"EXTRA", "1"}};
    auto environment = ops::run_environment(request);
    REQUIRE(environment);
    CHECK(environment->at("PATH") == (prefix / "bin").string() + ":/usr/local/bin:/usr/bin:/bin");
    CHECK(environment->at("HOME") == "/home/me");
    CHECK(environment->at("LC_ALL") == "C");
    CHECK_FALSE(environment->contains("SECRET"));
    CHECK(environment->at("FROM_STATE") == "state");
    CHECK(environment->at("FROM_SCRIPT") == "overridden");
    CHECK(environment->at("EXTRA") == "1");
    CHECK(environment->at("CONDA_SHLVL") == "1");
}

TEST_CASE("shell text quotes values and handles the prompt") {
    ops::ActivationChange change;
    change.set = {{"A", "it's"}, {"PATH", "/a b:/c"}};
    change.unset = {"B"};
    change.activate_scripts = {"/p/etc/conda/activate.d/x.sh"};
    change.prompt_modifier = "(p) ";
    const auto posix = ops::render_change(change, ops::Shell::Bash, true);
    CHECK(posix.find("export A='it'\\''s'\n") != std::string::npos);
    CHECK(posix.find("unset B\n") != std::string::npos);
    CHECK(posix.find(". '/p/etc/conda/activate.d/x.sh'\n") != std::string::npos);
    CHECK(posix.find("PS1=") != std::string::npos);
    CHECK(ops::render_change(change, ops::Shell::Zsh, false).find("PS1") == std::string::npos);
    const auto fish = ops::render_change(change, ops::Shell::Fish, true);
    CHECK(fish.find("set -gx A 'it\\'s'\n") != std::string::npos);
    CHECK(fish.find("set -gx PATH '/a b' '/c'\n") != std::string::npos);
    CHECK(fish.find("set -g __envctl_prompt_modifier '(p) '\n") != std::string::npos);
}

TEST_CASE("the init block is added once, replaced in place and removed cleanly") {
    const auto block = ops::init_block(ops::Shell::Bash, "/usr/bin/envctl");
    CHECK(block.starts_with(ops::init_block_begin));
    const std::string original = "export A=1\nalias ll='ls -l'";
    const auto once = ops::with_init_block(original, block);
    CHECK(ops::with_init_block(once, block) == once);
    const auto updated = ops::with_init_block(once + "# after\n", ops::init_block(ops::Shell::Bash, "/opt/envctl"));
    CHECK(updated.find("/usr/bin/envctl") == std::string::npos);
    CHECK(updated.find("/opt/envctl") != std::string::npos);
    CHECK(updated.ends_with("# after\n"));
    CHECK(ops::without_init_block(once) == original + "\n");
    CHECK(ops::without_init_block(original) == original);
    CHECK(ops::with_init_block("", block) == block);
}
