// envctl shell-hook --shell bash|zsh|fish|posix
// envctl shell activate [--shell S] [--stack] PREFIX|NAME     (code for the hook to eval)
// envctl shell deactivate [--shell S]
// envctl shell init [--shell bash|zsh|fish|posix] [--rc-file FILE]
// envctl shell deinit [--shell S] [--rc-file FILE]
// envctl activate / envctl deactivate without the hook: an error that says how to install it.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <system_error>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/ops/activation.hpp"
#include "envctl/ops/shell.hpp"
#include "envctl/util/fs.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> shell_names = {"bash", "zsh", "fish", "posix"};

// --shell, else the login shell's name ($SHELL), else posix.
ops::Shell chosen_shell(const std::string& name, const config::Environment& environment) {
    if (auto shell = ops::parse_shell(name)) return *shell;
    if (auto login = environment.get("SHELL"))
        if (auto shell = ops::parse_shell(fs::path(*login).filename().string())) return *shell;
    return ops::Shell::Posix;
}

fs::path envctl_executable() {
    std::error_code error;
    auto self = fs::read_symlink("/proc/self/exe", error);
    return error ? fs::path("envctl") : self;
}

nlohmann::json change_json(const ops::ActivationChange& change) {
    nlohmann::json set = nlohmann::json::object();
    for (const auto& [name, value] : change.set) set[name] = value;
    auto paths = [](const std::vector<fs::path>& scripts) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& script : scripts) list.push_back(script.string());
        return list;
    };
    return {{"success", true},
            {"deactivate_scripts", paths(change.deactivate_scripts)},
            {"unset", change.unset},
            {"set", set},
            {"activate_scripts", paths(change.activate_scripts)}};
}

struct ActivateOptions {
    std::string shell;
    std::string environment;
    bool stack = false;
};

int run_activation(const GlobalOptions& global, const ActivateOptions& options, bool activate) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    const auto shell = chosen_shell(options.shell, environment);
    ops::ActivationOptions activation;
    activation.envs_dirs = config.envs_dirs;
    activation.root_prefix = config.root_prefix;
    activation.stack = options.stack;
    activation.script_extension = std::string(ops::script_extension(shell));
    Result<ops::ActivationChange> change = ops::ActivationChange{};
    if (activate) {
        if (options.environment.empty())
            return report_error(global, Error{ErrorKind::Usage, "no environment given", {},
                                              {"envctl activate PREFIX|NAME (a path or an environment name)"}});
        auto prefix = ops::environment_by_name_or_path(options.environment, config, fs::current_path());
        if (!prefix) return report_error(global, prefix.error());
        change = ops::plan_activate(environment.variables, *prefix, activation);
    } else {
        change = ops::plan_deactivate(environment.variables, activation);
    }
    if (!change) return report_error(global, change.error());
    if (global.json)
        print_json(change_json(*change));
    else
        std::fputs(ops::render_change(*change, shell, config.changeps1).c_str(), stdout);
    return exit_codes::ok;
}

struct InitOptions {
    std::string shell;
    std::string rc_file;
};

int run_init(const GlobalOptions& global, const InitOptions& options, bool install) {
    const auto environment = config::Environment::from_process();
    std::vector<fs::path> files;
    ops::Shell shell = chosen_shell(options.shell, environment);
    if (!options.rc_file.empty()) {
        files.push_back(options.rc_file);
    } else if (install || !options.shell.empty()) {
        files.push_back(ops::default_rc_file(shell, environment.variables));
    } else {
        // deinit without --shell: every rc file envctl knows.
        for (const auto& name : shell_names) files.push_back(ops::default_rc_file(*ops::parse_shell(name), environment.variables));
    }
    nlohmann::json changed = nlohmann::json::array();
    for (const auto& file : files) {
        std::error_code error;
        std::string text;
        if (fs::exists(file, error)) {
            auto read = read_file(file);
            if (!read) return report_error(global, read.error());
            text = std::move(*read);
        } else if (!install) {
            continue;
        }
        const auto updated = install ? ops::with_init_block(text, ops::init_block(shell, envctl_executable()))
                                     : ops::without_init_block(text);
        if (updated == text) continue;
        if (install) {
            if (auto made = ensure_directory(fs::absolute(file).parent_path()); !made) return report_error(global, made.error());
        }
        if (auto written = write_file_atomic(file, updated); !written) return report_error(global, written.error());
        changed.push_back(file.string());
    }
    if (global.json) {
        print_json({{"success", true}, {"changed", changed}});
    } else if (!global.quiet) {
        if (changed.empty())
            std::fputs(install ? fmt::format("{} already has the envctl block; nothing changed.\n", files.front().string()).c_str()
                               : "No envctl block found; nothing changed.\n",
                       stdout);
        for (const auto& file : changed)
            std::fputs(fmt::format("{} {}\n", install ? "Added the envctl block to" : "Removed the envctl block from",
                                   file.get<std::string>())
                           .c_str(),
                       stdout);
        if (install && !changed.empty())
            std::fputs("Open a new shell (or source the file) to use `envctl activate`.\n", stdout);
    }
    return exit_codes::ok;
}

int print_hook(const GlobalOptions& global, const std::string& shell_name) {
    const auto shell = chosen_shell(shell_name, config::Environment::from_process());
    const auto hook = ops::shell_hook(shell, envctl_executable());
    if (global.json)
        print_json({{"success", true}, {"shell", ops::shell_name(shell)}, {"hook", hook}});
    else
        std::fputs(hook.c_str(), stdout);
    return exit_codes::ok;
}

void add_shell_option(CLI::App& command, std::string& shell) {
    command.add_option("-s,--shell", shell, "bash, zsh, fish or posix (default: the name of $SHELL)")
        ->check(CLI::IsMember({"bash", "zsh", "fish", "posix", "sh", "dash"}));
}

}  // namespace

void add_shell_hook_command(CommandContext context) {
    auto shell = std::make_shared<std::string>();
    auto* command = context.app.add_subcommand("shell-hook", "Print the shell code that enables `envctl activate`/`deactivate`");
    add_shell_option(*command, *shell);
    command->callback([context, shell] {
        context.selected = [global = &context.global, shell] { return print_hook(*global, *shell); };
    });
}

void add_shell_command(CommandContext context) {
    auto* shell = context.app.add_subcommand("shell", "Shell integration: activation code, rc file setup");
    shell->require_subcommand(1);

    auto hook_shell = std::make_shared<std::string>();
    auto* hook = shell->add_subcommand("hook", "Same as `envctl shell-hook`");
    add_shell_option(*hook, *hook_shell);
    hook->callback([context, hook_shell] {
        context.selected = [global = &context.global, hook_shell] { return print_hook(*global, *hook_shell); };
    });

    for (const bool activate : {true, false}) {
        auto options = std::make_shared<ActivateOptions>();
        auto* command = shell->add_subcommand(activate ? "activate" : "deactivate",
                                              activate ? "Print the code that activates an environment in a shell"
                                                       : "Print the code that deactivates the active environment");
        add_shell_option(*command, options->shell);
        if (activate) {
            command->add_option("environment", options->environment, "Path or name of the environment");
            command->add_flag("--stack", options->stack, "Keep the active environment's programs on PATH, after this one's");
        }
        command->callback([context, options, activate] {
            context.selected = [global = &context.global, options, activate] {
                return run_activation(*global, *options, activate);
            };
        });
    }

    for (const bool install : {true, false}) {
        auto options = std::make_shared<InitOptions>();
        auto* command = shell->add_subcommand(install ? "init" : "deinit",
                                              install ? "Add the envctl hook to a shell's rc file (idempotent)"
                                                      : "Remove the envctl hook block from rc files");
        add_shell_option(*command, options->shell);
        command->add_option("--rc-file", options->rc_file,
                            "The rc file (default: ~/.bashrc, ${ZDOTDIR:-~}/.zshrc, ~/.config/fish/config.fish, ~/.profile)");
        command->callback([context, options, install] {
            context.selected = [global = &context.global, options, install] { return run_init(*global, *options, install); };
        });
    }
}

void add_activate_commands(CommandContext context) {
    for (const char* name : {"activate", "deactivate"}) {
        auto* command = context.app.add_subcommand(
            name, fmt::format("{} an environment in this shell (needs the shell hook: envctl shell init)",
                              std::string_view(name) == "activate" ? "Activate" : "Deactivate"));
        auto arguments = std::make_shared<std::vector<std::string>>();
        command->add_option("arguments", *arguments, "What the shell function would take (PREFIX|NAME, --stack)");
        command->allow_extras();
        command->callback([context, name, arguments] {
            context.selected = [global = &context.global, name] {
                return report_error(*global,
                                    Error{ErrorKind::Usage,
                                          fmt::format("`envctl {}` changes the shell it runs in, which needs the envctl shell hook", name),
                                          {},
                                          {"run `envctl shell init --shell bash` (or zsh, fish) and open a new shell",
                                           "or, for this shell only: eval \"$(envctl shell-hook --shell bash)\"",
                                           "to run one command in an environment without a shell: envctl run -p PREFIX -- COMMAND"}});
            };
        });
    }
}

}  // namespace envctl::cli
