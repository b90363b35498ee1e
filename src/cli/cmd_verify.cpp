// envctl verify -p PREFIX|-n NAME|-f environment.yml [--lockfile FILE] [--platform SUBDIR] [--category NAME ...] [--no-files]
//               [--no-extra-files] [--json]
// Exit codes: 0 clean, 1 drift, 2 error (a missing or invalid lockfile or prefix).
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/lock/verify.hpp"
#include "envctl/ops/lock.hpp"
#include "environment_target.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

struct VerifyOptions {
    EnvironmentTarget target;
    std::string lockfile;
    std::string platform;
    std::vector<std::string> categories;
    bool no_files = false;
    bool no_extra_files = false;
};

std::string text_report(const lock::VerifyReport& report) {
    std::string out;
    for (const auto& drift : report.missing_packages)
        out += fmt::format("missing package: {} {} ({})\n", drift.name, drift.locked, drift.manager);
    for (const auto& drift : report.extra_packages)
        out += fmt::format("extra package: {} {} ({})\n", drift.name, drift.installed, drift.manager);
    for (const auto& drift : report.mismatched_packages)
        out += fmt::format("mismatched package: {} installed {}, locked {}\n", drift.name, drift.installed, drift.locked);
    for (const auto& drift : report.files) {
        for (const auto& path : drift.missing) out += fmt::format("missing file: {} ({})\n", path, drift.package);
        for (const auto& path : drift.modified) out += fmt::format("modified file: {} ({})\n", path, drift.package);
    }
    for (const auto& path : report.extra_files) out += fmt::format("extra file: {}\n", path);
    return out;
}

// verify promises exit code 2 for every error, so that 1 always means drift.
int report_verify_error(const GlobalOptions& global, Error error) {
    error.kind = ErrorKind::Input;
    return report_error(global, error);
}

// --lockfile, or with -f the lockfile beside the environment file.
std::string lockfile_to_check(const VerifyOptions& options) {
    if (!options.lockfile.empty() || options.target.file.empty()) return options.lockfile;
    return (std::filesystem::path(options.target.file).parent_path() / ops::kDefaultLockfileName).string();
}

int run_verify(const GlobalOptions& global, VerifyOptions options) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_verify_error(global, loaded.error());
    auto prefix = existing_environment(options.target, loaded->config);
    if (!prefix) return report_verify_error(global, prefix.error());
    options.lockfile = lockfile_to_check(options);
    auto installed = lock::read_prefix(*prefix);
    if (!installed) return report_verify_error(global, installed.error());
    std::optional<lock::Lockfile> lockfile;
    if (!options.lockfile.empty()) {
        auto read = lock::read_lockfile(options.lockfile);
        if (!read) return report_verify_error(global, read.error());
        lockfile = std::move(*read);
    }
    lock::VerifyOptions verify;
    verify.platform = options.platform.empty() ? installed->platform(conda::host_subdir()) : options.platform;
    if (!options.categories.empty()) verify.categories = options.categories;
    verify.check_files = !options.no_files;
    verify.extra_files = !options.no_extra_files;
    auto report = lock::verify_prefix(*installed, lockfile ? &*lockfile : nullptr, verify);
    if (!report) return report_verify_error(global, report.error());
    if (global.json) {
        auto out = lock::to_json(*report);
        out["success"] = true;
        out["prefix"] = prefix->string();
        if (lockfile) out["lockfile"] = options.lockfile;
        print_json(out);
    } else if (report->clean()) {
        if (!global.quiet)
            std::fputs(fmt::format("{} is clean: {} packages, {} files checked{}\n", prefix->string(), report->packages_checked,
                                   report->files_checked, lockfile ? fmt::format(" against {}", options.lockfile) : "")
                           .c_str(),
                       stdout);
    } else {
        std::fputs(text_report(*report).c_str(), stdout);
        std::fputs(fmt::format("{} has drifted{}\n", prefix->string(), lockfile ? " from " + options.lockfile : "").c_str(), stderr);
    }
    return report->clean() ? exit_codes::ok : exit_codes::failed;
}

}  // namespace

void add_verify_command(CommandContext context) {
    auto options = std::make_shared<VerifyOptions>();
    auto* command = context.app.add_subcommand(
        "verify", "Check that an environment matches its lockfile and that no installed file changed (0 clean, 1 drift, 2 error)");
    add_environment_target_options(*command, options->target, true);
    command->add_option("--lockfile", options->lockfile,
                        "Lockfile whose package set the environment must equal (with -f: envctl-lock.yml beside the file)");
    command->add_option("--platform", options->platform, "Lockfile platform to compare with (default: the environment's)");
    command->add_option("--category", options->categories, "Lockfile categories installed (repeatable; default: main)");
    command->add_flag("--no-files", options->no_files, "Skip re-hashing installed files");
    command->add_flag("--no-extra-files", options->no_extra_files, "Do not report files that no package owns");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_verify(*global, *options); };
    });
}

}  // namespace envctl::cli
