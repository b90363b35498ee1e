// envctl install -p PREFIX|-n NAME [-c CHANNEL ...] [--override-channels] [--no-deps] [--offline]
//                [-y] [--dry-run] [--copy] [--no-link-scripts] [--no-pyc] SPEC...
// envctl update  -p PREFIX|-n NAME [...] [--all] [SPEC...]
#include <map>
#include <memory>

#include <fmt/core.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/create.hpp"
#include "envctl/ops/search.hpp"
#include "install_ui.hpp"
#include "environment_target.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;

struct InstallOptions {
    std::string prefix;
    std::string name;
    std::vector<std::string> specs;
    std::vector<std::string> channels;
    bool override_channels = false;
    bool no_deps = false;
    bool offline = false;
    bool all = false;  // update --all
    ChangeOptions change;
};

std::optional<std::string> spec_name(const std::string& text) {
    auto spec = conda::MatchSpec::parse(text);
    if (!spec) return std::nullopt;
    const auto name = spec->exact_name();
    return name ? std::optional<std::string>(std::string(*name)) : std::nullopt;
}

int run_install(const GlobalOptions& global, const InstallOptions& options, bool update) {
    const auto environment = config::Environment::from_process();
    config::Overrides overrides;
    if (options.offline) overrides["offline"] = "true";
    auto loaded = load_configuration(environment, overrides);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    auto prefix = existing_environment(EnvironmentTarget{options.prefix, options.name, {}}, config);
    if (!prefix) return report_error(global, prefix.error());
    if (!update && options.specs.empty())
        return report_error(global, Error{ErrorKind::Usage, "nothing to install", {}, {"give package specs"}});
    if (update && options.specs.empty() && !options.all)
        return report_error(global, Error{ErrorKind::Usage, "nothing to update", {}, {"give package names, or --all"}});

    std::map<std::string, std::string> new_specs;  // name -> spec text
    for (const auto& text : options.specs) {
        const auto name = spec_name(text);
        if (!name)
            return report_error(global, Error{ErrorKind::Usage, fmt::format("'{}' does not name one package", text), {}, {}});
        new_specs[*name] = text;
    }
    auto channels = ops::resolve_command_channels(options.channels, options.override_channels, config, environment);
    if (!channels) return report_error(global, channels.error());

    ops::ApplyRequest request;
    request.prefix = *prefix;
    request.channels = *channels;
    request.update_specs = options.specs;
    for (const auto& [name, text] : new_specs) request.requested_specs.emplace_back(name, text);
    prepare_request(request, options.change, config);
    const auto repodata_options =
        repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    request.resolve = [&](const std::vector<link::PrefixRecord>& installed) -> Result<std::vector<conda::PackageRecord>> {
        auto history = link::requested_specs_from_history(*prefix);
        if (!history) return fail(std::move(history.error()));
        ops::CreateRequest plan_request;
        plan_request.prefix = *prefix;
        plan_request.channels = options.channels;
        plan_request.override_channels = options.override_channels;
        plan_request.deps = options.no_deps ? solve::DepsMode::NoDeps : solve::DepsMode::All;
        std::map<std::string, bool> named;
        for (const auto& text : *history) {
            const auto name = spec_name(text);
            if (name && new_specs.contains(*name)) continue;
            plan_request.specs.push_back(text);
        }
        for (const auto& [name, text] : new_specs) {
            plan_request.specs.push_back(text);
            named[name] = true;
        }
        for (const auto& record : installed) {
            // update frees the named packages (all of them with --all) to move to newer builds.
            if (update && (options.all || named.contains(record.record.name))) continue;
            plan_request.installed.push_back(record.record);
        }
        if (plan_request.specs.empty())
            for (const auto& record : installed) plan_request.specs.push_back(record.record.name);
        auto plan = ops::plan_create(plan_request, config, environment, repodata_options);
        if (!plan) return fail(std::move(plan.error()));
        if (!plan->solution.satisfiable)
            return fail(ErrorKind::Unsatisfiable,
                        fmt::format("cannot satisfy the request for {}\n{}", plan->platform, plan->solution.explanation.text()));
        std::map<std::string, conda::PackageRecord> target;
        for (const auto& record : installed) target[record.record.name] = record.record;
        for (const auto& record : plan->solution.unlink) target.erase(record.name);
        for (const auto& record : plan->solution.link) target[record.name] = record;
        std::vector<conda::PackageRecord> out;
        out.reserve(target.size());
        for (auto& [name, record] : target) out.push_back(std::move(record));
        return out;
    };
    return run_apply(global, request, options.change, config, environment);
}

void add_install_like(CommandContext context, const char* name, const char* description, bool update) {
    auto options = std::make_shared<InstallOptions>();
    auto* command = context.app.add_subcommand(name, description);
    command->add_option("specs", options->specs, update ? "Packages to update" : "Match specs to install, e.g. 'numpy>=1.26'");
    command->add_option("-p,--prefix", options->prefix, "Path of the environment");
    command->add_option("-n,--name", options->name, "Name of the environment (in the first envs_dirs folder)");
    command->add_option("-c,--channel", options->channels, "Channel to use, before the configured ones; repeatable");
    command->add_flag("--override-channels", options->override_channels, "Use only the -c channels");
    command->add_flag("--no-deps", options->no_deps, "Do not install or change dependencies");
    command->add_flag("--offline", options->offline, "Use only cached repodata and packages");
    if (update) command->add_flag("--all", options->all, "Update every package of the environment");
    add_change_options(*command, options->change, true);
    command->callback([context, options, update] {
        context.selected = [global = &context.global, options, update] { return run_install(*global, *options, update); };
    });
}

}  // namespace

void add_install_command(CommandContext context) {
    add_install_like(context, "install", "Install packages into an existing environment", false);
}

void add_update_command(CommandContext context) {
    add_install_like(context, "update", "Update packages of an environment to their newest allowed versions", true);
}

}  // namespace envctl::cli
