// envctl lock -f environment.yml [--platform SUBDIR ...] [-o FILE] [--update NAME ...] [--update-all]
//             [--check] [--offline] [--json]
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/lock.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct LockOptions {
    std::string file = "environment.yml";
    std::vector<std::string> platforms;
    std::string output;
    std::vector<std::string> update;
    bool update_all = false;
    bool check = false;
    bool offline = false;
};

int run_check(const GlobalOptions& global, const ops::LockRequest& request, const config::Config& config,
              const config::Environment& environment) {
    auto outcome = ops::check_lock(request, config, environment);
    if (!outcome) return report_error(global, outcome.error());
    const auto& result = outcome->result;
    if (global.json) {
        print_json({{"success", result.current}, {"current", result.current}, {"lockfile", outcome->path.string()},
                    {"reasons", result.reasons}, {"notes", result.notes}});
    } else if (result.current) {
        if (!global.quiet) std::fputs(fmt::format("{} is current\n", outcome->path.string()).c_str(), stdout);
        if (global.verbosity > 0)
            for (const auto& note : result.notes) std::fputs(fmt::format("note: {}\n", note).c_str(), stderr);
    } else {
        std::string text = fmt::format("{} is stale:\n", outcome->path.string());
        for (const auto& reason : result.reasons) text += fmt::format("  - {}\n", reason);
        text += fmt::format("hint: relock with `envctl lock -f {}`\n", request.environment_file.string());
        std::fputs(text.c_str(), stderr);
    }
    return result.current ? exit_codes::ok : exit_codes::failed;
}

int run_lock(const GlobalOptions& global, const LockOptions& options) {
    const auto environment = config::Environment::from_process();
    config::Overrides overrides;
    if (options.offline) overrides["offline"] = "true";
    auto loaded = load_configuration(environment, overrides);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    ops::LockRequest request{options.file, options.platforms, options.output, options.update, options.update_all};
    if (options.check) return run_check(global, request, config, environment);

    auto repodata_options = repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    auto outcome = ops::lock_environment(request, config, environment, repodata_options);
    if (!outcome) return report_error(global, outcome.error());
    if (global.json) {
        nlohmann::json platforms = nlohmann::json::object();
        for (const auto& [platform, count] : outcome->packages_per_platform) platforms[platform] = count;
        print_json({{"success", true}, {"lockfile", outcome->path.string()}, {"written", outcome->written},
                    {"platforms", platforms}, {"changes", outcome->changes}});
        return exit_codes::ok;
    }
    if (global.quiet) return exit_codes::ok;
    std::vector<std::string> counts;
    for (const auto& [platform, count] : outcome->packages_per_platform) counts.push_back(fmt::format("{} ({} packages)", platform, count));
    std::string text = fmt::format("Locked {} for {} -> {}{}\n", options.file, fmt::join(counts, ", "), outcome->path.string(),
                                   outcome->written ? "" : " (unchanged)");
    for (const auto& change : outcome->changes) text += fmt::format("  {}\n", change);
    std::fputs(text.c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

void add_lock_command(CommandContext context) {
    auto options = std::make_shared<LockOptions>();
    auto* command = context.app.add_subcommand("lock", "Solve an environment file for every platform and write a conda-lock v1 lockfile");
    command->add_option("-f,--file", options->file, "Environment file (default: environment.yml)");
    command->add_option("--platform,--subdir", options->platforms,
                        "Platform to lock (repeatable; default: the file's `platforms:`, else this machine's)");
    command->add_option("-o,--lockfile", options->output, "Lockfile to write (default: envctl-lock.yml beside the environment file)");
    command->add_option("--update", options->update, "Let these packages move to newer versions (repeatable)");
    command->add_flag("--update-all", options->update_all, "Ignore the versions of the existing lockfile");
    command->add_flag("--check", options->check,
                      "Exit 0 when the lockfile satisfies the environment file, 1 with the reasons when not (no network)");
    command->add_flag("--offline", options->offline, "Use only cached repodata");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_lock(*global, *options); };
    });
}

}  // namespace envctl::cli
