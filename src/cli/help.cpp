// `--help` footers: an Examples section for every command, exit codes on the top level.
// A command that sets its own footer keeps it.
#include <map>
#include <string>

#include "command.hpp"

namespace envctl::cli {
namespace {

// Command path ("env remove") -> example lines.
const std::map<std::string, std::vector<std::string>>& examples() {
    static const std::map<std::string, std::vector<std::string>> table = {
        {"", {"envctl create -f environment.yml", "envctl run -- python train.py", "envctl lock --check",
              "envctl verify -p .envctl/envs/default", "envctl <command> --help"}},
        {"version", {"envctl version", "envctl version --json"}},
        {"config", {"envctl config list", "envctl config set channels conda-forge bioconda"}},
        {"config list", {"envctl config list", "envctl config list --json"}},
        {"config get", {"envctl config get channels", "envctl config get custom_channels.internal"}},
        {"config set", {"envctl config set channel_priority strict", "envctl config set channels bioconda --prepend"}},
        {"config remove", {"envctl config remove channel_priority", "envctl config remove channels bioconda"}},
        {"config docs", {"envctl config docs > docs/configuration.md"}},
        {"search", {"envctl search numpy", "envctl search 'numpy>=1.26' -c conda-forge --platform osx-arm64 --json"}},
        {"create", {"envctl create -f environment.yml", "envctl create -n ml python=3.11 numpy -c conda-forge -y",
                    "envctl create -p ./env --dry-run --json python=3.11",
                    "envctl create -f environment.yml --frozen   # exactly the lockfile, no solve"}},
        {"install", {"envctl install -n ml 'pytorch>=2.1' -y", "envctl install -p ./env numpy --dry-run"}},
        {"update", {"envctl update -n ml numpy", "envctl update -p ./env --all -y"}},
        {"remove", {"envctl remove -n ml scipy", "envctl remove -p ./env numpy --force --dry-run"}},
        {"env", {"envctl env list", "envctl env remove -n ml -y"}},
        {"env remove", {"envctl env remove -n ml", "envctl env remove -p ./env -y --json"}},
        {"env list", {"envctl env list", "envctl env list --json"}},
        {"info", {"envctl info", "envctl info --json"}},
        {"lock", {"envctl lock", "envctl lock -f environment.yml --platform linux-64 --platform osx-arm64",
                  "envctl lock --check   # CI: fails when the lockfile is stale", "envctl lock --update numpy"}},
        {"export", {"envctl export -p ./env > environment.yml", "envctl export -p ./env --format lock -o conda-lock.yml",
                    "envctl export -p ./env --format explicit --json"}},
        {"verify", {"envctl verify -p ./env", "envctl verify -p ./env --lockfile conda-lock.yml --json"}},
        {"run", {"envctl run -- python train.py   # the environment of ./environment.yml",
                 "envctl run -n ml -- jupyter lab --no-browser",
                 "envctl run -p ./env --cwd src -e CUDA_VISIBLE_DEVICES=0 -- python -m trainer",
                 "envctl run -p ./env --clean-env -- env"}},
        {"shell-hook", {"eval \"$(envctl shell-hook --shell bash)\"", "envctl shell-hook --shell fish | source"}},
        {"shell", {"envctl shell init --shell zsh", "envctl shell deinit"}},
        {"shell hook", {"eval \"$(envctl shell hook --shell zsh)\""}},
        {"shell activate", {"eval \"$(envctl shell activate --shell bash ./env)\"   # what `envctl activate ./env` runs",
                            "envctl shell activate --json -n ml"}},
        {"shell deactivate", {"eval \"$(envctl shell deactivate --shell bash)\"   # what `envctl deactivate` runs"}},
        {"shell init", {"envctl shell init --shell bash", "envctl shell init --shell zsh --rc-file ~/.zshrc.local"}},
        {"shell deinit", {"envctl shell deinit", "envctl shell deinit --shell bash"}},
        {"activate", {"envctl activate ./env   # after `envctl shell init`", "envctl activate ml"}},
        {"deactivate", {"envctl deactivate"}},
        {"completion", {"envctl completion bash > ~/.local/share/bash-completion/completions/envctl",
                        "envctl completion zsh > \"${fpath[1]}/_envctl\""}},
        {"list", {"envctl list -p ./env", "envctl list -n ml '^py' --json"}},
        {"repoquery", {"envctl repoquery depends numpy", "envctl repoquery whoneeds -p ./env libzlib --tree"}},
        {"repoquery depends", {"envctl repoquery depends numpy --tree", "envctl repoquery depends -p ./env python --json"}},
        {"repoquery whoneeds", {"envctl repoquery whoneeds -p ./env libzlib", "envctl repoquery whoneeds openssl -c conda-forge"}},
        {"pack", {"envctl pack -p ./env -o env.tar.zst", "envctl pack -f conda-lock.yml --format oci --tag ml:1 -o ml-oci"}},
        {"unpack", {"envctl unpack env.tar.zst -p /opt/env"}},
        {"clean", {"envctl clean --all --dry-run", "envctl clean --packages --tarballs -y", "envctl clean --index-cache --json"}},
    };
    return table;
}

constexpr const char* exit_codes_text =
    "\nExit codes: 0 ok, 1 failed check / unsatisfiable / other failure, 2 usage or input error, 3 network, 4 integrity;\n"
    "`envctl run` exits with its command's code (128+N when killed by signal N). See docs/exit-codes.md.";

std::string footer_for(const std::vector<std::string>& lines) {
    std::string text = "\nExamples:";
    for (const auto& line : lines) text += "\n  " + line;
    return text;
}

void add_footers(CLI::App& command, const std::string& path) {
    const auto found = examples().find(path);
    if (command.get_footer().empty() && found != examples().end())
        command.footer(footer_for(found->second) + (path.empty() ? exit_codes_text : ""));
    for (auto* sub : command.get_subcommands({})) add_footers(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name());
}

}  // namespace

void add_help_examples(CLI::App& app) { add_footers(app, ""); }

}  // namespace envctl::cli
