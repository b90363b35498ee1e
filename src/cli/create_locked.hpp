#pragma once
// The lockfile paths of `envctl create` (docs/lockfiles.md): -f with a conda-lock or explicit
// file, and -f environment.yml with its lockfile beside it (--locked, --frozen). cmd_create
// calls these before solving; the logic lives in ops/lock_install.
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "envctl/config/config.hpp"
#include "install_ui.hpp"

namespace envctl::cli {

struct LockedCreateOptions {
    bool locked = false;                  // --locked
    bool frozen = false;                  // --frozen
    std::vector<std::string> categories;  // --category (conda-lock files), default main
};
// Registers --locked, --frozen and --category.
void add_locked_create_options(CLI::App& command, LockedCreateOptions& options);

// Whether `create -f file` installs without the solver's plan: the file is a conda-lock or
// explicit file, or it is an environment file and no positional specs or -c channels change
// what it asks for (its lockfile beside it is then used, checked, or written).
bool takes_locked_path(const std::filesystem::path& file, const LockedCreateOptions& options, bool has_specs,
                       bool has_channels);

// Plans from the file (ops::plan_locked_install) and installs the plan into `prefix` with
// run_apply (no solve; repodata only when an environment file's lockfile must be rewritten).
// Returns the exit code.
int run_locked_create(const GlobalOptions& global, const std::filesystem::path& file, const std::filesystem::path& prefix,
                      const std::string& platform, const LockedCreateOptions& options, const ChangeOptions& change,
                      const config::Config& config, const config::Environment& environment);

}  // namespace envctl::cli
