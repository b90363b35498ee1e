#include "install_ui.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>

#include <fmt/core.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "configuration.hpp"
#include "envctl/ops/environments.hpp"
#include "envctl/util/url.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace envctl::cli {

namespace {

struct Row {
    std::string action;  // "+", "-", "~" (version change), "r" (reinstall)
    std::string name;
    std::string version;  // "1.0" or "1.0 -> 2.0"
    std::string build;
    std::string channel;
    std::uint64_t size = 0;
};

std::vector<Row> change_rows(const ops::PrefixChanges& changes, const std::vector<conda::Channel>& channels) {
    std::map<std::string, std::string> names;
    for (const auto& channel : channels) names.emplace(channel.base_url(), redact_url(channel.name()));
    auto channel_of = [&](const conda::PackageRecord& record) {
        const auto found = names.find(record.channel);
        return found == names.end() ? redact_url(record.channel) : found->second;
    };
    std::map<std::string, const link::PrefixRecord*> leaving;
    for (const auto& record : changes.unlink) leaving[record.record.name] = &record;
    std::vector<Row> rows;
    for (const auto& record : changes.link) {
        Row row{"+", record.name, record.version.str(), record.build, channel_of(record), record.size};
        if (const auto it = leaving.find(record.name); it != leaving.end()) {
            const auto& old = it->second->record;
            row.action = old.version.str() == record.version.str() ? "r" : "~";
            if (old.version.str() != record.version.str()) row.version = old.version.str() + " -> " + record.version.str();
            if (old.build != record.build) row.build = old.build + " -> " + record.build;
            leaving.erase(it);
        }
        rows.push_back(std::move(row));
    }
    for (const auto& [name, record] : leaving)
        rows.push_back({"-", name, record->record.version.str(), record->record.build, channel_of(record->record), 0});
    return rows;
}

void print_changes(const ops::PrefixChanges& changes, const std::vector<conda::Channel>& channels) {
    const auto rows = change_rows(changes, channels);
    std::size_t widths[4] = {7, 7, 5, 7};
    for (const auto& row : rows) {
        widths[0] = std::max(widths[0], row.name.size() + 2);
        widths[1] = std::max(widths[1], row.version.size());
        widths[2] = std::max(widths[2], row.build.size());
        widths[3] = std::max(widths[3], row.channel.size());
    }
    std::string text = fmt::format("Environment: {}\n\n", changes.prefix.string());
    text += fmt::format("  {}  {}  {}  {}  Size\n", pad_right("Package", widths[0]), pad_right("Version", widths[1]),
                        pad_right("Build", widths[2]), pad_right("Channel", widths[3]));
    std::size_t added = 0, removed = 0, changed = 0;
    std::uint64_t bytes = 0;
    for (const auto& row : rows) {
        text += fmt::format("  {}  {}  {}  {}  {}\n", pad_right(row.action + " " + row.name, widths[0]),
                            pad_right(row.version, widths[1]), pad_right(row.build, widths[2]), pad_right(row.channel, widths[3]),
                            row.size ? human_bytes(row.size) : "");
        bytes += row.size;
        if (row.action == "+") ++added;
        else if (row.action == "-") ++removed;
        else ++changed;
    }
    text += fmt::format("\nSummary: {} to install, {} to change, {} to remove, {} kept ({} of archives, some may be "
                        "cached)\n",
                        added, changed, removed, changes.unchanged, human_bytes(bytes));
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
}

bool ask_to_proceed() {
    std::fputs("\nProceed ([y]/n)? ", stdout);
    std::fflush(stdout);
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    const auto first = answer.find_first_not_of(" \t");
    return first == std::string::npos || answer[first] == 'y' || answer[first] == 'Y';
}

std::string fetch_detail(const fetch::FetchProgress& progress) {
    std::string text = fmt::format("{}/{} packages ready", progress.ready, progress.packages);
    if (progress.downloads)
        text += fmt::format(", downloaded {}/{} ({} of {})", progress.downloaded, progress.downloads,
                            human_bytes(progress.bytes_done), human_bytes(progress.bytes_total));
    if (progress.extractions) text += fmt::format(", extracted {}/{}", progress.extracted, progress.extractions);
    return text;
}

const char* stage_label(link::TransactionProgress::Stage stage) {
    switch (stage) {
        case link::TransactionProgress::Stage::Unlink: return "Removing";
        case link::TransactionProgress::Stage::Link: return "Linking";
        case link::TransactionProgress::Stage::Scripts: return "Scripts";
        case link::TransactionProgress::Stage::Compile: return "Compiling";
        case link::TransactionProgress::Stage::Done: return "Done";
    }
    return "";
}

}  // namespace

void add_change_options(CLI::App& command, ChangeOptions& options, bool with_dry_run) {
    command.add_flag("-y,--yes", options.yes, "Do not ask for confirmation");
    if (with_dry_run) command.add_flag("--dry-run", options.dry_run, "Only show what would change");
    command.add_flag("--copy", options.copy, "Copy files into the environment instead of hard-linking them");
    command.add_flag("--no-link-scripts", options.no_link_scripts, "Do not run the packages' post-link/pre-unlink scripts");
    command.add_flag("--no-pyc", options.no_pyc, "Do not compile .pyc files of noarch: python packages");
}

std::string command_line() {
    std::string text;
    const int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "envctl";
    char buffer[4096];
    for (;;) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    while (!text.empty() && text.back() == '\0') text.pop_back();
    for (auto& c : text)
        if (c == '\0') c = ' ';
    return redact_text(text);
}

void prepare_request(ops::ApplyRequest& request, const ChangeOptions& options, const config::Config& config) {
    request.always_copy = options.copy || config.always_copy;
    request.link_scripts = !options.no_link_scripts;
    request.compile_pyc = !options.no_pyc && config.compile_pyc;
    request.dry_run = options.dry_run;
    request.command = command_line();
    request.user_agent = user_agent();
    request.tool_version = ENVCTL_VERSION;
}

int run_apply(const GlobalOptions& global, const ops::ApplyRequest& request, const ChangeOptions& options,
              const config::Config& config, const config::Environment& environment) {
    ProgressBar bar(ProgressBar::wanted(global));
    const bool interactive = !global.json && !options.yes && ::isatty(STDIN_FILENO);
    ops::ApplyCallbacks callbacks;
    callbacks.on_notice = [&](const std::string& text) {
        bar.clear();
        if (!global.quiet && !global.json) std::fputs(fmt::format("note: {}\n", text).c_str(), stderr);
    };
    callbacks.on_warning = [&](const std::string& text) {
        bar.clear();
        spdlog::warn("{}", text);
    };
    callbacks.on_message = [&](const std::string& text) {
        bar.clear();
        if (!global.quiet && !global.json) std::fputs(fmt::format("Message from {}\n", text).c_str(), stdout);
    };
    callbacks.confirm = [&](const ops::PrefixChanges& changes) {
        if (!global.json && !global.quiet) print_changes(changes, request.channels);
        return !interactive || ask_to_proceed();
    };
    callbacks.on_fetch_progress = [&](const fetch::FetchProgress& progress) {
        bar.update(progress.downloads ? "Downloading" : "Extracting", progress.ready, progress.packages,
                   fetch_detail(progress), progress.ready == progress.packages);
    };
    callbacks.on_link_progress = [&](const link::TransactionProgress& progress) {
        bar.update(stage_label(progress.stage), progress.done, progress.total,
                   progress.package.empty() ? std::string() : fmt::format("{}/{} {}", progress.done, progress.total,
                                                                          progress.package));
    };
    auto result = ops::apply_environment(request, config, environment, callbacks);
    bar.clear();
    if (!result) return report_error(global, result.error());
    if (request.dry_run) {
        if (global.json) {
            auto document = ops::apply_result_json(*result);
            document["dry_run"] = true;
            print_json(document);
        } else if (!global.quiet) {
            if (result->changes.empty()) std::fputs("Nothing to do: the environment already holds that.\n", stdout);
            else print_changes(result->changes, request.channels);
            std::fputs("Dry run: nothing was changed.\n", stdout);
        }
        return exit_codes::ok;
    }
    if (result->aborted) {
        if (!global.json) std::fputs("Aborted: nothing was changed.\n", stderr);
        return exit_codes::failed;
    }
    if (auto registered = ops::register_environment(config.root_prefix, request.prefix); !registered)
        spdlog::warn("{} is not in the list of environments: {}", request.prefix.string(), registered.error().message);
    for (const auto& clobber : result->transaction.clobbered) spdlog::warn("clobbered {}", clobber);
    if (global.json) {
        print_json(ops::apply_result_json(*result));
        return exit_codes::ok;
    }
    if (!result->transaction.messages.empty())
        std::fputs(fmt::format("Messages from the packages' link scripts:\n{}", result->transaction.messages).c_str(), stdout);
    if (!global.quiet) {
        const auto& changes = result->changes;
        if (changes.empty()) {
            std::fputs(fmt::format("Environment {} already holds everything requested.\n", changes.prefix.string()).c_str(),
                       stdout);
        } else {
            std::fputs(fmt::format("Environment {}: {} package{} linked, {} unlinked ({} downloaded{}, {} from the "
                                   "cache, {} extracted) in {:.2f} s.\n",
                                   changes.prefix.string(), changes.link.size(), changes.link.size() == 1 ? "" : "s",
                                   changes.unlink.size(), result->downloaded,
                                   result->downloaded ? ", " + human_bytes(result->downloaded_bytes) : std::string(),
                                   result->from_cache, result->extracted, result->fetch_seconds + result->link_seconds)
                           .c_str(),
                       stdout);
        }
    }
    return exit_codes::ok;
}

}  // namespace envctl::cli
