#pragma once
// The CLI is a thin layer: each command parses its options into a plain struct, calls the
// library and prints. A command's `add_*_command` registers a CLI11 subcommand and, when
// that subcommand is chosen, stores the function that runs it.
#include <functional>

#include <CLI/CLI.hpp>

namespace envctl::cli {

// Options accepted by every command (before or after the command name).
struct GlobalOptions {
    int verbosity = 0;  // -v, -vv
    bool quiet = false;
    bool json = false;
};

// Runs the chosen command and returns the process exit code.
using CommandRunner = std::function<int()>;

struct CommandContext {
    CLI::App& app;
    const GlobalOptions& global;
    CommandRunner& selected;
};

void add_version_command(CommandContext context);
void add_config_command(CommandContext context);
void add_search_command(CommandContext context);
void add_install_command(CommandContext context);
void add_update_command(CommandContext context);
void add_remove_command(CommandContext context);
void add_env_command(CommandContext context);
void add_create_command(CommandContext context);
void add_info_command(CommandContext context);
void add_lock_command(CommandContext context);
void add_export_command(CommandContext context);
void add_verify_command(CommandContext context);
void add_pack_command(CommandContext context);
void add_unpack_command(CommandContext context);
void add_list_command(CommandContext context);
void add_env_list_command(CommandContext context);  // after add_env_command
void add_repoquery_command(CommandContext context);
void add_clean_command(CommandContext context);
void add_run_command(CommandContext context);
void add_shell_hook_command(CommandContext context);
void add_shell_command(CommandContext context);
void add_activate_commands(CommandContext context);
void add_completion_command(CommandContext context);

// Gives every command without a footer its Examples section (help.cpp); call after adding them.
void add_help_examples(CLI::App& app);

}  // namespace envctl::cli
