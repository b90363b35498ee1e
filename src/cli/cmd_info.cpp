// envctl info [--json]: platform, virtual packages (with the CUDA driver), channels, cache
// folders and configuration files.
#include <cstdio>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/ops/search.hpp"
#include "envctl/solve/virtual_packages.hpp"
#include "envctl/util/url.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

std::vector<std::string> paths(const std::vector<std::filesystem::path>& list) {
    std::vector<std::string> out;
    out.reserve(list.size());
    for (const auto& path : list) out.push_back(path.string());
    return out;
}

int run_info(const GlobalOptions& global) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;

    const std::string platform(conda::host_subdir());
    const auto system = solve::detect_system();
    const auto overrides = solve::overrides_from_environment(environment.variables);
    const auto virtual_packages = solve::virtual_packages(platform, &system, overrides);
    std::vector<std::pair<std::string, std::string>> channels;  // name, URL (credential-free)
    if (auto resolved = conda::resolve_channels(config.channels, ops::channel_context(config, environment)))
        for (const auto& channel : *resolved) channels.emplace_back(redact_url(channel.name()), channel.base_url());
    const auto cuda = std::find_if(virtual_packages.begin(), virtual_packages.end(),
                                   [](const conda::PackageRecord& record) { return record.name == "__cuda"; });

    if (global.json) {
        auto packages = nlohmann::json::array();
        for (const auto& record : virtual_packages)
            packages.push_back({{"name", record.name}, {"version", record.version.str()}, {"build", record.build}});
        auto channel_list = nlohmann::json::array();
        for (const auto& [name, url] : channels) channel_list.push_back({{"name", name}, {"url", url}});
        nlohmann::json overridden = nlohmann::json::object();
        for (const auto& [name, value] : environment.variables)
            if (name.rfind("CONDA_OVERRIDE_", 0) == 0) overridden[name] = value;
        print_json({
            {"success", true},
            {"version", ENVCTL_VERSION},
            {"platform", platform},
            {"virtual_packages", packages},
            {"cuda", cuda == virtual_packages.end() ? nlohmann::json(nullptr) : nlohmann::json(cuda->version.str())},
            {"cuda_driver_version", system.cuda_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(system.cuda_version)},
            {"overrides", overridden},
            {"channels", channel_list},
            {"channel_priority", std::string(config::channel_priority_name(config.channel_priority))},
            {"pkgs_dirs", paths(config.pkgs_dirs)},
            {"repodata_cache_dir", config.repodata_cache_dir.string()},
            {"envs_dirs", paths(config.envs_dirs)},
            {"root_prefix", config.root_prefix.string()},
            {"config_files", paths(loaded->files)},
        });
        return exit_codes::ok;
    }
    std::string text;
    auto line = [&text](std::string_view label, const std::string& value) {
        text += fmt::format("{:>20} {} {}\n", label, label.empty() ? ' ' : ':', value);
    };
    auto lines = [&](std::string_view label, const std::vector<std::string>& values) {
        if (values.empty()) line(label, "(none)");
        for (std::size_t i = 0; i < values.size(); ++i) line(i == 0 ? label : "", values[i]);
    };
    line("envctl version", ENVCTL_VERSION);
    line("platform", platform);
    std::vector<std::string> shown;
    shown.reserve(virtual_packages.size() + 1);
    for (const auto& record : virtual_packages)
        shown.push_back(fmt::format("{}={}={}", record.name, record.version.str(), record.build));
    if (cuda == virtual_packages.end())
        shown.push_back(overrides.cuda ? "__cuda: none (CONDA_OVERRIDE_CUDA is empty)" : "__cuda: none (no NVIDIA driver found)");
    lines("virtual packages", shown);
    std::vector<std::string> channel_lines;
    channel_lines.reserve(channels.size());
    for (const auto& [name, url] : channels) channel_lines.push_back(name == url ? url : fmt::format("{} ({})", name, url));
    lines("channels", channel_lines);
    line("channel priority", std::string(config::channel_priority_name(config.channel_priority)));
    lines("package cache", paths(config.pkgs_dirs));
    line("repodata cache", config.repodata_cache_dir.string());
    lines("envs directories", paths(config.envs_dirs));
    line("root prefix", config.root_prefix.string());
    lines("config files", paths(loaded->files));
    std::fputs(text.c_str(), stdout);
    return exit_codes::ok;
}

}  // namespace

void add_info_command(CommandContext context) {
    auto* command = context.app.add_subcommand("info", "Show the platform, virtual packages, channels and cache folders");
    command->callback([&global = context.global, &selected = context.selected] {
        selected = [&global] { return run_info(global); };
    });
}

}  // namespace envctl::cli
