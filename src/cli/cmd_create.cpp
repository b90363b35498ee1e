// envctl create -p PREFIX|-n NAME [-f environment.yml|lockfile|explicit file] [-c CHANNEL ...]
//               [--override-channels] [--platform SUBDIR] [--no-deps|--only-deps] [--pin SPEC ...]
//               [--exclude-newer DATE] [--channel-priority strict|flexible|disabled] [--offline]
//               [--locked|--frozen] [--category C] [-y] [--copy] [--dry-run] [--json] [SPEC ...]
//
// --dry-run solves and prints the transaction (micromamba's --json shape), writing nothing.
// Otherwise an environment file without extra specs or channels goes through its lockfile
// (create_locked.hpp), and everything else is solved here and installed by run_apply.
#include <cstdio>
#include <map>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/create.hpp"
#include "create_locked.hpp"
#include "envctl/ops/lock_install.hpp"
#include "envctl/spec/environment.hpp"
#include "envctl/util/url.hpp"
#include "install_ui.hpp"
#include "output.hpp"
#include "progress.hpp"
#include "pip_install_ui.hpp"

namespace envctl::cli {
namespace {

struct CreateOptions {
    ops::CreateRequest request;
    std::string prefix;
    std::string file;
    std::string exclude_newer;
    std::string channel_priority;
    bool strict_channel_priority = false;
    bool no_deps = false;
    bool only_deps = false;
    bool offline = false;
    ChangeOptions change;  // -y, --copy, --dry-run, ...
    LockedCreateOptions locked;
};

// The channel names users know, by canonical URL.
std::map<std::string, std::string> channel_names(const ops::CreatePlan& plan) {
    std::map<std::string, std::string> names;
    for (const auto& channel : plan.channels) names.emplace(channel.base_url(), redact_url(channel.name()));
    return names;
}

void print_plan(const ops::CreatePlan& plan) {
    const auto names = channel_names(plan);
    auto channel_of = [&](const conda::PackageRecord& record) {
        const auto found = names.find(record.channel);
        return found == names.end() ? redact_url(record.channel) : found->second;
    };
    struct Row {
        char action;
        const conda::PackageRecord* record;
    };
    std::vector<Row> rows;
    for (const auto& record : plan.solution.unlink) rows.push_back({'-', &record});
    for (const auto& record : plan.solution.link) rows.push_back({'+', &record});
    std::size_t widths[4] = {7, 7, 5, 7};
    for (const auto& row : rows) {
        widths[0] = std::max(widths[0], row.record->name.size() + 2);
        widths[1] = std::max(widths[1], row.record->version.str().size());
        widths[2] = std::max(widths[2], row.record->build.size());
        widths[3] = std::max(widths[3], channel_of(*row.record).size());
    }
    std::string text = fmt::format("Environment: {}\nPlatform:    {}\n\n", plan.prefix.string(), plan.platform);
    for (const auto& note : plan.notes) text += fmt::format("note: {}\n", note);
    if (!plan.notes.empty()) text += "\n";
    if (rows.empty()) {
        text += "Nothing to do: the environment already has everything requested.\n";
    } else {
        text += fmt::format("  {}  {}  {}  {}  Size\n", pad_right("Package", widths[0]), pad_right("Version", widths[1]),
                            pad_right("Build", widths[2]), pad_right("Channel", widths[3]));
        for (const auto& row : rows) {
            const auto& record = *row.record;
            text += fmt::format("  {}  {}  {}  {}  {}\n", pad_right(std::string(1, row.action) + " " + record.name, widths[0]),
                                pad_right(record.version.str(), widths[1]), pad_right(record.build, widths[2]),
                                pad_right(channel_of(record), widths[3]), record.size ? human_bytes(record.size) : "");
        }
    }
    if (!plan.pip_wheels.empty()) {
        text += "\n  pip packages (installed after the conda packages):\n";
        for (const auto& wheel : plan.pip_wheels) text += fmt::format("  + {} {}  {}\n", wheel.name, wheel.version.to_string(), wheel.file.filename);
    }
    std::uint64_t download = 0;
    for (const auto& record : plan.fetch) download += record.size;
    text += fmt::format("\nSummary: {} to link, {} to unlink, {} to download ({})\n", plan.solution.link.size(),
                        plan.solution.unlink.size(), plan.fetch.size(), human_bytes(download));
    std::fputs(text.c_str(), stdout);
}

int run_create(const GlobalOptions& global, CreateOptions options) {
    const auto environment = config::Environment::from_process();
    config::Overrides overrides;
    if (options.offline) overrides["offline"] = "true";
    if (options.strict_channel_priority) overrides["channel_priority"] = "strict";
    if (!options.channel_priority.empty()) overrides["channel_priority"] = options.channel_priority;
    auto loaded = load_configuration(environment, overrides);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;

    auto& request = options.request;
    request.prefix = options.prefix;
    request.file = options.file;
    if (!options.exclude_newer.empty()) request.exclude_newer = options.exclude_newer;
    request.deps = options.no_deps ? solve::DepsMode::NoDeps : options.only_deps ? solve::DepsMode::OnlyDeps : solve::DepsMode::All;

    // Lockfiles and explicit files install as they are; an environment file alone installs
    // through its lockfile. A dry run of an environment file solves instead (no lockfile written).
    const bool lockfile_input = !request.file.empty() && (options.locked.locked || options.locked.frozen ||
                                                           ops::is_locked_input(request.file));
    if (lockfile_input || (!options.change.dry_run &&
                           takes_locked_path(request.file, options.locked, !request.specs.empty(), !request.channels.empty()))) {
        std::string file_name;
        if (!ops::is_locked_input(request.file))
            if (auto parsed = spec::parse_environment_file(request.file)) file_name = parsed->name;
        auto prefix = ops::create_prefix(request, config, file_name);
        if (!prefix) return report_error(global, prefix.error());
        return run_locked_create(global, request.file, *prefix, request.platform, options.locked, options.change, config,
                                 environment);
    }

    const auto repodata_options =
        repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    auto plan = ops::plan_create(request, config, environment, repodata_options);
    if (!plan) return report_error(global, plan.error());

    if (!plan->solution.satisfiable) {
        if (global.json)
            print_json(ops::unsatisfiable_json(*plan));
        else
            std::fputs(fmt::format("error: cannot satisfy the request for {}\n{}", plan->platform,
                                   plan->solution.explanation.text())
                           .c_str(),
                       stderr);
        return exit_codes::failed;
    }
    if (options.change.dry_run) {
        if (global.json)
            print_json(ops::plan_json(*plan));
        else if (!global.quiet)
            print_plan(*plan);
        return exit_codes::ok;
    }
    if (!global.json && !global.quiet)
        for (const auto& note : plan->notes) std::fputs(fmt::format("note: {}\n", note).c_str(), stderr);
    ops::ApplyRequest apply;
    apply.prefix = plan->prefix;
    apply.channels = plan->channels;
    apply.resolve = [records = plan->solution.records](const std::vector<link::PrefixRecord>&)
        -> Result<std::vector<conda::PackageRecord>> { return records; };
    for (const auto& spec : plan->specs) {
        apply.update_specs.push_back(spec.str());
        if (const auto name = spec.exact_name()) apply.requested_specs.emplace_back(std::string(*name), spec.str());
    }
    if (!plan->env_vars.empty()) apply.env_vars = plan->env_vars;
    prepare_request(apply, options.change, config);
    const auto code = run_apply(global, apply, options.change, config, environment);
    if (code != exit_codes::ok || options.change.dry_run) return code;
    return install_pip_step(global, plan->prefix, plan->solution.records, ops::pip_packages(plan->pip_wheels), config, environment);
}

}  // namespace

void add_create_command(CommandContext context) {
    auto options = std::make_shared<CreateOptions>();
    auto* command = context.app.add_subcommand("create", "Create an environment from specs or an environment file");
    command->add_option("specs", options->request.specs, "Match specs, e.g. python=3.11 'numpy>=1.26'");
    command->add_option("-p,--prefix", options->prefix, "Path of the environment");
    command->add_option("-n,--name", options->request.name, "Name of the environment (in the first envs_dirs folder)");
    command->add_option("-f,--file", options->file, "environment.yml to read dependencies and channels from");
    // One value per -c/--pin, repeatable (a vector option would swallow the specs after it).
    command->add_option("-c,--channel", options->request.channels, "Channel to use, before the others; repeatable")
        ->allow_extra_args(false);
    command->add_flag("--override-channels", options->request.override_channels, "Use only the -c channels");
    command->add_option("--platform,--subdir", options->request.platform,
                        "Solve for this subdir (e.g. osx-arm64) with its default virtual packages");
    auto* no_deps = command->add_flag("--no-deps", options->no_deps, "Install only the named packages, not their dependencies");
    command->add_flag("--only-deps", options->only_deps, "Install only the dependencies of the named packages")->excludes(no_deps);
    command->add_option("--pin", options->request.pins, "Constrain a package without requesting it (as pinned_packages); repeatable")
        ->allow_extra_args(false);
    command->add_option("--exclude-newer", options->exclude_newer,
                        "Ignore packages published after DATE (2024-05-01, 2024-05-01T12:00:00Z or epoch seconds)");
    command->add_option("--channel-priority", options->channel_priority, "strict, flexible or disabled")
        ->check(CLI::IsMember({"strict", "flexible", "disabled"}));
    command->add_flag("--strict-channel-priority", options->strict_channel_priority, "Same as --channel-priority strict");
    command->add_flag("--offline", options->offline, "Use only cached repodata");
    add_change_options(*command, options->change, true);
    add_locked_create_options(*command, options->locked);
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_create(*global, *options); };
    });
}

}  // namespace envctl::cli
