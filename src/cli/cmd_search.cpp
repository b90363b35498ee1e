// envctl search [-c CHANNEL ...] [--override-channels] [--platform SUBDIR] [--offline] SPEC... [--json]
#include <cstdio>
#include <memory>

#include <fmt/core.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/search.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct SearchOptions {
    std::vector<std::string> specs;
    std::vector<std::string> channels;
    bool override_channels = false;
    std::string platform;
    bool offline = false;
};

// "conda-forge/linux-64: 12.3 MB, 120,000 records" on one rewritten stderr line.
class ProgressLine {
public:
    void show(const repodata::Progress& progress) {
        const auto key = progress.channel + "/" + progress.subdir;
        std::string status;
        switch (progress.stage) {
            case repodata::Progress::Stage::Checking: status = "checking"; break;
            case repodata::Progress::Stage::Downloading:
                status = fmt::format("downloading {:.1f} MB", static_cast<double>(progress.bytes) / 1e6);
                if (progress.total_bytes) status += fmt::format(" of {:.1f} MB", static_cast<double>(progress.total_bytes) / 1e6);
                break;
            case repodata::Progress::Stage::Parsing: status = "reading cache"; break;
            case repodata::Progress::Stage::Done: status = progress.from_cache ? "cached" : "done"; break;
        }
        if (progress.records) status += fmt::format(", {} records", progress.records);
        if (progress.shards_needed)
            status += fmt::format(", {}/{} shards", progress.shards_fetched, progress.shards_needed);
        std::fputs(fmt::format("\r\033[K{}: {}", key, status).c_str(), stderr);
        shown_ = true;
    }
    ~ProgressLine() {
        if (shown_) std::fputs("\r\033[K", stderr);
    }

private:
    bool shown_ = false;
};

int run_search(const GlobalOptions& global, const SearchOptions& options) {
    const auto environment = config::Environment::from_process();
    config::Overrides overrides;
    if (options.offline) overrides["offline"] = "true";
    auto loaded = load_configuration(environment, overrides);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;
    auto repodata_options =
        repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    std::unique_ptr<ProgressLine> line;
    if (!global.json && !global.quiet && stderr_is_interactive()) {
        line = std::make_unique<ProgressLine>();
        repodata_options.on_progress = [&line](const repodata::Progress& progress) { line->show(progress); };
    }
    ops::SearchRequest request{options.specs, options.channels, options.override_channels, options.platform};
    auto matches = ops::search(request, config, environment, repodata_options);
    line.reset();
    if (!matches) return report_error(global, matches.error());

    if (global.json) {
        auto out = nlohmann::json::array();
        for (const auto& match : *matches) out.push_back(ops::search_match_json(match));
        print_json(out);
        return matches->empty() ? exit_codes::failed : exit_codes::ok;
    }
    if (matches->empty()) {
        std::string specs;
        for (const auto& spec : options.specs) specs += (specs.empty() ? "" : ", ") + spec;
        std::fputs(fmt::format("No match found for: {}\n", specs).c_str(), stderr);
        return exit_codes::failed;
    }
    std::size_t widths[4] = {4, 7, 5, 7};
    for (const auto& match : *matches) {
        widths[0] = std::max(widths[0], match.record.name.size());
        widths[1] = std::max(widths[1], match.record.version.str().size());
        widths[2] = std::max(widths[2], match.record.build.size());
        widths[3] = std::max(widths[3], match.channel_name.size());
    }
    std::string text = fmt::format("{}  {}  {}  {}  Subdir\n", pad_right("Name", widths[0]), pad_right("Version", widths[1]),
                                   pad_right("Build", widths[2]), pad_right("Channel", widths[3]));
    for (const auto& match : *matches) {
        const auto& record = match.record;
        text += fmt::format("{}  {}  {}  {}  {}\n", pad_right(record.name, widths[0]), pad_right(record.version.str(), widths[1]),
                            pad_right(record.build, widths[2]), pad_right(match.channel_name, widths[3]), record.subdir);
    }
    std::fputs(text.c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

void add_search_command(CommandContext context) {
    auto options = std::make_shared<SearchOptions>();
    auto* command = context.app.add_subcommand("search", "Search channels for packages matching specs, best first");
    command->add_option("specs", options->specs, "Match specs, e.g. numpy, 'numpy>=1.26', 'py*'")->required();
    command->add_option("-c,--channel", options->channels, "Channel to search (before the configured ones); repeatable");
    command->add_flag("--override-channels", options->override_channels, "Search only the -c channels");
    command->add_option("--platform,--subdir", options->platform, "Subdir to search besides noarch (default: this machine's)");
    command->add_flag("--offline", options->offline, "Use only cached repodata");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_search(*global, *options); };
    });
}

}  // namespace envctl::cli
