// envctl clean [--all] [--index-cache] [--packages] [--tarballs] [--dry-run] [-y] [--json]
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/ops/clean.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace envctl::cli {
namespace {

struct CleanOptions {
    ops::CleanRequest request;
    bool all = false;
    bool yes = false;
};

std::string report_text(const ops::CleanReport& report, bool dry_run) {
    std::string text;
    const char* labels[] = {"Repodata cache", "Unused packages", "Archives"};
    const ops::CleanItem::Kind kinds[] = {ops::CleanItem::Kind::IndexCache, ops::CleanItem::Kind::Package,
                                          ops::CleanItem::Kind::Tarball};
    for (int k = 0; k < 3; ++k) {
        std::uint64_t bytes = 0;
        std::string lines;
        for (const auto& item : report.removed)
            if (item.kind == kinds[k]) {
                lines += fmt::format("  {}  ({})\n", item.path.string(), human_bytes(item.bytes));
                bytes += item.bytes;
            }
        if (!lines.empty()) text += fmt::format("{} ({}):\n{}", labels[k], human_bytes(bytes), lines);
    }
    if (!report.in_use.empty())
        text += fmt::format("Kept {} package{} that environments use.\n", report.in_use.size(), report.in_use.size() == 1 ? "" : "s");
    for (const auto& note : report.notes) text += fmt::format("note: {}\n", note);
    if (report.removed.empty())
        text += "Nothing to clean.\n";
    else
        text += fmt::format("{} {}.\n", dry_run ? "Would free" : "Freed", human_bytes(report.bytes()));
    return text;
}

int run_clean(const GlobalOptions& global, CleanOptions options) {
    auto& request = options.request;
    if (options.all) request.index_cache = request.packages = request.tarballs = true;
    if (!request.index_cache && !request.packages && !request.tarballs)
        return report_error(global, Error{ErrorKind::Usage, "nothing to clean", std::nullopt,
                                          {"give --all, or one or more of --index-cache, --packages, --tarballs"}});
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;

    // Ask first on a terminal: show what would go, then clean for real.
    const bool interactive = !global.json && !options.yes && !request.dry_run && ::isatty(STDIN_FILENO);
    if (interactive) {
        auto preview_request = request;
        preview_request.dry_run = true;
        auto preview = ops::clean(preview_request, config);
        if (!preview) return report_error(global, preview.error());
        if (preview->removed.empty()) {
            std::fputs(report_text(*preview, true).c_str(), stdout);
            return exit_codes::ok;
        }
        std::fputs(report_text(*preview, true).c_str(), stdout);
        std::fputs("\nProceed ([y]/n)? ", stdout);
        std::fflush(stdout);
        std::string answer;
        if (!std::getline(std::cin, answer)) return exit_codes::failed;
        const auto first = answer.find_first_not_of(" \t");
        if (first != std::string::npos && answer[first] != 'y' && answer[first] != 'Y') {
            std::fputs("Cancelled: nothing was removed.\n", stdout);
            return exit_codes::failed;
        }
    }
    auto report = ops::clean(request, config);
    if (!report) return report_error(global, report.error());
    if (global.json)
        print_json(ops::clean_json(*report, request.dry_run));
    else if (!global.quiet)
        std::fputs(report_text(*report, request.dry_run).c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

void add_clean_command(CommandContext context) {
    auto options = std::make_shared<CleanOptions>();
    auto* command = context.app.add_subcommand("clean", "Remove cached packages and repodata that no environment needs");
    command->add_flag("-a,--all", options->all, "Same as --index-cache --packages --tarballs");
    command->add_flag("-i,--index-cache", options->request.index_cache, "Remove the downloaded repodata");
    command->add_flag("-p,--packages", options->request.packages,
                      "Remove extracted packages that no environment uses (checked by hard links and the environments' records)");
    command->add_flag("-t,--tarballs", options->request.tarballs, "Remove downloaded package archives");
    command->add_flag("-d,--dry-run", options->request.dry_run, "Only show what would be removed");
    command->add_flag("-y,--yes", options->yes, "Do not ask for confirmation");
    command->footer("Examples:\n  envctl clean --all --dry-run\n  envctl clean --packages --tarballs -y");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_clean(*global, *options); };
    });
}

}  // namespace envctl::cli
