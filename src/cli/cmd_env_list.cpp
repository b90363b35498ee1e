// envctl env list [--json]: the environments envctl knows (root, envs_dirs, registered ones).
#include <cstdio>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/ops/environments.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

int run_env_list(const GlobalOptions& global) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    auto environments = ops::list_environments(loaded->config);
    if (!environments) return report_error(global, environments.error());
    const auto active = environment.get("CONDA_PREFIX");
    if (global.json) {
        auto paths = nlohmann::json::array();
        auto details = nlohmann::json::array();
        for (const auto& entry : *environments) {
            paths.push_back(entry.prefix.string());
            details.push_back({{"name", entry.name},
                               {"prefix", entry.prefix.string()},
                               {"kind", std::string(ops::environment_kind_name(entry.kind))},
                               {"active", active && *active == entry.prefix.string()}});
        }
        print_json({{"envs", paths}, {"environments", details}});
        return exit_codes::ok;
    }
    if (global.quiet) return exit_codes::ok;
    std::size_t width = 4;
    for (const auto& entry : *environments) width = std::max(width, entry.name.size());
    std::string text = fmt::format("{:<{}}     {}\n", "Name", width, "Prefix");
    for (const auto& entry : *environments) {
        const bool is_active = active && *active == entry.prefix.string();
        const bool project = entry.kind == ops::EnvironmentEntry::Kind::Project;
        text += fmt::format("{:<{}}  {}  {}{}\n", entry.name, width, is_active ? '*' : ' ', entry.prefix.string(),
                            project ? "  (project)" : "");
    }
    if (environments->empty()) text += "(no environments yet: create one with `envctl create`)\n";
    std::fputs(text.c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

// Adds `list` to the `env` command registered by add_env_command.
void add_env_list_command(CommandContext context) {
    CLI::App* env = context.app.get_subcommand("env");
    auto* command = env->add_subcommand("list", "List environments: the root, envs_dirs and those envctl created elsewhere");
    command->footer("Examples:\n  envctl env list\n  envctl env list --json");
    command->callback([&global = context.global, &selected = context.selected] {
        selected = [&global] { return run_env_list(global); };
    });
}

}  // namespace envctl::cli
