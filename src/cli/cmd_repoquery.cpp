// envctl repoquery depends|whoneeds [--tree] [-p PREFIX | -n NAME | -c CHANNEL ...] SPEC [--json]
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/environments.hpp"
#include "envctl/ops/repoquery.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct RepoqueryOptions {
    ops::RepoqueryRequest request;
    std::string prefix;
    std::string name;
    bool offline = false;
};

int run_repoquery(const GlobalOptions& global, RepoqueryOptions options) {
    const auto environment = config::Environment::from_process();
    config::Overrides overrides;
    if (options.offline) overrides["offline"] = "true";
    auto loaded = load_configuration(environment, overrides);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    auto& request = options.request;
    if (!options.prefix.empty() || !options.name.empty()) {
        if (!request.channels.empty())
            return report_error(global, Error{ErrorKind::Usage, "give either an environment (-p/-n) or channels (-c), not both",
                                              std::nullopt, {}});
        auto prefix = ops::existing_environment(options.prefix, options.name, config, environment);
        if (!prefix) return report_error(global, prefix.error());
        request.prefix = *prefix;
    }
    const auto repodata_options =
        repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    auto result = ops::repoquery(request, config, environment, repodata_options);
    if (!result) return report_error(global, result.error());
    if (global.json)
        print_json(ops::repoquery_json(*result, request.tree));
    else if (!global.quiet)
        std::fputs(ops::repoquery_text(*result, request.tree).c_str(), stdout);
    return result->root.missing ? exit_codes::failed : exit_codes::ok;
}

void add_query(CLI::App& parent, const char* name, const char* help, ops::RepoqueryRequest::Kind kind,
               CommandContext context) {
    auto options = std::make_shared<RepoqueryOptions>();
    options->request.kind = kind;
    auto* command = parent.add_subcommand(name, help);
    command->add_option("spec", options->request.spec, "The package, e.g. numpy or 'numpy>=1.26'")->required();
    command->add_flag("-t,--tree", options->request.tree, "Follow the relation all the way, as a tree");
    command->add_option("-p,--prefix", options->prefix, "Query this environment");
    command->add_option("-n,--name", options->name, "Query the environment of this name");
    command->add_option("-c,--channel", options->request.channels, "Query this channel (before the configured ones); repeatable")
        ->allow_extra_args(false);
    command->add_flag("--override-channels", options->request.override_channels, "Query only the -c channels");
    command->add_option("--platform,--subdir", options->request.platform, "Subdir to query besides noarch (default: this machine's)");
    command->add_flag("--offline", options->offline, "Use only cached repodata");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_repoquery(*global, *options); };
    });
}

}  // namespace

void add_repoquery_command(CommandContext context) {
    auto* command = context.app.add_subcommand("repoquery", "What a package depends on, or what needs it");
    command->require_subcommand(1);
    command->footer(
        "Examples:\n  envctl repoquery depends -p ./env numpy\n  envctl repoquery whoneeds --tree -n ml libzlib\n"
        "  envctl repoquery depends -c conda-forge --tree 'pandas>=2'");
    add_query(*command, "depends", "Packages the best match of SPEC depends on", ops::RepoqueryRequest::Kind::Depends, context);
    add_query(*command, "whoneeds", "Packages that depend on SPEC", ops::RepoqueryRequest::Kind::WhoNeeds, context);
}

}  // namespace envctl::cli
