// Plans for `envctl create` from lockfiles and explicit files: no solve, no repodata.
#include "envctl/ops/lock_install.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/config/registry.hpp"
#include "envctl/lock/explicit.hpp"
#include "envctl/ops/lock.hpp"
#include "envctl/ops/search.hpp"
#include "envctl/solve/virtual_packages.hpp"
#include "envctl/spec/text_spec.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::ops {

namespace {

using Origin = LockedInstallPlan::Origin;

Result<std::vector<conda::Channel>> lockfile_channels(const lock::Lockfile& lockfile, const config::Config& config,
                                                      const config::Environment& environment) {
    std::vector<std::string> texts;
    for (const auto& channel : lockfile.metadata.channels) texts.push_back(config::expand_variables(channel.url, environment));
    auto channels = conda::resolve_channels(texts, channel_context(config, environment));
    if (!channels) return fail(std::move(channels.error()).with_context("resolving the lockfile's channels"));
    return channels;
}

// Locked packages whose virtual-package dependencies this machine does not meet.
Status check_virtual_packages(const std::vector<conda::PackageRecord>& records, const std::string& platform,
                              const config::Environment& environment) {
    if (platform != conda::host_subdir()) return {};
    const auto system = solve::detect_system();
    const auto provided = solve::virtual_packages(platform, &system, solve::overrides_from_environment(environment.variables));
    std::vector<std::string> problems;
    for (const auto& record : records) {
        for (const auto& depends : record.depends) {
            if (trim(depends).rfind("__", 0) != 0) continue;
            auto spec = conda::MatchSpec::parse(depends);
            if (!spec) continue;
            const auto name = spec->exact_name();
            if (!name) continue;
            const auto found = std::find_if(provided.begin(), provided.end(),
                                            [&](const conda::PackageRecord& virtual_package) { return virtual_package.name == *name; });
            if (found == provided.end())
                problems.push_back(fmt::format("{} {} requires '{}', but this machine has no {}", record.name,
                                               record.version.str(), depends, *name));
            else if (!spec->matches(*found))
                problems.push_back(fmt::format("{} {} requires '{}', but this machine has {} {}", record.name,
                                               record.version.str(), depends, *name, found->version.str()));
        }
    }
    if (problems.empty()) return {};
    return fail(Error{ErrorKind::Unsatisfiable,
                      fmt::format("the locked packages do not fit this machine:\n  {}", join(problems, "\n  ")), std::nullopt,
                      {"set CONDA_OVERRIDE_<NAME> to override a detected virtual package, or relock for this machine"}});
}

Result<LockedInstallPlan> plan_explicit(const std::string& text, const LockedInstallRequest& request,
                                        const std::string& platform) {
    auto file = spec::parse_text_spec(text, request.file.string());
    if (!file) return fail(std::move(file.error()));
    if (!file->platform.empty() && file->platform != platform)
        return fail(Error{ErrorKind::Input,
                          fmt::format("{} is an explicit file for {}, not for {}", request.file.string(), file->platform, platform),
                          std::nullopt, {fmt::format("pass --platform {} to install it anyway", file->platform)}});
    LockedInstallPlan plan;
    plan.origin = Origin::Explicit;
    plan.source = request.file;
    plan.platform = platform;
    for (const auto& package : file->packages) {
        auto record = lock::explicit_record(package);
        if (!record) return fail(std::move(record.error()));
        plan.records.push_back(std::move(*record));
    }
    return plan;
}

void add_environment_details(LockedInstallPlan& plan, const LockInputs& inputs) {
    for (const auto& dependency : inputs.environment.dependencies)
        if (!dependency.selector || dependency.selector->evaluate(plan.platform)) plan.requested_specs.push_back(dependency.text);
    plan.pip_requirements = inputs.hash_inputs.pip;
}

Result<LockedInstallPlan> plan_environment(const LockedInstallRequest& request, const std::string& platform,
                                           const config::Config& config, const config::Environment& environment,
                                           const repodata::Options& options) {
    LockRequest lock_request;
    lock_request.environment_file = request.file;
    auto inputs = prepare_lock(lock_request, config, environment);
    if (!inputs) return fail(std::move(inputs.error()));
    if (std::find(inputs->platforms.begin(), inputs->platforms.end(), platform) == inputs->platforms.end()) {
        if (inputs->exact_platforms)
            return fail(Error{ErrorKind::Input,
                              fmt::format("{} locks {} but not {}", request.file.string(), join(inputs->platforms, ", "), platform),
                              std::nullopt, {fmt::format("add {} to its `platforms:` list", platform)}});
        inputs->platforms = {platform};
    }
    const auto& path = inputs->lockfile_path;
    const auto categories = request.categories.empty() ? std::vector<std::string>{inputs->category} : request.categories;
    std::error_code ignored;
    std::optional<lock::Lockfile> existing;
    if (std::filesystem::exists(path, ignored)) {
        auto read = lock::read_lockfile(path);
        if (!read) return fail(std::move(read.error()).with_hint("fix it, delete it, or relock with `envctl lock`"));
        existing = std::move(*read);
    }
    auto finish = [&](const lock::Lockfile& lockfile, Origin origin) -> Result<LockedInstallPlan> {
        auto plan = plan_from_lockfile(lockfile, path, platform, categories);
        if (!plan) return plan;
        plan->origin = origin;
        add_environment_details(*plan, *inputs);
        return plan;
    };
    if (request.mode == LockMode::Frozen) {
        if (!existing)
            return fail(Error{ErrorKind::Input, fmt::format("--frozen needs a lockfile, and {} does not exist", path.string()),
                              std::nullopt, {fmt::format("create it with `envctl lock -f {}`", request.file.string())}});
        auto plan = finish(*existing, Origin::FrozenLockfile);
        if (plan) plan->messages.push_back(fmt::format("installing {} as it is (--frozen)", path.string()));
        return plan;
    }
    if (existing) {
        const auto check = check_lock(*inputs, *existing);
        if (check.current) {
            auto plan = finish(*existing, Origin::CurrentLockfile);
            if (plan) plan->messages.push_back(fmt::format("{} is current", path.string()));
            return plan;
        }
        if (request.mode == LockMode::Locked) {
            std::string reasons;
            for (const auto& reason : check.reasons) reasons += "\n  - " + reason;
            return fail(Error{ErrorKind::Unsatisfiable, fmt::format("{} is stale (--locked):{}", path.string(), reasons),
                              std::nullopt, {fmt::format("relock with `envctl lock -f {}`", request.file.string())}});
        }
    } else if (request.mode == LockMode::Locked) {
        return fail(Error{ErrorKind::Input, fmt::format("--locked needs a lockfile, and {} does not exist", path.string()),
                          std::nullopt, {fmt::format("create it with `envctl lock -f {}`", request.file.string())}});
    }
    auto outcome = relock(*inputs, existing ? &*existing : nullptr, {}, config, environment, options);
    if (!outcome) return fail(std::move(outcome.error()));
    auto plan = finish(outcome->lockfile, Origin::Relocked);
    if (plan) {
        plan->messages.push_back(fmt::format("{} {}", existing ? "relocked" : "locked", path.string()));
        for (const auto& change : outcome->changes) plan->messages.push_back("  " + change);
    }
    return plan;
}

}  // namespace

std::string_view origin_name(LockedInstallPlan::Origin origin) {
    switch (origin) {
        case Origin::Lockfile: return "lockfile";
        case Origin::Explicit: return "explicit";
        case Origin::CurrentLockfile: return "current_lockfile";
        case Origin::Relocked: return "relocked";
        case Origin::FrozenLockfile: return "frozen_lockfile";
    }
    return "lockfile";
}

bool is_locked_input(const std::filesystem::path& file) {
    if (lock::is_lockfile_name(file.filename().string())) return true;
    auto text = read_file(file);
    if (!text) return false;
    const auto kind = lock::detect_kind(*text);
    return kind != lock::FileKind::Other;
}

std::vector<conda::PackageRecord> dependency_order(std::vector<conda::PackageRecord> records) {
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < records.size(); ++i) index.emplace(records[i].name, i);
    std::vector<std::vector<std::size_t>> dependents(records.size());
    std::vector<std::size_t> pending(records.size(), 0);
    for (std::size_t i = 0; i < records.size(); ++i) {
        std::set<std::size_t> needs;
        for (const auto& depends : records[i].depends) {
            const auto found = index.find(lock::split_dependency(depends).name);
            if (found != index.end() && found->second != i) needs.insert(found->second);
        }
        pending[i] = needs.size();
        for (const auto need : needs) dependents[need].push_back(i);
    }
    std::set<std::size_t> ready;  // by input position, for a stable order
    for (std::size_t i = 0; i < records.size(); ++i)
        if (pending[i] == 0) ready.insert(i);
    std::vector<std::size_t> order;
    std::vector<bool> placed(records.size(), false);
    while (order.size() < records.size()) {
        if (ready.empty()) {  // a cycle: take the first unplaced package in input order
            for (std::size_t i = 0; i < records.size(); ++i)
                if (!placed[i]) {
                    ready.insert(i);
                    break;
                }
        }
        const auto next = *ready.begin();
        ready.erase(ready.begin());
        if (placed[next]) continue;
        placed[next] = true;
        order.push_back(next);
        for (const auto dependent : dependents[next])
            if (!placed[dependent] && pending[dependent] > 0 && --pending[dependent] == 0) ready.insert(dependent);
    }
    std::vector<conda::PackageRecord> out;
    out.reserve(records.size());
    for (const auto i : order) out.push_back(std::move(records[i]));
    return out;
}

Result<LockedInstallPlan> plan_from_lockfile(const lock::Lockfile& lockfile, const std::filesystem::path& source,
                                             const std::string& platform, const std::vector<std::string>& categories) {
    const auto& platforms = lockfile.metadata.platforms;
    if (std::find(platforms.begin(), platforms.end(), platform) == platforms.end())
        return fail(Error{ErrorKind::Input,
                          fmt::format("{} does not lock platform {} (it locks {})", source.string(), platform, join(platforms, ", ")),
                          std::nullopt, {"relock it for this platform, or pass --platform"}});
    const std::vector<std::string> selected = categories.empty() ? std::vector<std::string>{"main"} : categories;
    LockedInstallPlan plan;
    plan.origin = Origin::Lockfile;
    plan.source = source;
    plan.platform = platform;
    std::vector<conda::PackageRecord> records;
    for (const auto* entry : lock::select_packages(lockfile, platform, selected)) {
        if (entry->manager == lock::Manager::Pip) {
            plan.pip_packages.push_back(*entry);
            continue;
        }
        auto record = lock::to_record(*entry);
        if (!record)
            return fail(Error{ErrorKind::Input, record.error().message, Location{source.string(), entry->line, 0}, {}});
        records.push_back(std::move(*record));
    }
    plan.records = dependency_order(std::move(records));
    if (const auto pip = lockfile.metadata.custom_metadata.find(std::string(lock::kPipMetadataKey));
        pip != lockfile.metadata.custom_metadata.end())
        for (const auto line : split(pip->second, '\n'))
            if (!trim(line).empty()) plan.pip_requirements.emplace_back(line);
    return plan;
}

Result<LockedInstallPlan> plan_locked_install(const LockedInstallRequest& request, const config::Config& config,
                                              const config::Environment& environment, const repodata::Options& options) {
    const std::string platform = request.platform.empty() ? std::string(conda::host_subdir()) : request.platform;
    auto text = read_file(request.file);
    if (!text) return fail(std::move(text.error()));
    const auto kind = lock::detect_kind(*text);
    Result<LockedInstallPlan> plan;
    std::optional<lock::Lockfile> lockfile;
    if (kind == lock::FileKind::Explicit) {
        plan = plan_explicit(*text, request, platform);
    } else if (kind != lock::FileKind::Other || lock::is_lockfile_name(request.file.filename().string())) {
        auto read = lock::parse_lockfile(*text, request.file.string());
        if (!read) return fail(std::move(read.error()));
        lockfile = std::move(*read);
        plan = plan_from_lockfile(*lockfile, request.file, platform, request.categories);
    } else {
        plan = plan_environment(request, platform, config, environment, options);
        if (plan) {
            auto read = lock::read_lockfile(plan->source);
            if (read) lockfile = std::move(*read);
        }
    }
    if (!plan) return plan;
    if (lockfile) {
        auto channels = lockfile_channels(*lockfile, config, environment);
        if (!channels) return fail(std::move(channels.error()));
        plan->channels = std::move(*channels);
    }
    if (request.check_virtual_packages)
        if (auto status = check_virtual_packages(plan->records, platform, environment); !status) return fail(std::move(status.error()));
    return plan;
}

}  // namespace envctl::ops
