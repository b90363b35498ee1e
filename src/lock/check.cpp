// Is a lockfile current for an environment file? Semantic rules first; the hash is a note.
#include "envctl/lock/check.hpp"

#include <algorithm>
#include <deque>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/pypi/version.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::lock {

std::string content_hash(const spec::EnvironmentSpec& environment, const HashInputs& inputs, std::string_view platform) {
    nlohmann::json document = nlohmann::json::object();
    auto channels = nlohmann::json::array();
    for (const auto& channel : inputs.channels)
        channels.push_back({{"url", channel.url}, {"used_env_vars", channel.used_env_vars}});
    document["channels"] = std::move(channels);
    document["channel_priority"] = inputs.channel_priority;
    document["envctl_lock_format"] = 1;
    document["pip"] = inputs.pip;
    document["platform"] = platform;
    auto specs = nlohmann::json::array();
    for (const auto& spec : environment.dependencies_for(platform)) specs.push_back(spec.str());
    document["specs"] = std::move(specs);
    document["virtual_package_overrides"] = inputs.virtual_package_overrides;
    // nlohmann's object is a std::map: keys come out sorted; dump() has no spaces.
    return sha256_hex(document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

namespace {

std::string describe(const conda::PackageRecord& record) {
    return fmt::format("{} {} {}", record.name, record.version.str(), record.build);
}

struct PlatformSet {
    std::vector<conda::PackageRecord> records;        // locked conda packages of the platform
    std::vector<const LockedPackage*> entries;        // parallel to records
    std::vector<const LockedPackage*> pip;            // locked pip packages
};

PlatformSet platform_set(const Lockfile& lockfile, std::string_view platform, std::vector<std::string>& reasons) {
    PlatformSet set;
    std::set<std::string> seen;
    for (const auto& entry : lockfile.packages) {
        if (entry.platform != platform) continue;
        if (entry.manager == Manager::Pip) {
            set.pip.push_back(&entry);
            continue;
        }
        if (!seen.insert(entry.name).second) continue;  // the same package in another category
        auto record = to_record(entry);
        if (!record) {
            reasons.push_back(fmt::format("{}: locked package '{}' (line {}) is unusable: {}", platform, entry.name,
                                          entry.line, record.error().message));
            continue;
        }
        set.records.push_back(std::move(*record));
        set.entries.push_back(&entry);
    }
    return set;
}

void check_specs(const spec::EnvironmentSpec& environment, std::string_view platform, const PlatformSet& set,
                 const conda::ChannelContext& context, std::vector<std::string>& reasons) {
    for (const auto& dependency : environment.dependencies) {
        if (dependency.selector && !dependency.selector->evaluate(platform)) continue;
        const auto& spec = dependency.spec;
        const bool met = std::any_of(set.records.begin(), set.records.end(),
                                     [&](const conda::PackageRecord& record) { return spec.matches(record, context); });
        if (met) continue;
        std::string locked;
        for (const auto& record : set.records)
            if (spec.name.matches(record.name)) locked += (locked.empty() ? "" : ", ") + describe(record);
        reasons.push_back(locked.empty()
                              ? fmt::format("{}: '{}' is not locked", platform, dependency.text)
                              : fmt::format("{}: '{}' is not met (locked: {})", platform, dependency.text, locked));
    }
}

void check_dependencies(std::string_view platform, const PlatformSet& set, std::vector<std::string>& reasons) {
    std::map<std::string_view, const conda::PackageRecord*> by_name;
    for (const auto& record : set.records) by_name.emplace(record.name, &record);
    for (const auto& record : set.records) {
        for (const auto& depends : record.depends) {
            auto spec = conda::MatchSpec::parse(depends);
            if (!spec) continue;  // foreign files may hold specs we do not parse; the solver decided them
            const auto name = spec->exact_name();
            if (!name || name->rfind("__", 0) == 0) continue;  // virtual packages depend on the machine
            const auto found = by_name.find(*name);
            if (found == by_name.end()) {
                reasons.push_back(fmt::format("{}: locked {} requires '{}', which is not locked", platform, describe(record), depends));
            } else if (!spec->matches(*found->second)) {
                reasons.push_back(fmt::format("{}: locked {} requires '{}', but {} is locked", platform, describe(record),
                                              depends, describe(*found->second)));
            }
        }
    }
}

void check_reachable(const spec::EnvironmentSpec& environment, std::string_view platform, const PlatformSet& set,
                     std::vector<std::string>& reasons) {
    std::map<std::string, const conda::PackageRecord*, std::less<>> by_name;
    for (const auto& record : set.records) by_name.emplace(record.name, &record);
    std::set<std::string, std::less<>> reached;
    std::deque<std::string> queue;
    auto visit = [&](std::string name) {
        if (by_name.count(name) && reached.insert(name).second) queue.push_back(std::move(name));
    };
    for (const auto& spec : environment.dependencies_for(platform)) {
        if (const auto name = spec.exact_name()) {
            visit(std::string(*name));
        } else {
            for (const auto& record : set.records)
                if (spec.name.matches(record.name)) visit(record.name);
        }
    }
    while (!queue.empty()) {
        const auto name = std::move(queue.front());
        queue.pop_front();
        const auto* record = by_name.at(name);
        for (const auto& depends : record->depends) visit(split_dependency(depends).name);
        // conda's add_pip_as_python_dependency: python brings pip without declaring it.
        if (name == "python") visit("pip");
    }
    for (const auto& record : set.records)
        if (!reached.count(record.name))
            reasons.push_back(fmt::format("{}: locked {} is not required by any spec of the environment file", platform,
                                          describe(record)));
}

void check_pip_entries(const spec::EnvironmentSpec& environment, std::string_view platform, const PlatformSet& set,
                       std::vector<std::string>& reasons) {
    if (set.pip.empty()) return;
    for (const auto& line : environment.pip) {
        const auto text = trim(line.text);
        if (text.empty() || text.front() == '-' || text.front() == '#') continue;  // options, -e, -r
        auto requirement = pypi::Requirement::parse(text);
        // Lines with markers may not apply to this platform; the content hash covers them.
        if (!requirement || !requirement->url.empty() || requirement->marker) continue;
        const auto name = requirement->normalized_name();
        const auto found = std::find_if(set.pip.begin(), set.pip.end(),
                                        [&](const LockedPackage* entry) { return pypi::normalize_name(entry->name) == name; });
        // The pip resolver leaves requirements that conda packages meet to conda.
        const bool from_conda = std::any_of(set.records.begin(), set.records.end(), [&](const conda::PackageRecord& record) {
            return pypi::normalize_name(record.name) == name;
        });
        if (found == set.pip.end() && from_conda) continue;
        if (found == set.pip.end()) {
            reasons.push_back(fmt::format("{}: pip requirement '{}' is not locked", platform, line.text));
            continue;
        }
        auto version = pypi::Version::parse((*found)->version);
        if (version && !requirement->specifier.contains(*version, true))
            reasons.push_back(fmt::format("{}: pip requirement '{}' is not met (locked: {} {})", platform, line.text,
                                          (*found)->name, (*found)->version));
    }
}

std::string channel_list(const std::vector<LockChannel>& channels) {
    std::vector<std::string> urls;
    urls.reserve(channels.size());
    for (const auto& channel : channels) urls.push_back(channel.url);
    return urls.empty() ? "none" : join(urls, ", ");
}

}  // namespace

CheckResult check_lockfile(const Lockfile& lockfile, const CheckRequest& request) {
    CheckResult result;
    auto& reasons = result.reasons;
    const auto& environment = *request.environment;
    const auto& locked_platforms = lockfile.metadata.platforms;
    for (const auto& platform : request.platforms)
        if (std::find(locked_platforms.begin(), locked_platforms.end(), platform) == locked_platforms.end())
            reasons.push_back(fmt::format("platform {} is not locked (the lockfile has {})", platform, join(locked_platforms, ", ")));
    if (request.exact_platforms)
        for (const auto& platform : locked_platforms)
            if (std::find(request.platforms.begin(), request.platforms.end(), platform) == request.platforms.end())
                reasons.push_back(fmt::format("platform {} is locked but the environment file no longer lists it", platform));

    std::vector<std::string> locked_urls, wanted_urls;
    for (const auto& channel : lockfile.metadata.channels) locked_urls.push_back(channel.url);
    for (const auto& channel : request.inputs.channels) wanted_urls.push_back(channel.url);
    if (locked_urls != wanted_urls)
        reasons.push_back(fmt::format("channels changed: the lockfile has [{}], the environment asks for [{}]",
                                      channel_list(lockfile.metadata.channels), channel_list(request.inputs.channels)));

    const auto recorded_pip = lockfile.metadata.custom_metadata.find(std::string(kPipMetadataKey));
    std::vector<std::string> pip_lines;
    for (const auto& line : environment.pip) pip_lines.push_back(line.text);
    const auto wanted_pip = join(pip_lines, "\n");
    const bool has_pip_entries = std::any_of(lockfile.packages.begin(), lockfile.packages.end(),
                                             [](const LockedPackage& entry) { return entry.manager == Manager::Pip; });
    if (recorded_pip != lockfile.metadata.custom_metadata.end()) {
        if (recorded_pip->second != wanted_pip) {
            std::vector<std::string> recorded_lines;
            for (const auto line : split(recorded_pip->second, '\n')) recorded_lines.emplace_back(line);
            reasons.push_back(fmt::format("the pip section changed: locked [{}], now [{}]", join(recorded_lines, ", "),
                                          join(pip_lines, ", ")));
        }
    } else if (!pip_lines.empty() && !has_pip_entries) {
        reasons.push_back(fmt::format("the pip section [{}] is not in the lockfile", join(pip_lines, ", ")));
    }

    for (const auto& platform : request.platforms) {
        if (std::find(locked_platforms.begin(), locked_platforms.end(), platform) == locked_platforms.end()) continue;
        const auto set = platform_set(lockfile, platform, reasons);
        check_specs(environment, platform, set, request.channel_context, reasons);
        check_dependencies(platform, set, reasons);
        check_reachable(environment, platform, set, reasons);
        check_pip_entries(environment, platform, set, reasons);
        const auto recorded = lockfile.metadata.content_hash.find(platform);
        const auto expected = content_hash(environment, request.inputs, platform);
        if (recorded == lockfile.metadata.content_hash.end() || recorded->second != expected)
            result.notes.push_back(fmt::format("{}: the content hash differs from the inputs' (the lockfile was written "
                                               "from other inputs or by another tool)",
                                               platform));
    }
    result.current = reasons.empty();
    return result;
}

}  // namespace envctl::lock
