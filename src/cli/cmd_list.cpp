// envctl list [-p PREFIX | -n NAME] [REGEX] [--json]: the packages of an environment.
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/ops/environments.hpp"
#include "envctl/ops/list.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct ListOptions {
    std::string prefix;
    std::string name;
    std::string pattern;
};

// "conda-forge" for https://conda.anaconda.org/conda-forge, else the URL.
std::string short_channel(const std::string& url) {
    constexpr std::string_view anaconda = "https://conda.anaconda.org/";
    if (url.starts_with(anaconda)) return url.substr(anaconda.size());
    return url;
}

int run_list(const GlobalOptions& global, const ListOptions& options) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    auto prefix = ops::existing_environment(options.prefix, options.name, loaded->config, environment);
    if (!prefix) return report_error(global, prefix.error());
    auto packages = ops::list_packages(*prefix, options.pattern);
    if (!packages) return report_error(global, packages.error());
    if (global.json) {
        print_json(ops::list_json(*packages));
        return exit_codes::ok;
    }
    if (global.quiet) return exit_codes::ok;
    std::size_t widths[3] = {6, 7, 5};
    for (const auto& package : *packages) {
        widths[0] = std::max(widths[0], package.name.size());
        widths[1] = std::max(widths[1], package.version.size());
        widths[2] = std::max(widths[2], package.build.size());
    }
    std::string text = fmt::format("# packages in environment at {}:\n#\n", prefix->string());
    text += fmt::format("{}  {}  {}  Channel\n", pad_right("# Name", widths[0]), pad_right("Version", widths[1]), pad_right("Build", widths[2]));
    for (const auto& package : *packages)
        text += fmt::format("{}  {}  {}  {}\n", pad_right(package.name, widths[0]), pad_right(package.version, widths[1]),
                            pad_right(package.build, widths[2]), short_channel(package.channel));
    std::fputs(text.c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

void add_list_command(CommandContext context) {
    auto options = std::make_shared<ListOptions>();
    auto* command = context.app.add_subcommand("list", "List the packages of an environment (conda and pip)");
    command->add_option("regex", options->pattern, "Only packages whose name matches this regular expression");
    command->add_option("-p,--prefix", options->prefix, "Path of the environment");
    command->add_option("-n,--name", options->name, "Name of the environment (envs_dirs, then .envctl/envs of this folder)");
    command->footer("Examples:\n  envctl list -n ml\n  envctl list -p .envctl/envs/default '^py' --json");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_list(*global, *options); };
    });
}

}  // namespace envctl::cli
