#include "envctl/ops/shell.hpp"

#include <fmt/core.h>

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

// 'text' for POSIX shells.
std::string posix_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// 'text' for fish, where backslash and quote are escaped inside single quotes.
std::string fish_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

std::string render_posix(const ActivationChange& change, Shell shell, bool change_prompt) {
    std::string out;
    for (const auto& script : change.deactivate_scripts) out += fmt::format(". {}\n", posix_quote(script.string()));
    if (change_prompt)
        out += "if [ -n \"${PS1+x}\" ]; then PS1=\"${PS1#\"${CONDA_PROMPT_MODIFIER-}\"}\"; fi\n";
    for (const auto& name : change.unset) out += fmt::format("unset {}\n", name);
    for (const auto& [name, value] : change.set) out += fmt::format("export {}={}\n", name, posix_quote(value));
    if (change_prompt) out += "if [ -n \"${PS1+x}\" ]; then PS1=\"${CONDA_PROMPT_MODIFIER-}${PS1}\"; fi\n";
    for (const auto& script : change.activate_scripts) out += fmt::format(". {}\n", posix_quote(script.string()));
    out += shell == Shell::Zsh ? "rehash\n" : "hash -r 2>/dev/null || true\n";
    return out;
}

std::string render_fish(const ActivationChange& change, bool change_prompt) {
    std::string out;
    for (const auto& script : change.deactivate_scripts) out += fmt::format("source {}\n", fish_quote(script.string()));
    for (const auto& name : change.unset) out += fmt::format("set -e {}\n", name);
    for (const auto& [name, value] : change.set) {
        if (name != "PATH") {
            out += fmt::format("set -gx {} {}\n", name, fish_quote(value));
            continue;
        }
        // fish keeps PATH as a list.
        out += "set -gx PATH";
        std::size_t start = 0;
        while (start <= value.size()) {
            auto colon = value.find(':', start);
            if (colon == std::string::npos) colon = value.size();
            if (colon > start) out += " " + fish_quote(value.substr(start, colon - start));
            start = colon + 1;
        }
        out += "\n";
    }
    if (change_prompt) {
        if (change.prompt_modifier.empty())
            out += "set -e __envctl_prompt_modifier\n";
        else
            out += fmt::format("set -g __envctl_prompt_modifier {}\n", fish_quote(change.prompt_modifier));
    }
    for (const auto& script : change.activate_scripts) out += fmt::format("source {}\n", fish_quote(script.string()));
    return out;
}

constexpr std::string_view posix_hook = R"HOOK(# envctl shell hook ({shell}): defines the shell function `envctl`, which runs
# `envctl activate PREFIX|NAME` and `envctl deactivate` in this shell and passes
# everything else to the envctl program. Install it with `envctl shell init --shell {shell}`.
export ENVCTL_EXE={exe}
envctl() {{
    if [ "$#" -gt 0 ] && {{ [ "$1" = activate ] || [ "$1" = deactivate ]; }}; then
        __envctl_command="$1"
        shift
        if __envctl_script="$("$ENVCTL_EXE" shell "$__envctl_command" --shell {shell} "$@")"; then
            unset __envctl_command
            eval "$__envctl_script"
            unset __envctl_script
            return 0
        else
            set -- "$?"
            unset __envctl_command __envctl_script
            return "$1"
        fi
    else
        "$ENVCTL_EXE" "$@"
    fi
}}
)HOOK";

constexpr std::string_view fish_hook = R"HOOK(# envctl shell hook (fish): defines the function `envctl`, which runs
# `envctl activate PREFIX|NAME` and `envctl deactivate` in this shell and passes
# everything else to the envctl program. Install it with `envctl shell init --shell fish`.
set -gx ENVCTL_EXE {exe}
function envctl --description 'envctl, with activate and deactivate for this shell'
    if test (count $argv) -gt 0; and contains -- $argv[1] activate deactivate
        set -l rest $argv
        set -e rest[1]
        set -l script (command $ENVCTL_EXE shell $argv[1] --shell fish $rest)
        or return $status
        string join \n -- $script | source
    else
        command $ENVCTL_EXE $argv
    end
end
if functions -q fish_prompt; and not functions -q __envctl_original_fish_prompt
    functions -c fish_prompt __envctl_original_fish_prompt
    function fish_prompt
        if set -q __envctl_prompt_modifier
            echo -n -s $__envctl_prompt_modifier
        end
        __envctl_original_fish_prompt
    end
end
)HOOK";

}  // namespace

std::optional<Shell> parse_shell(std::string_view name) {
    if (name == "posix" || name == "sh" || name == "dash") return Shell::Posix;
    if (name == "bash") return Shell::Bash;
    if (name == "zsh") return Shell::Zsh;
    if (name == "fish") return Shell::Fish;
    return std::nullopt;
}

std::string_view shell_name(Shell shell) {
    switch (shell) {
        case Shell::Posix: return "posix";
        case Shell::Bash: return "bash";
        case Shell::Zsh: return "zsh";
        case Shell::Fish: return "fish";
    }
    return "posix";
}

std::string_view script_extension(Shell shell) { return shell == Shell::Fish ? ".fish" : ".sh"; }

std::string render_change(const ActivationChange& change, Shell shell, bool change_prompt) {
    return shell == Shell::Fish ? render_fish(change, change_prompt) : render_posix(change, shell, change_prompt);
}

std::string shell_hook(Shell shell, const fs::path& exe) {
    if (shell == Shell::Fish) return fmt::format(fmt::runtime(fish_hook), fmt::arg("exe", fish_quote(exe.string())));
    return fmt::format(fmt::runtime(posix_hook), fmt::arg("exe", posix_quote(exe.string())), fmt::arg("shell", shell_name(shell)));
}

std::string init_block(Shell shell, const fs::path& exe) {
    std::string body;
    if (shell == Shell::Fish)
        body = fmt::format("if test -x {0}\n    {0} shell-hook --shell fish | source\nend\n", fish_quote(exe.string()));
    else
        body = fmt::format("if [ -x {0} ]; then\n    eval \"$({0} shell-hook --shell {1})\"\nfi\n", posix_quote(exe.string()),
                           shell_name(shell));
    return fmt::format("{}\n# Managed by `envctl shell init`; remove it with `envctl shell deinit`.\n{}{}\n", init_block_begin,
                       body, init_block_end);
}

namespace {
// [begin, end) of the first complete block (end past its last newline), or nullopt.
std::optional<std::pair<std::size_t, std::size_t>> find_block(std::string_view text) {
    std::size_t search = 0;
    while (true) {
        const auto begin = text.find(init_block_begin, search);
        if (begin == std::string_view::npos) return std::nullopt;
        search = begin + 1;
        if (begin != 0 && text[begin - 1] != '\n') continue;  // only at the start of a line
        const auto end_marker = text.find(init_block_end, begin);
        if (end_marker == std::string_view::npos) return std::nullopt;
        auto end = text.find('\n', end_marker);
        end = end == std::string_view::npos ? text.size() : end + 1;
        return std::make_pair(begin, end);
    }
}
}  // namespace

std::string with_init_block(std::string_view rc_text, std::string_view block) {
    if (const auto found = find_block(rc_text)) {
        std::string out(rc_text.substr(0, found->first));
        out += block;
        out += without_init_block(rc_text.substr(found->second));
        return out;
    }
    std::string out(rc_text);
    if (!out.empty() && !out.ends_with('\n')) out += '\n';
    if (!out.empty()) out += '\n';
    out += block;
    return out;
}

std::string without_init_block(std::string_view rc_text) {
    std::string out(rc_text);
    while (const auto found = find_block(out)) {
        auto begin = found->first;
        // The blank line with_init_block put before the block goes too.
        if (begin >= 2 && out[begin - 1] == '\n' && out[begin - 2] == '\n') --begin;
        out.erase(begin, found->second - begin);
    }
    return out;
}

fs::path default_rc_file(Shell shell, const EnvironmentMap& environment) {
    const auto get = [&](const char* name) {
        const auto found = environment.find(name);
        return found == environment.end() || found->second.empty() ? fs::path() : fs::path(found->second);
    };
    const auto home = get("HOME");
    switch (shell) {
        case Shell::Bash: return home / ".bashrc";
        case Shell::Zsh: {
            const auto zdotdir = get("ZDOTDIR");
            return (zdotdir.empty() ? home : zdotdir) / ".zshrc";
        }
        case Shell::Fish: {
            const auto config = get("XDG_CONFIG_HOME");
            return (config.empty() ? home / ".config" : config) / "fish" / "config.fish";
        }
        case Shell::Posix: return home / ".profile";
    }
    return home / ".profile";
}

}  // namespace envctl::ops
