#include "scripts.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

extern char** environ;

namespace envctl::link::detail {

namespace {

std::string shell() {
    for (const char* candidate : {"/bin/bash", "/usr/bin/bash"})
        if (::access(candidate, X_OK) == 0) return candidate;
    return "/bin/sh";
}

// Activation as `conda activate` does it for scripts, then the link script sourced, so that
// `return` works in it as it does under conda.
constexpr const char* activate_and_source =
    "export CONDA_PREFIX=\"$PREFIX\" CONDA_DEFAULT_ENV=\"$PREFIX\" PATH=\"$PREFIX/bin:$PATH\"\n"
    "for __envctl_script in \"$PREFIX\"/etc/conda/activate.d/*.sh; do\n"
    "  if [ -f \"$__envctl_script\" ]; then . \"$__envctl_script\"; fi\n"
    "done\n"
    "unset __envctl_script\n"
    ". \"$1\"\n";

}  // namespace

std::string tail_lines(const std::string& text, std::size_t lines) {
    std::size_t position = text.size();
    if (position && text.back() == '\n') --position;
    for (std::size_t count = 0; position > 0; --position) {
        if (text[position - 1] == '\n' && ++count == lines) break;
    }
    return text.substr(position);
}

Result<ProcessResult> run_process(const std::vector<std::string>& arguments,
                                  const std::vector<std::pair<std::string, std::string>>& extra_environment) {
    std::map<std::string, std::string> variables;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string_view text = *entry;
        const auto equals = text.find('=');
        if (equals != std::string_view::npos) variables[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
    }
    for (const auto& [name, value] : extra_environment) variables[name] = value;
    std::vector<std::string> environment_strings;
    environment_strings.reserve(variables.size());
    for (const auto& [name, value] : variables) environment_strings.push_back(fmt::format("{}={}", name, value));
    std::vector<char*> environment;
    environment.reserve(environment_strings.size() + 1);
    for (auto& text : environment_strings) environment.push_back(text.data());
    environment.push_back(nullptr);
    std::vector<std::string> argument_strings = arguments;
    std::vector<char*> argv;
    argv.reserve(argument_strings.size() + 1);
    for (auto& text : argument_strings) argv.push_back(text.data());
    argv.push_back(nullptr);

    const int output = ::memfd_create("envctl-script-output", MFD_CLOEXEC);
    if (output < 0) return fail(ErrorKind::Io, fmt::format("cannot create a buffer for script output: {}", std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, output, 1);
    ::posix_spawn_file_actions_adddup2(&actions, output, 2);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environment.data());
    ::posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        ::close(output);
        return fail(ErrorKind::Io, fmt::format("cannot run {}: {}", arguments.front(), std::strerror(spawned)));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ProcessResult result;
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::lseek(output, 0, SEEK_SET);
    char buffer[8192];
    for (;;) {
        const auto n = ::read(output, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        result.output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(output);
    return result;
}

Result<ProcessResult> run_link_script(const ScriptRun& run) {
    std::vector<std::pair<std::string, std::string>> environment = {
        {"PREFIX", run.prefix},
        {"PKG_NAME", run.record->name},
        {"PKG_VERSION", run.record->version.str()},
        {"PKG_BUILDNUM", std::to_string(run.record->build_number)},
        {"ROOT_PREFIX", run.root_prefix},
    };
    const auto bash = shell();
    if (run.activate) {
        for (const auto& variable : run.env_vars) environment.push_back(variable);
        return run_process({bash, "-c", activate_and_source, "envctl-link-script", run.script}, environment);
    }
    return run_process({bash, "-x", run.script}, environment);
}

}  // namespace envctl::link::detail
