// envctl remove -p PREFIX|-n NAME [--force] [-y] [--dry-run] [--no-link-scripts] NAME...
// envctl env remove -p PREFIX|-n NAME [-y] [--no-link-scripts]
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/ops/create.hpp"
#include "envctl/ops/remove.hpp"
#include "install_ui.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;

struct RemoveOptions {
    std::string prefix;
    std::string name;
    std::vector<std::string> packages;
    bool force = false;
    ChangeOptions change;
};

Result<fs::path> named_prefix(const std::string& prefix, const std::string& name, const config::Config& config) {
    ops::CreateRequest request;
    request.prefix = prefix;
    request.name = name;
    auto path = ops::create_prefix(request, config, {});
    if (!path) return fail(Error{ErrorKind::Usage, "no environment given", {}, {"use -p PATH or -n NAME"}});
    return path;
}

int run_remove(const GlobalOptions& global, const RemoveOptions& options) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    auto prefix = named_prefix(options.prefix, options.name, config);
    if (!prefix) return report_error(global, prefix.error());
    if (!link::is_environment(*prefix))
        return report_error(global, Error{ErrorKind::Input, fmt::format("{} is not an environment", prefix->string()), {}, {}});
    ops::ApplyRequest request;
    request.prefix = *prefix;
    request.remove_specs = options.packages;
    prepare_request(request, options.change, config);
    request.resolve = [&](const std::vector<link::PrefixRecord>& installed) {
        return ops::environment_without(installed, options.packages, options.force);
    };
    return run_apply(global, request, options.change, config, environment);
}

struct EnvRemoveOptions {
    std::string prefix;
    std::string name;
    bool yes = false;
    bool no_link_scripts = false;
};

int run_env_remove(const GlobalOptions& global, const EnvRemoveOptions& options) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    auto prefix = named_prefix(options.prefix, options.name, loaded->config);
    if (!prefix) return report_error(global, prefix.error());
    if (!global.json && !options.yes && ::isatty(STDIN_FILENO)) {
        std::fputs(fmt::format("Remove the environment {} and everything in it ([y]/n)? ", prefix->string()).c_str(), stdout);
        std::fflush(stdout);
        std::string answer;
        if (!std::getline(std::cin, answer) || (!answer.empty() && answer[0] != 'y' && answer[0] != 'Y')) {
            std::fputs("Aborted: nothing was changed.\n", stderr);
            return exit_codes::failed;
        }
    }
    ProgressBar bar(ProgressBar::wanted(global));
    ops::ApplyCallbacks callbacks;
    callbacks.on_notice = [&](const std::string& text) {
        bar.clear();
        if (!global.quiet && !global.json) std::fputs(fmt::format("note: {}\n", text).c_str(), stderr);
    };
    callbacks.on_warning = [&](const std::string& text) {
        bar.clear();
        spdlog::warn("{}", text);
    };
    callbacks.on_link_progress = [&](const link::TransactionProgress& progress) {
        bar.update("Removing", progress.done, progress.total, progress.package);
    };
    auto result = ops::remove_environment(*prefix, !options.no_link_scripts, callbacks);
    bar.clear();
    if (!result) return report_error(global, result.error());
    if (global.json) {
        print_json({{"success", true},
                    {"prefix", prefix->string()},
                    {"removed_packages", result->transaction.unlinked},
                    {"other_files", result->other_files}});
    } else if (!global.quiet) {
        std::fputs(fmt::format("Removed the environment {} ({} packages{}).\n", prefix->string(),
                               result->transaction.unlinked.size(),
                               result->other_files ? fmt::format(", {} other files", result->other_files) : "")
                       .c_str(),
                   stdout);
    }
    return exit_codes::ok;
}

}  // namespace

void add_remove_command(CommandContext context) {
    auto options = std::make_shared<RemoveOptions>();
    auto* command = context.app.add_subcommand("remove", "Remove packages (and the packages that need them) from an environment");
    command->alias("uninstall");
    command->add_option("packages", options->packages, "Names of the packages to remove")->required();
    command->add_option("-p,--prefix", options->prefix, "Path of the environment");
    command->add_option("-n,--name", options->name, "Name of the environment (in the first envs_dirs folder)");
    command->add_flag("--force", options->force, "Remove only the named packages, not those that depend on them");
    add_change_options(*command, options->change, true);
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_remove(*global, *options); };
    });
}

void add_env_command(CommandContext context) {
    auto* env = context.app.add_subcommand("env", "Whole environments");
    env->require_subcommand(1);
    auto options = std::make_shared<EnvRemoveOptions>();
    auto* remove = env->add_subcommand("remove", "Remove an environment: unlink its packages, then delete its folder");
    remove->add_option("-p,--prefix", options->prefix, "Path of the environment");
    remove->add_option("-n,--name", options->name, "Name of the environment (in the first envs_dirs folder)");
    remove->add_flag("-y,--yes", options->yes, "Do not ask for confirmation");
    remove->add_flag("--no-link-scripts", options->no_link_scripts, "Do not run pre-unlink scripts");
    remove->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_env_remove(*global, *options); };
    });
}

}  // namespace envctl::cli
