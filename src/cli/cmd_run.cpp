// envctl run [-p PREFIX|-n NAME|-f FILE] [--cwd DIR] [--clean-env] [-e VAR=VALUE ...] [--] COMMAND [ARG...]
//
// Runs COMMAND with the environment activated (ops::run_environment), without a shell. envctl
// waits for it and exits with its exit code (128+N when signal N killed it); SIGINT, SIGTERM,
// SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to envctl are passed on to it.
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX sigaction and kill
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/ops/activation.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;

// Exit codes of a command that could not be started, as shells use them.
constexpr int command_not_executable = 126;
constexpr int command_not_found = 127;

struct RunOptions {
    std::string prefix;
    std::string name;
    std::string file;
    std::string cwd;
    bool clean_env = false;
    std::vector<std::string> variables;  // -e VAR=VALUE
    std::vector<std::string> command;
    int verbosity = 0;  // -v/-q/--json given after `run`
    bool quiet = false;
    bool json = false;
};

volatile sig_atomic_t child_pid = 0;

void forward_signal(int signal, siginfo_t* info, void*) {
    // A terminal's ^C (or hangup) reaches the whole foreground process group, the command
    // included; only signals sent to envctl alone (kill(2): si_code <= 0) are passed on.
    if (info != nullptr && info->si_code > 0) return;
    if (child_pid > 0) ::kill(child_pid, signal);
}

constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

void install_forwarding() {
    for (const int signal : forwarded_signals) {
        struct sigaction current {};
        ::sigaction(signal, nullptr, &current);
        if (current.sa_handler == SIG_IGN) continue;  // the command inherits the ignore
        struct sigaction action {};
        action.sa_sigaction = forward_signal;
        action.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&action.sa_mask);
        ::sigaction(signal, &action, nullptr);
    }
}

bool is_executable_file(const fs::path& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// The program execve() runs: COMMAND as given when it has a slash (relative to --cwd), else
// the first executable of that name on the activated PATH.
std::optional<fs::path> find_program(const std::string& command, const std::string& path, const fs::path& cwd) {
    if (command.find('/') != std::string::npos) {
        const fs::path program(command);
        return program.is_absolute() ? program : cwd / program;
    }
    std::size_t start = 0;
    while (start <= path.size()) {
        auto colon = path.find(':', start);
        if (colon == std::string::npos) colon = path.size();
        const fs::path folder = colon > start ? fs::path(path.substr(start, colon - start)) : cwd;
        const auto candidate = (folder.is_absolute() ? folder : cwd / folder) / command;
        if (is_executable_file(candidate)) return candidate;
        start = colon + 1;
    }
    return std::nullopt;
}

Result<fs::path> selected_prefix(const RunOptions& options, const config::Config& config) {
    const auto cwd = fs::current_path();
    const int given = !options.prefix.empty() + !options.name.empty() + !options.file.empty();
    if (given > 1) return fail(Error{ErrorKind::Usage, "give only one of -p, -n and -f", {}, {}});
    if (!options.prefix.empty()) {
        const auto prefix = fs::absolute(options.prefix).lexically_normal();
        return prefix;
    }
    if (!options.name.empty()) {
        if (options.name.find('/') != std::string::npos)
            return fail(Error{ErrorKind::Usage, fmt::format("invalid environment name '{}'", options.name), {},
                              {"use -p PATH for an environment at a path"}});
        return ops::environment_by_name_or_path(options.name, config, cwd);
    }
    if (!options.file.empty()) return ops::environment_by_file(options.file, config);
    return ops::environment_of_project(config, cwd);
}

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return exit_codes::failed;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return exit_codes::failed;
}

int run_command(const GlobalOptions& global, const RunOptions& options) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    std::vector<std::string> command = options.command;
    if (!command.empty() && command.front() == "--") command.erase(command.begin());
    if (command.empty())
        return report_error(global, Error{ErrorKind::Usage, "no command to run", {}, {"envctl run -p PREFIX -- COMMAND [ARG...]"}});

    auto prefix = selected_prefix(options, config);
    if (!prefix) return report_error(global, prefix.error());
    fs::path cwd = fs::current_path();
    if (!options.cwd.empty()) {
        cwd = fs::absolute(options.cwd);
        std::error_code error;
        if (!fs::is_directory(cwd, error))
            return report_error(global, Error{ErrorKind::Usage, fmt::format("--cwd {}: not a directory", options.cwd), {}, {}});
    }

    ops::RunEnvironmentRequest request;
    request.prefix = *prefix;
    request.base = environment.variables;
    request.clean_env = options.clean_env;
    request.options.envs_dirs = config.envs_dirs;
    request.options.root_prefix = config.root_prefix;
    for (const auto& assignment : options.variables) {
        const auto equals = assignment.find('=');
        const auto name = assignment.substr(0, equals);
        if (equals == std::string::npos || !ops::is_variable_name(name))
            return report_error(global, Error{ErrorKind::Usage, fmt::format("-e {}: expected VAR=VALUE", assignment), {}, {}});
        request.extra.emplace_back(name, assignment.substr(equals + 1));
    }
    auto variables = ops::run_environment(request);
    if (!variables) return report_error(global, variables.error());
    spdlog::debug("running {} in {}", command.front(), prefix->string());
    for (const auto& [name, value] : *variables) spdlog::debug("  {}={}", name, value);

    const auto path = variables->contains("PATH") ? variables->at("PATH") : std::string();
    const auto program = find_program(command.front(), path, cwd);
    if (!program) {
        std::fputs(fmt::format("envctl: command not found: {} (searched the PATH of {})\n", command.front(), prefix->string()).c_str(),
                   stderr);
        return command_not_found;
    }
    std::vector<std::string> entries;
    entries.reserve(variables->size());
    for (const auto& [name, value] : *variables) entries.push_back(fmt::format("{}={}", name, value));
    std::vector<char*> envp, argv;
    envp.reserve(entries.size() + 1);
    argv.reserve(command.size() + 1);
    for (auto& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);
    for (auto& argument : command) argv.push_back(argument.data());
    argv.push_back(nullptr);

    std::fflush(stdout);
    std::fflush(stderr);
    install_forwarding();
    const pid_t pid = ::fork();
    if (pid < 0) return report_error(global, Error{ErrorKind::Io, fmt::format("cannot fork: {}", std::strerror(errno)), {}, {}});
    if (pid == 0) {
        for (const int signal : forwarded_signals) {
            struct sigaction current {};
            ::sigaction(signal, nullptr, &current);
            if (current.sa_handler != SIG_IGN) ::signal(signal, SIG_DFL);
        }
        if (::chdir(cwd.c_str()) != 0) {
            std::fprintf(stderr, "envctl: cannot enter %s: %s\n", cwd.c_str(), std::strerror(errno));
            ::_exit(command_not_executable);
        }
        ::execve(program->c_str(), argv.data(), envp.data());
        const int error = errno;
        std::fprintf(stderr, "envctl: cannot run %s: %s\n", program->c_str(), std::strerror(error));
        ::_exit(error == ENOENT ? command_not_found : command_not_executable);
    }
    child_pid = pid;
    return wait_for(pid);
}

}  // namespace

void add_run_command(CommandContext context) {
    auto options = std::make_shared<RunOptions>();
    auto* command = context.app.add_subcommand("run", "Run a command inside an environment, without activating a shell");
    command->add_option("-p,--prefix", options->prefix, "Path of the environment");
    command->add_option("-n,--name", options->name, "Name of the environment (in envs_dirs or .envctl/envs)");
    command->add_option("-f,--file", options->file, "The environment `envctl create -f FILE` made (.envctl/envs/<name> beside it)");
    command->add_option("--cwd", options->cwd, "Run the command in this folder");
    command->add_flag("--clean-env", options->clean_env, "Start from a minimal environment (HOME, USER, TERM, LANG, ...) instead of this one");
    command->add_option("-e,--env", options->variables, "Set VAR=VALUE for the command, after activation; repeatable")
        ->allow_extra_args(false);
    // The global flags again: options after `run` are not passed up to envctl (fallthrough off),
    // so that everything from the command's name on stays the command's.
    command->add_flag("-v,--verbose", options->verbosity, "More logging on stderr (-vv for debug)");
    command->add_flag("-q,--quiet", options->quiet, "Print only errors");
    command->add_flag("--json", options->json, "Errors of envctl itself as JSON on stdout");
    command->fallthrough(false);
    // COMMAND [ARG...]: a positional that accepts nothing, so that the command's name and every
    // argument after it (options included) land in remaining() in order (prefix_command).
    command->add_option("command", options->command, "The command to run and its arguments (after --)")
        ->check(CLI::Validator([](const std::string&) { return std::string("taken whole"); }, "COMMAND [ARG...]"));
    command->validate_positionals();
    command->prefix_command();
    command->callback([context, options] {
        auto* self = context.app.get_subcommand("run");
        options->command = self->remaining();
        context.selected = [global = &context.global, options] {
            GlobalOptions merged = *global;
            merged.verbosity += options->verbosity;
            merged.quiet = merged.quiet || options->quiet;
            merged.json = merged.json || options->json;
            if (options->verbosity > 0) spdlog::set_level(merged.verbosity >= 2 ? spdlog::level::debug : spdlog::level::info);
            return run_command(merged, *options);
        };
    });
}

}  // namespace envctl::cli
