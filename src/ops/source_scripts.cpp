// source_scripts: activate.d scripts change the environment of the shell that sources them;
// envctl runs them in one /bin/sh and reads that shell's environment before and after them
// (env -0 on a pipe at fd 3), so `run` can give the difference to its command.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/core.h>

#include "envctl/ops/activation.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

std::string single_quoted(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// Markers on fd 3 between the env -0 dumps: "\1before", "\1<n>" after script n, "\1after".
std::string shell_program(const std::vector<fs::path>& scripts) {
    std::string program = "env -0 >&3 || exit 97\nprintf '\\001before\\000' >&3\n";
    for (std::size_t i = 0; i < scripts.size(); ++i)
        program += fmt::format(". {}\nprintf '\\001{}\\000' >&3\n", single_quoted(scripts[i].string()), i + 1);
    program += "env -0 >&3\nprintf '\\001after\\000' >&3\n";
    return program;
}

// Variables the shell itself maintains: never taken from it.
bool shell_owned(const std::string& name) { return name == "_" || name == "PWD" || name == "OLDPWD" || name == "SHLVL"; }

void add_entry(EnvironmentMap& environment, std::string_view entry) {
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || equals == 0) return;
    environment[std::string(entry.substr(0, equals))] = std::string(entry.substr(equals + 1));
}

struct Pipe {
    int read = -1;
    int write = -1;
    ~Pipe() {
        if (read >= 0) ::close(read);
        if (write >= 0) ::close(write);
    }
};

}  // namespace

Result<EnvironmentMap> source_scripts(const EnvironmentMap& environment, const std::vector<fs::path>& scripts) {
    if (scripts.empty()) return environment;
    Pipe channel;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail(ErrorKind::Io, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    channel.read = fds[0];
    channel.write = fds[1];

    std::vector<std::string> entries;
    entries.reserve(environment.size());
    for (const auto& [name, value] : environment) entries.push_back(fmt::format("{}={}", name, value));
    std::vector<char*> envp;
    envp.reserve(entries.size() + 1);
    for (auto& entry : entries) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::string program = shell_program(scripts);
    std::string shell = "/bin/sh", dash_c = "-c", script_name = "envctl-activate";
    char* argv[] = {shell.data(), dash_c.data(), program.data(), script_name.data(), nullptr};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);  // scripts' chatter: stderr
    posix_spawn_file_actions_adddup2(&actions, channel.write, 3);
    pid_t pid = 0;
    const int spawned = ::posix_spawn(&pid, shell.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return fail(ErrorKind::Io, fmt::format("cannot start /bin/sh: {}", std::strerror(spawned)));
    ::close(channel.write);
    channel.write = -1;

    std::string output;
    char buffer[65536];
    while (true) {
        const auto got = ::read(channel.read, buffer, sizeof buffer);
        if (got > 0) {
            output.append(buffer, static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
            break;
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }

    EnvironmentMap before, after;
    EnvironmentMap* filling = &before;
    std::size_t finished = 0;
    bool complete = false;
    std::size_t start = 0;
    while (start < output.size()) {
        auto end = output.find('\0', start);
        if (end == std::string::npos) end = output.size();
        const std::string_view entry(output.data() + start, end - start);
        start = end + 1;
        if (entry.starts_with('\1')) {
            const auto marker = entry.substr(1);
            if (marker == "before") {
                filling = &after;
            } else if (marker == "after") {
                complete = true;
            } else {
                ++finished;
            }
            continue;
        }
        // Only the last dump counts as "after" (markers in between carry no entries).
        if (filling == &after && finished < scripts.size()) continue;
        add_entry(*filling, entry);
    }
    if (!complete) {
        const auto culprit = finished < scripts.size() ? scripts[finished].string() : std::string("/bin/sh");
        const auto how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                           : fmt::format("signal {}", WTERMSIG(status));
        return fail(Error{ErrorKind::Input, fmt::format("activation script {} ended the shell that sourced it ({})", culprit, how),
                          {},
                          {"fix the script (it must not call exit), or remove it from etc/conda/activate.d"}});
    }
    EnvironmentMap result = environment;
    for (const auto& [name, value] : before)
        if (!after.contains(name) && !shell_owned(name)) result.erase(name);
    for (const auto& [name, value] : after) {
        if (shell_owned(name)) continue;
        const auto found = before.find(name);
        if (found == before.end() || found->second != value) result[name] = value;
    }
    return result;
}

}  // namespace envctl::ops
