#pragma once
// Activation: what entering or leaving an environment changes in a process environment, as
// conda computes it. `envctl run` applies it to the child's environment (sourcing the
// activate.d scripts in /bin/sh); `envctl shell activate/deactivate` renders it as shell code
// (envctl/ops/shell.hpp). docs/activation.md describes the behaviour for users.
//
//   const auto current = config::Environment::from_process().variables;
//   auto change = ops::plan_activate(current, "/envs/ml", options);
//   auto env = ops::apply_change(current, *change);
//   auto with_scripts = ops::source_scripts(env, change->activate_scripts);
//
// Variables, as conda sets them: PATH (<prefix>/bin first, replacing the previous environment's
// entry unless stacked), CONDA_PREFIX, CONDA_SHLVL, CONDA_DEFAULT_ENV, CONDA_PROMPT_MODIFIER,
// CONDA_PREFIX_<n> (the environment active at level n), CONDA_STACKED_<n>, the env_vars of
// conda-meta/state (a value already set is saved as __CONDA_SHLVL_<n>_<VAR> and restored on
// deactivation; the value "***unset***" unsets the variable).
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "envctl/config/config.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

using EnvironmentMap = std::map<std::string, std::string>;

struct ActivationOptions {
    // Folders of named environments: an environment directly inside one is called by its
    // folder name in CONDA_DEFAULT_ENV and the prompt; others by their path.
    std::vector<std::filesystem::path> envs_dirs;
    std::filesystem::path root_prefix;  // called "base"
    bool stack = false;                 // keep the active environment's PATH entry (conda --stack)
    std::string script_extension = ".sh";  // activate.d/deactivate.d scripts run by the shell
};

// What a shell does, in this order: source deactivate_scripts (in the environment being left),
// unset `unset`, export `set`, source activate_scripts.
struct ActivationChange {
    std::vector<std::filesystem::path> deactivate_scripts;
    std::vector<std::string> unset;
    std::vector<std::pair<std::string, std::string>> set;
    std::vector<std::filesystem::path> activate_scripts;
    // CONDA_PROMPT_MODIFIER after the change ("" when no environment is left active).
    std::string prompt_modifier;
};

// The change that activates `prefix` on top of `current`. Errors: not an environment (no
// conda-meta folder, ErrorKind::Input), unreadable conda-meta/state (Input, naming the file).
Result<ActivationChange> plan_activate(const EnvironmentMap& current, const std::filesystem::path& prefix,
                                       const ActivationOptions& options);
// The change that leaves the active environment (CONDA_PREFIX) and goes back to the one below
// it; nothing when none is active.
Result<ActivationChange> plan_deactivate(const EnvironmentMap& current, const ActivationOptions& options);

// `environment` with the change's unset and set applied (scripts are not run).
EnvironmentMap apply_change(EnvironmentMap environment, const ActivationChange& change);

// Sources the scripts, in order, in one /bin/sh started with `environment` (stdin from
// /dev/null, their stdout sent to stderr) and returns `environment` plus what they changed.
// A script that makes the shell exit is an error naming it.
Result<EnvironmentMap> source_scripts(const EnvironmentMap& environment, const std::vector<std::filesystem::path>& scripts);

// conda-meta/state's env_vars, in file order; empty when the file is absent.
Result<std::vector<std::pair<std::string, std::string>>> read_state_variables(const std::filesystem::path& prefix);

// <prefix>/etc/conda/<kind>.d/*<extension>, sorted by name (kind: "activate" or "deactivate").
std::vector<std::filesystem::path> activation_scripts(const std::filesystem::path& prefix, std::string_view kind,
                                                      std::string_view extension);

// CONDA_DEFAULT_ENV for a prefix: "base" for the root prefix, the folder name inside envs_dirs,
// else the path.
std::string environment_display_name(const std::filesystem::path& prefix, const ActivationOptions& options);

// True for a name a shell can export: [A-Za-z_][A-Za-z0-9_]*.
bool is_variable_name(std::string_view name);

// The environment `envctl run` gives its command: activation of `prefix` over `base` (the
// caller's environment, or the clean one), the activate.d *.sh scripts sourced, then `extra`
// (-e VAR=VALUE) on top.
struct RunEnvironmentRequest {
    std::filesystem::path prefix;
    EnvironmentMap base;
    bool clean_env = false;
    std::vector<std::pair<std::string, std::string>> extra;
    ActivationOptions options;
};
Result<EnvironmentMap> run_environment(const RunEnvironmentRequest& request);
// What --clean-env keeps of the caller's environment: HOME, USER, LOGNAME, SHELL, TERM, LANG,
// LANGUAGE, LC_*, TZ, TMPDIR, DISPLAY, XDG_RUNTIME_DIR; PATH becomes /usr/local/bin:/usr/bin:/bin.
EnvironmentMap clean_environment(const EnvironmentMap& caller);

// Which environment a command means.
//   by_name_or_path: a path when it contains '/' or starts with '.' or '~', else a name looked up
//     in envs_dirs, then in .envctl/envs/ of `cwd` and its parents (per-project environments);
//   by_file: the prefix `envctl create -f FILE` uses (ops::create_prefix);
//   of_project: by_file for the first environment.yml / environment.yaml in `cwd` or a parent.
// Errors (ErrorKind::Input or Usage) say where envctl looked and what to do.
Result<std::filesystem::path> environment_by_name_or_path(std::string_view text, const config::Config& config,
                                                          const std::filesystem::path& cwd);
Result<std::filesystem::path> environment_by_file(const std::filesystem::path& file, const config::Config& config);
Result<std::filesystem::path> environment_of_project(const config::Config& config, const std::filesystem::path& cwd);

}  // namespace envctl::ops
