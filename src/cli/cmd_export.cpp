// envctl export -p PREFIX|-n NAME [--env-name NAME] [--format environment|explicit|lock] [--from-history] [--no-builds] [-o FILE] [--json]
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/lock/export.hpp"
#include "envctl/ops/search.hpp"
#include "envctl/util/fs.hpp"
#include "environment_target.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct ExportOptions {
    EnvironmentTarget target;
    std::string format = "environment";
    bool from_history = false;
    bool no_builds = false;
    std::string env_name;  // the name written into environment.yml
    std::string output;
};

int run_export(const GlobalOptions& global, const ExportOptions& options) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    lock::ExportOptions export_options;
    if (options.format == "environment") export_options.format = lock::ExportFormat::Environment;
    else if (options.format == "explicit") export_options.format = lock::ExportFormat::Explicit;
    else if (options.format == "lock") export_options.format = lock::ExportFormat::Lock;
    else return report_error(global, Error{ErrorKind::Usage, fmt::format("unknown --format '{}' (environment, explicit or lock)", options.format), std::nullopt, {}});
    export_options.from_history = options.from_history;
    export_options.no_builds = options.no_builds;
    export_options.name = !options.env_name.empty() ? options.env_name : options.target.name;
    export_options.fallback_platform = std::string(conda::host_subdir());
    export_options.channel_context = ops::channel_context(loaded->config, environment);
    auto found = existing_environment(options.target, loaded->config);
    if (!found) return report_error(global, found.error());
    const std::filesystem::path prefix = *found;
    if (options.from_history) {
        auto history = read_file(prefix / "conda-meta" / "history");
        if (history) export_options.history_text = std::move(*history);
    }
    auto installed = lock::read_prefix(prefix);
    if (!installed) return report_error(global, installed.error());
    auto text = lock::export_prefix(*installed, export_options);
    if (!text) return report_error(global, text.error());
    if (!options.output.empty()) {
        if (auto status = write_file_atomic(options.output, *text); !status) return report_error(global, status.error());
    }
    if (global.json) {
        nlohmann::json out{{"success", true}, {"format", options.format}, {"text", *text}};
        if (!options.output.empty()) out["path"] = options.output;
        if (export_options.format == lock::ExportFormat::Environment) {
            auto document = lock::export_environment_json(*installed, export_options);
            if (document) out["environment"] = std::move(*document);
        }
        print_json(out);
    } else if (options.output.empty()) {
        std::fputs(text->c_str(), stdout);
    } else if (!global.quiet) {
        std::fputs(fmt::format("Exported {} ({} packages) to {}\n", prefix.string(), installed->packages.size(), options.output).c_str(), stderr);
    }
    return exit_codes::ok;
}

}  // namespace

void add_export_command(CommandContext context) {
    auto options = std::make_shared<ExportOptions>();
    auto* command = context.app.add_subcommand("export", "Write an installed environment as environment.yml, explicit file or lockfile");
    add_environment_target_options(*command, options->target, false);
    command->add_option("--format", options->format, "environment (default), explicit or lock")
        ->check(CLI::IsMember({"environment", "explicit", "lock"}));
    command->add_flag("--from-history", options->from_history, "Only the specs the user asked for (environment format)");
    command->add_flag("--no-builds", options->no_builds, "Pin name=version without the build string (environment format)");
    command->add_option("--env-name", options->env_name,
                        "Environment name to write (default: the -n name, else the prefix folder's name)");
    command->add_option("-o,--output,--file", options->output, "Write to this file instead of stdout");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_export(*global, *options); };
    });
}

}  // namespace envctl::cli
