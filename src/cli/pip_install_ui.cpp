#include "pip_install_ui.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "configuration.hpp"
#include "envctl/net/options.hpp"
#include "envctl/repodata/repodata.hpp"
#include "output.hpp"

namespace envctl::cli {

int install_pip_step(const GlobalOptions& global, const std::filesystem::path& prefix,
                     const std::vector<conda::PackageRecord>& records, std::vector<ops::PipPackage> packages,
                     const config::Config& config, const config::Environment& environment) {
    if (packages.empty()) return exit_codes::ok;
    const auto network = net::network_options(config, environment, user_agent());
    const auto repodata_options = repodata::options_from_config(config, network);
    ops::PipInstallRequest request;
    request.prefix = prefix;
    request.records = records;
    request.packages = std::move(packages);
    request.settings = pip::pip_settings(config, repodata_options.cache_dir, repodata_options.local_repodata_ttl,
                                         repodata_options.offline, network);
    request.compile_pyc = config.compile_pyc;
    request.on_warning = [&global](const std::string& message) {
        if (!global.quiet) std::fputs(fmt::format("warning: {}\n", message).c_str(), stderr);
    };
    auto outcome = ops::install_pip_packages(request);
    if (!outcome) return report_error(global, std::move(outcome.error()).with_context("installing the pip packages"));
    if (!global.json && !global.quiet) {
        std::string text = fmt::format("Installed {} pip package{}:", outcome->installed.size(), outcome->installed.size() == 1 ? "" : "s");
        for (const auto& wheel : outcome->installed) text += fmt::format(" {} {},", wheel.name, wheel.version);
        text.back() = '\n';
        std::fputs(text.c_str(), stderr);
    }
    return exit_codes::ok;
}

}  // namespace envctl::cli
