#pragma once
// What the commands that change a prefix (create, install, update, remove) share: their
// options, the summary table and confirmation before changes, progress bars for download,
// extraction and linking, and the report afterwards.
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "envctl/config/config.hpp"
#include "envctl/ops/install.hpp"

namespace envctl::cli {

struct ChangeOptions {
    bool yes = false;              // -y: no confirmation
    bool dry_run = false;          // show the change only
    bool copy = false;             // --copy: copy files instead of hard-linking them
    bool no_link_scripts = false;  // --no-link-scripts
    bool no_pyc = false;           // --no-pyc: do not compile noarch: python sources
};
// Registers -y/--yes, --copy, --no-link-scripts, --no-pyc (and --dry-run when asked).
void add_change_options(CLI::App& command, ChangeOptions& options, bool with_dry_run);

// Fills request's switches from the options and the configuration (always_copy, compile_pyc),
// plus the command line, user agent and version for history.
void prepare_request(ops::ApplyRequest& request, const ChangeOptions& options, const config::Config& config);

// Runs ops::apply_environment: progress bars on a terminal, the change as a table and a
// confirmation prompt (skipped with -y, --json, or when stdin is not a terminal), then a
// summary (or the --json document). `verb` names the operation in messages ("install").
// Returns the exit code.
int run_apply(const GlobalOptions& global, const ops::ApplyRequest& request, const ChangeOptions& options,
              const config::Config& config, const config::Environment& environment);

// This process's command line, as conda-meta/history records it.
std::string command_line();

}  // namespace envctl::cli
