// Process entry: the only place exceptions are turned into exit codes.
#include <cstdio>
#include <exception>

#include <fmt/core.h>

#include "command.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

void add_commands(CommandContext context) {
    add_version_command(context);
    add_config_command(context);
    add_search_command(context);
    add_install_command(context);
    add_update_command(context);
    add_remove_command(context);
    add_env_command(context);
    add_create_command(context);
    add_info_command(context);
    add_lock_command(context);
    add_export_command(context);
    add_verify_command(context);
    add_pack_command(context);
    add_unpack_command(context);
    add_list_command(context);
    add_env_list_command(context);
    add_repoquery_command(context);
    add_clean_command(context);
    add_run_command(context);
    add_shell_hook_command(context);
    add_shell_command(context);
    add_activate_commands(context);
    add_completion_command(context);
}

int run(int argc, char** argv) {
    CLI::App app{"envctl: reproducible conda environments", "envctl"};
    app.require_subcommand(1);
    app.fallthrough();
    GlobalOptions global;
    app.add_flag("-v,--verbose", global.verbosity, "More logging on stderr (-vv for debug)");
    app.add_flag("-q,--quiet", global.quiet, "Print only errors");
    app.add_flag("--json", global.json, "Machine-readable JSON output on stdout");
    CommandRunner selected;
    add_commands(CommandContext{app, global, selected});
    add_help_examples(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? 0 : exit_codes::usage;
    }
    configure_logging(global);
    return selected ? selected() : exit_codes::usage;
}

}  // namespace
}  // namespace envctl::cli

int main(int argc, char** argv) {
    try {
        return envctl::cli::run(argc, argv);
    } catch (const std::exception& error) {
        std::fputs(fmt::format("envctl: internal error: {}\n", error.what()).c_str(), stderr);
        return 1;
    }
}
