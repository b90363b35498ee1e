// envctl completion bash|zsh: completion scripts generated from the CLI11 command tree, so
// they always know every command and option of this binary.
#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct Node {
    std::string path;  // "" for envctl itself, "env remove"
    std::vector<std::string> subcommands;
    std::vector<std::string> options;       // every name, "-p" and "--prefix"
    std::vector<std::string> value_options;  // those that take a value
};

void collect(const CLI::App& app, const std::string& path, const std::vector<const CLI::Option*>& inherited,
             std::vector<Node>& nodes) {
    Node node;
    node.path = path;
    std::vector<const CLI::Option*> options = inherited;
    for (const auto* option : app.get_options()) options.push_back(option);
    for (const auto* option : options) {
        if (option->get_positional()) continue;
        std::vector<std::string> names;
        for (const auto& name : option->get_snames()) names.push_back("-" + name);
        for (const auto& name : option->get_lnames()) names.push_back("--" + name);
        for (const auto& name : names) {
            if (std::find(node.options.begin(), node.options.end(), name) != node.options.end()) continue;
            node.options.push_back(name);
            if (option->get_type_size() != 0) node.value_options.push_back(name);
        }
    }
    const auto subcommands = app.get_subcommands([](const CLI::App*) { return true; });
    for (const auto* sub : subcommands) {
        node.subcommands.push_back(sub->get_name());
        for (const auto& alias : sub->get_aliases()) node.subcommands.push_back(alias);
    }
    nodes.push_back(node);
    // Options of envctl itself are accepted after any command.
    std::vector<const CLI::Option*> global;
    if (path.empty())
        for (const auto* option : app.get_options()) global.push_back(option);
    for (const auto* sub : subcommands)
        collect(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), path.empty() ? global : inherited, nodes);
}

std::string join(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

// Shell functions shared by both scripts: words of a command path.
std::string lookup_functions(const std::vector<Node>& nodes) {
    std::string subcommands = "__envctl_subcommands() {\n    case \"$1\" in\n";
    std::string options = "__envctl_options() {\n    case \"$1\" in\n";
    std::string values = "__envctl_takes_value() {\n    case \"$1|$2\" in\n";
    std::vector<std::string> value_cases;
    for (const auto& node : nodes) {
        if (!node.subcommands.empty()) subcommands += fmt::format("        '{}') echo '{}' ;;\n", node.path, join(node.subcommands));
        options += fmt::format("        '{}') echo '{}' ;;\n", node.path, join(node.options));
        for (const auto& option : node.value_options) value_cases.push_back(fmt::format("'{}|{}'", node.path, option));
    }
    subcommands += "    esac\n}\n";
    options += "    esac\n}\n";
    std::string joined;
    for (const auto& value_case : value_cases) joined += (joined.empty() ? "" : "|") + value_case;
    values += fmt::format("        {}) return 0 ;;\n    esac\n    return 1\n}}\n", joined.empty() ? "'|'" : joined);
    return subcommands + options + values;
}

constexpr std::string_view bash_body = R"SCRIPT(_envctl() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" word i
    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        if [[ "$word" == "--" ]]; then COMPREPLY=($(compgen -c -- "$cur")); return; fi
        if [[ " $(__envctl_subcommands "$cmdpath") " == *" $word "* ]]; then cmdpath="${cmdpath:+$cmdpath }$word"; fi
    done
    case "$prev" in
        -s|--shell) COMPREPLY=($(compgen -W "bash zsh fish posix" -- "$cur")); return ;;
    esac
    if [[ "$prev" == -* ]] && __envctl_takes_value "$cmdpath" "$prev"; then
        COMPREPLY=($(compgen -f -- "$cur")); return
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(__envctl_options "$cmdpath")" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(__envctl_subcommands "$cmdpath")" -- "$cur"))
        (( ${#COMPREPLY[@]} )) || COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -o filenames -F _envctl envctl
)SCRIPT";

constexpr std::string_view zsh_body = R"SCRIPT(_envctl() {
    local cmdpath="" word i prev="${words[CURRENT-1]}"
    for (( i = 2; i < CURRENT; i++ )); do
        word="${words[i]}"
        if [[ "$word" == "--" ]]; then _command_names; return; fi
        if [[ " $(__envctl_subcommands "$cmdpath") " == *" $word "* ]]; then cmdpath="${cmdpath:+$cmdpath }$word"; fi
    done
    case "$prev" in
        -s|--shell) compadd -- bash zsh fish posix; return ;;
    esac
    if [[ "$prev" == -* ]] && __envctl_takes_value "$cmdpath" "$prev"; then _files; return; fi
    local -a candidates
    if [[ "$PREFIX" == -* ]]; then
        candidates=(${=$(__envctl_options "$cmdpath")})
    else
        candidates=(${=$(__envctl_subcommands "$cmdpath")})
    fi
    if (( ${#candidates} )); then compadd -- $candidates; else _files; fi
}
if [[ "${funcstack[1]}" == "_envctl" ]]; then
    _envctl "$@"
else
    compdef _envctl envctl
fi
)SCRIPT";

int print_completion(const GlobalOptions& global, const CLI::App& root, const std::string& shell) {
    std::vector<Node> nodes;
    collect(root, "", {}, nodes);
    std::string script = shell == "zsh" ? "#compdef envctl\n" : "";
    script += fmt::format("# {} completion for envctl, generated by `envctl completion {}`.\n", shell, shell);
    script += lookup_functions(nodes);
    script += shell == "zsh" ? zsh_body : bash_body;
    if (global.json)
        print_json({{"success", true}, {"shell", shell}, {"script", script}});
    else
        std::fputs(script.c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

void add_completion_command(CommandContext context) {
    auto shell = std::make_shared<std::string>();
    auto* command = context.app.add_subcommand("completion", "Print a shell completion script for bash or zsh");
    command->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
    command->callback([context, shell] {
        context.selected = [global = &context.global, root = &context.app, shell] {
            return print_completion(*global, *root, *shell);
        };
    });
}

}  // namespace envctl::cli
