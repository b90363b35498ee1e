// plan_create(): environment file + specs + channels + configuration -> a solved transaction.
#include "envctl/ops/create.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "channel_priority.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/config/registry.hpp"
#include "envctl/ops/pip_install.hpp"
#include "envctl/ops/search.hpp"
#include "envctl/pip/environment.hpp"
#include "envctl/solve/virtual_packages.hpp"
#include "envctl/spec/environment.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

Error error(ErrorKind kind, std::string message, std::vector<std::string> hints = {}) {
    return Error{kind, std::move(message), std::nullopt, std::move(hints)};
}

// -c channels, then the environment file's channels (which replace the configured ones), or
// the configured channels; plus channels that specs name (`conda-forge::numpy`), last.
Result<std::vector<conda::Channel>> plan_channels(const CreateRequest& request, const spec::EnvironmentSpec* file,
                                                  const std::vector<conda::MatchSpec>& specs, const config::Config& config,
                                                  const config::Environment& environment) {
    std::vector<std::string> names = request.channels;
    if (!request.override_channels) {
        if (file && !file->channels.empty()) {
            for (const auto& channel : file->channels) names.push_back(config::expand_variables(channel, environment));
        } else if (!file || !file->nodefaults) {
            names.insert(names.end(), config.channels.begin(), config.channels.end());
        }
    }
    if (request.override_channels && names.empty())
        return fail(error(ErrorKind::Usage, "--override-channels needs at least one -c/--channel"));
    for (const auto& spec : specs)
        if (!spec.channel.empty()) names.push_back(spec.channel);
    if (names.empty())
        return fail(error(ErrorKind::Usage, "no channels to install from",
                          {"give one with -c/--channel, list `channels:` in the environment file, or set `channels` in the "
                           "configuration"}));
    return conda::resolve_channels(names, channel_context(config, environment));
}

// Whether a package cache folder already holds the archive or its extracted folder.
bool cached(const conda::PackageRecord& record, const std::vector<fs::path>& pkgs_dirs) {
    std::error_code ignored;
    const auto extracted = record.name + "-" + record.version.str() + "-" + record.build;
    for (const auto& dir : pkgs_dirs) {
        if (!record.fn.empty() && fs::exists(dir / record.fn, ignored)) return true;
        if (fs::exists(dir / extracted / "info" / "repodata_record.json", ignored)) return true;
    }
    return false;
}

std::uint64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    // Howard Hinnant's algorithm: days since 1970-01-01 for a proleptic Gregorian date.
    year -= month <= 2;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return static_cast<std::uint64_t>(era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468);
}

}  // namespace

Result<std::uint64_t> parse_exclude_newer(std::string_view text) {
    text = trim(text);
    auto invalid = [&] {
        return fail(error(ErrorKind::Usage,
                          fmt::format("invalid --exclude-newer '{}': expected a date (2024-05-01), a UTC time "
                                      "(2024-05-01T12:30:00Z) or seconds since the epoch",
                                      text)));
    };
    if (!text.empty() && is_ascii_digits(text)) {
        std::uint64_t seconds = 0;
        if (std::from_chars(text.data(), text.data() + text.size(), seconds).ec != std::errc{}) return invalid();
        return seconds * 1000;
    }
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    auto number = [&](std::size_t at, std::size_t length, unsigned& out) {
        if (at + length > text.size()) return false;
        const auto part = text.substr(at, length);
        return is_ascii_digits(part) && std::from_chars(part.data(), part.data() + length, out).ec == std::errc{};
    };
    if (!number(0, 4, year) || text.size() < 10 || text[4] != '-' || !number(5, 2, month) || text[7] != '-' ||
        !number(8, 2, day) || month < 1 || month > 12 || day < 1 || day > 31)
        return invalid();
    if (text.size() > 10) {
        if ((text[10] != 'T' && text[10] != ' ') || !number(11, 2, hour) || text.size() < 16 || text[13] != ':' ||
            !number(14, 2, minute) || hour > 23 || minute > 59)
            return invalid();
        std::size_t at = 16;
        if (text.size() > at && text[at] == ':') {
            if (!number(at + 1, 2, second) || second > 60) return invalid();
            at += 3;
        }
        const auto rest = text.substr(at);
        if (!rest.empty() && rest != "Z" && rest != "+00:00") return invalid();
    }
    const std::uint64_t seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return seconds * 1000;
}

Result<fs::path> create_prefix(const CreateRequest& request, const config::Config& config, std::string_view file_env_name) {
    if (!request.prefix.empty()) return fs::absolute(request.prefix);
    if (!request.name.empty()) {
        if (request.name.find('/') != std::string::npos || request.name == "." || request.name == "..")
            return fail(error(ErrorKind::Usage, fmt::format("invalid environment name '{}'", request.name),
                              {"use -p PATH for an environment at a path"}));
        const fs::path envs = config.envs_dirs.empty() ? config.root_prefix / "envs" : config.envs_dirs.front();
        return envs / request.name;
    }
    if (!request.file.empty()) {
        const auto name = file_env_name.empty() ? std::string("default") : std::string(file_env_name);
        return fs::absolute(request.file).parent_path() / ".envctl" / "envs" / name;
    }
    return fail(error(ErrorKind::Usage, "no environment given", {"use -p PATH, -n NAME or -f environment.yml"}));
}

Result<CreatePlan> plan_create(const CreateRequest& request, const config::Config& config,
                               const config::Environment& environment, const repodata::Options& options) {
    CreatePlan plan;
    plan.platform = request.platform.empty() ? std::string(conda::host_subdir()) : request.platform;
    if (!conda::is_known_subdir(plan.platform) || plan.platform == "noarch")
        return fail(error(ErrorKind::Usage, fmt::format("unknown platform '{}'", plan.platform),
                          {"use a conda subdir such as linux-64, osx-arm64 or win-64"}));

    std::optional<spec::EnvironmentSpec> file;
    if (!request.file.empty()) {
        auto parsed = spec::parse_environment_file(request.file);
        if (!parsed) return fail(std::move(parsed.error()));
        file = std::move(*parsed);
        plan.specs = file->dependencies_for(plan.platform);
        plan.env_vars = file->variables;
    }
    for (const auto& text : request.specs) {
        auto spec = conda::MatchSpec::parse(text);
        if (!spec) return fail(std::move(spec.error()));
        plan.specs.push_back(std::move(*spec));
    }
    if (plan.specs.empty())
        return fail(error(ErrorKind::Usage, "nothing to install", {"give package specs, or -f environment.yml with dependencies"}));
    auto prefix = create_prefix(request, config, file ? std::string_view(file->name) : std::string_view{});
    if (!prefix) return fail(std::move(prefix.error()));
    plan.prefix = std::move(*prefix);

    solve::Request solve_request;
    solve_request.specs = plan.specs;
    std::vector<std::string> roots;
    for (const auto& spec : plan.specs) {
        const auto name = spec.exact_name();
        if (!name)
            return fail(error(ErrorKind::Usage, fmt::format("'{}' does not name one package", spec.str()),
                              {"create needs exact package names; use `envctl search` to find them"}));
        roots.emplace_back(*name);
    }
    std::vector<std::string> pin_texts = config.pinned_packages;
    pin_texts.insert(pin_texts.end(), request.pins.begin(), request.pins.end());
    for (const auto& text : pin_texts) {
        auto pin = conda::MatchSpec::parse(text);
        if (!pin) return fail(std::move(pin.error()).with_context("reading the pinned packages"));
        solve_request.pins.push_back(std::move(*pin));
    }
    if (request.exclude_newer) {
        auto limit = parse_exclude_newer(*request.exclude_newer);
        if (!limit) return fail(std::move(limit.error()));
        solve_request.exclude_newer = *limit;
    }
    for (const auto& record : request.installed) roots.push_back(record.name);
    if (config.add_pip_as_python_dependency) roots.emplace_back("pip");

    auto channels = plan_channels(request, file ? &*file : nullptr, plan.specs, config, environment);
    if (!channels) return fail(std::move(channels.error()));
    plan.channels = std::move(*channels);

    std::vector<std::string> subdirs = {plan.platform, "noarch"};
    auto loaded = repodata::load_reachable(plan.channels, subdirs, roots, options);
    if (!loaded) return fail(std::move(loaded.error()));
    for (const auto& channel : *loaded) solve_request.channels.push_back({redact_url(channel.name), channel.url, channel.records});

    const auto overrides = solve::overrides_from_environment(environment.variables);
    if (plan.platform == conda::host_subdir()) {
        const auto host = solve::detect_system();
        plan.virtual_packages = solve::virtual_packages(plan.platform, &host, overrides);
    } else {
        plan.virtual_packages = solve::virtual_packages(plan.platform, nullptr, overrides);
    }
    solve_request.virtual_packages = plan.virtual_packages;
    solve_request.installed = request.installed;
    solve_request.locked = request.locked;
    solve_request.channel_priority = solver_priority(config.channel_priority);
    solve_request.add_pip_as_python_dependency = config.add_pip_as_python_dependency;
    solve_request.deps = request.deps;
    solve_request.channel_context = channel_context(config, environment);

    auto solution = solve::solve(solve_request);
    if (!solution) return fail(std::move(solution.error()));
    plan.solution = std::move(*solution);
    if (file && !file->pip.empty() && plan.solution.satisfiable) {
        auto inputs = pip::environment_pip_inputs(*file, environment);
        if (!inputs) return fail(std::move(inputs.error()));
        const auto settings = pip::pip_settings(config, options.cache_dir, options.local_repodata_ttl, options.offline, options.network);
        pip::IndexClient client(pip::index_options(*inputs, settings));
        auto resolution = pip::resolve_for_platform(*inputs, client, plan.platform, plan.solution.records, plan.virtual_packages, {},
                                                    conda_distributions(plan.solution.records, config.pkgs_dirs, plan.prefix));
        if (!resolution) return fail(std::move(resolution.error()).with_context(fmt::format("resolving the pip: section of {}", file->source)));
        plan.pip_wheels = std::move(resolution->wheels);
        plan.pip_from_conda = std::move(resolution->from_conda);
        for (const auto& provided : plan.pip_from_conda)
            plan.notes.push_back(fmt::format("pip requirement {} is met by {}", provided.name, provided.provider));
    }
    for (const auto& record : plan.solution.link)
        if (!cached(record, config.pkgs_dirs)) plan.fetch.push_back(record);
    return plan;
}

nlohmann::json plan_json(const CreatePlan& plan) {
    auto records = [](const std::vector<conda::PackageRecord>& list) {
        auto out = nlohmann::json::array();
        for (const auto& record : list) out.push_back(conda::to_json(record));
        return out;
    };
    nlohmann::json out = {
        {"success", true},
        {"dry_run", true},
        {"prefix", plan.prefix.string()},
        {"actions",
         {{"FETCH", records(plan.fetch)},
          {"LINK", records(plan.solution.link)},
          {"UNLINK", records(plan.solution.unlink)},
          {"PREFIX", plan.prefix.string()}}},
    };
    if (!plan.notes.empty()) out["notes"] = plan.notes;
    if (!plan.pip_wheels.empty()) {
        auto pip = nlohmann::json::array();
        for (const auto& wheel : plan.pip_wheels)
            pip.push_back({{"name", wheel.name},
                           {"version", wheel.version.to_string()},
                           {"filename", wheel.file.filename},
                           {"url", redact_url(wheel.file.url)},
                           {"sha256", wheel.sha256},
                           {"requested", wheel.requested}});
        out["actions"]["PIP_INSTALL"] = std::move(pip);
    }
    return out;
}

nlohmann::json problem_json(const solve::Problem& problem) {
    auto chains = nlohmann::json::array();
    for (const auto& chain : problem.chains) {
        auto steps = nlohmann::json::array();
        for (const auto& step : chain.steps) steps.push_back({{"package", step.package}, {"requires", step.requires_spec}});
        chains.push_back({{"requested", chain.requested}, {"origin", chain.origin}, {"steps", steps}, {"text", chain.text()}});
    }
    return {{"type", std::string(solve::problem_kind_name(problem.kind))},
            {"package", problem.package},
            {"message", problem.message},
            {"specs", problem.specs},
            {"chains", chains},
            {"hints", problem.hints}};
}

nlohmann::json unsatisfiable_json(const CreatePlan& plan) {
    auto problems = nlohmann::json::array();
    for (const auto& problem : plan.solution.explanation.problems) problems.push_back(problem_json(problem));
    std::vector<std::string> specs;
    for (const auto& spec : plan.specs) specs.push_back(spec.str());
    return {{"success", false},
            {"error", fmt::format("cannot satisfy {} for {}", join(specs, ", "), plan.platform)},
            {"prefix", plan.prefix.string()},
            {"problems", problems},
            {"explanation", plan.solution.explanation.text()}};
}

}  // namespace envctl::ops
