#pragma once
// Which existing environment a command works on: -p PREFIX, -n NAME, or -f environment.yml (its
// per-project prefix .envctl/envs/<name> beside the file). The lookups themselves are
// ops::existing_environment and ops::environment_by_file, shared with run, list and repoquery.
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "envctl/config/config.hpp"
#include "envctl/util/result.hpp"

namespace envctl::cli {

struct EnvironmentTarget {
    std::string prefix;
    std::string name;
    std::string file;
};

// Adds -p/--prefix, -n/--name and, when `with_file`, -f/--file.
void add_environment_target_options(CLI::App& command, EnvironmentTarget& target, bool with_file);

// The prefix the options name, which must hold an environment.
Result<std::filesystem::path> existing_environment(const EnvironmentTarget& target, const config::Config& config);

}  // namespace envctl::cli
