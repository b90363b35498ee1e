#include "create_locked.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "configuration.hpp"
#include "envctl/conda/match_spec.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/lock_install.hpp"
#include "envctl/spec/environment.hpp"
#include "output.hpp"
#include "pip_install_ui.hpp"

namespace envctl::cli {

void add_locked_create_options(CLI::App& command, LockedCreateOptions& options) {
    auto* locked = command.add_flag("--locked", options.locked,
                                    "Install the lockfile beside the environment file only if it is current (never rewrite it)");
    command.add_flag("--frozen", options.frozen, "Install the lockfile beside the environment file as it is, without checking it")
        ->excludes(locked);
    command.add_option("--category", options.categories, "conda-lock categories to install (repeatable; default: main)");
}

bool takes_locked_path(const std::filesystem::path& file, const LockedCreateOptions& options, bool has_specs,
                       bool has_channels) {
    if (file.empty()) return false;
    if (options.locked || options.frozen || ops::is_locked_input(file)) return true;
    return !has_specs && !has_channels;
}

int run_locked_create(const GlobalOptions& global, const std::filesystem::path& file, const std::filesystem::path& prefix,
                      const std::string& platform, const LockedCreateOptions& options, const ChangeOptions& change,
                      const config::Config& config, const config::Environment& environment) {
    ops::LockedInstallRequest request;
    request.file = file;
    request.mode = options.frozen ? ops::LockMode::Frozen : options.locked ? ops::LockMode::Locked : ops::LockMode::Default;
    request.categories = options.categories;
    request.platform = platform;
    const auto repodata_options = repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    auto plan = ops::plan_locked_install(request, config, environment, repodata_options);
    if (!plan) return report_error(global, plan.error());
    if (!global.json && !global.quiet)
        for (const auto& message : plan->messages) std::fputs(fmt::format("{}\n", message).c_str(), stderr);
    // A lockfile that records pip: lines but no pip entries was written before envctl locked
    // pip packages: they cannot be installed from it.
    if (!plan->pip_requirements.empty() && plan->pip_packages.empty())
        std::fputs(fmt::format("warning: {} records {} pip requirement(s) but no locked pip packages; relock it to install them\n",
                               plan->source.string(), plan->pip_requirements.size())
                       .c_str(),
                   stderr);
    auto pip_packages = ops::pip_packages(plan->pip_packages, ops::requested_pip_names(plan->pip_requirements));
    if (!pip_packages) return report_error(global, pip_packages.error());

    ops::ApplyRequest apply;
    apply.prefix = prefix;
    apply.channels = plan->channels;
    apply.resolve = [records = plan->records](const std::vector<link::PrefixRecord>&) -> Result<std::vector<conda::PackageRecord>> {
        return records;
    };
    apply.update_specs = plan->requested_specs;
    for (const auto& text : plan->requested_specs)
        if (auto spec = conda::MatchSpec::parse(text); spec && spec->exact_name())
            apply.requested_specs.emplace_back(std::string(*spec->exact_name()), text);
    // The environment file's `variables:` go to conda-meta/state, as with a solved create.
    if (!ops::is_locked_input(file))
        if (auto parsed = spec::parse_environment_file(file); parsed && !parsed->variables.empty())
            apply.env_vars = parsed->variables;
    prepare_request(apply, change, config);
    const auto code = run_apply(global, apply, change, config, environment);
    if (code != exit_codes::ok || change.dry_run) return code;
    return install_pip_step(global, prefix, plan->records, std::move(*pip_packages), config, environment);
}

}  // namespace envctl::cli
