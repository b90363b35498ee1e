// envctl lock and lock --check: environment file -> per-platform solves -> conda-lock v1 file.
#include "envctl/ops/lock.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "channel_priority.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/config/registry.hpp"
#include "envctl/ops/pip_install.hpp"
#include "envctl/ops/search.hpp"
#include "envctl/pip/environment.hpp"
#include "envctl/solve/solver.hpp"
#include "envctl/solve/virtual_packages.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// The variables `text` refers to as $NAME or ${NAME}.
std::vector<std::string> referenced_variables(std::string_view text) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        if (text[i] != '$') continue;
        std::size_t start = i + 1;
        const bool braced = text[start] == '{';
        if (braced) ++start;
        std::size_t end = start;
        while (end < text.size() && is_name_char(text[end])) ++end;
        if (end == start || (braced && (end >= text.size() || text[end] != '}'))) continue;
        names.emplace_back(text.substr(start, end - start));
        i = end;
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::string describe(const lock::LockedPackage& entry) {
    if (entry.manager == lock::Manager::Pip) return fmt::format("{} {} (pip)", entry.name, entry.version);
    const auto build = entry.build.empty() ? std::string() : " " + entry.build;
    return fmt::format("{} {}{}", entry.name, entry.version, build);
}

std::vector<std::string> diff(const lock::Lockfile* before, const lock::Lockfile& after) {
    using Key = std::tuple<std::string, lock::Manager, std::string, std::string>;
    std::map<Key, const lock::LockedPackage*> old_entries, new_entries;
    if (before)
        for (const auto& entry : before->packages) old_entries[{entry.platform, entry.manager, entry.name, entry.category}] = &entry;
    for (const auto& entry : after.packages) new_entries[{entry.platform, entry.manager, entry.name, entry.category}] = &entry;
    std::vector<std::string> changes;
    for (const auto& [key, entry] : new_entries) {
        const auto found = old_entries.find(key);
        if (found == old_entries.end()) changes.push_back(fmt::format("{}: + {}", entry->platform, describe(*entry)));
        else if (found->second->url != entry->url || found->second->version != entry->version)
            changes.push_back(fmt::format("{}: ~ {} -> {}", entry->platform, describe(*found->second),
                                          entry->version + (entry->build.empty() ? "" : " " + entry->build)));
    }
    for (const auto& [key, entry] : old_entries)
        if (!new_entries.count(key)) changes.push_back(fmt::format("{}: - {}", entry->platform, describe(*entry)));
    std::sort(changes.begin(), changes.end());
    return changes;
}

std::string relative_source(const std::filesystem::path& environment_file, const std::filesystem::path& lockfile) {
    std::error_code ignored;
    const auto base = std::filesystem::absolute(lockfile, ignored).parent_path();
    const auto source = std::filesystem::absolute(environment_file, ignored);
    auto relative = source.lexically_relative(base);
    return relative.empty() ? source.generic_string() : relative.generic_string();
}

struct PlatformSolution {
    std::vector<conda::PackageRecord> records;
    std::vector<conda::PackageRecord> virtual_packages;
};

Result<PlatformSolution> solve_platform(const LockInputs& inputs, const std::string& platform,
                                                         const std::vector<conda::Channel>& channels,
                                                         std::vector<conda::PackageRecord> locked,
                                                         const config::Config& config,
                                                         const config::Environment& environment,
                                                         const repodata::Options& options) {
    solve::Request request;
    request.specs = inputs.environment.dependencies_for(platform);
    std::vector<std::string> roots;
    for (const auto& spec : request.specs) {
        const auto name = spec.exact_name();
        if (!name)
            return fail(Error{ErrorKind::Input, fmt::format("cannot lock '{}': a locked spec needs an exact package name", spec.str()),
                              std::nullopt, {}});
        roots.emplace_back(*name);
    }
    for (const auto& text : config.pinned_packages) {
        auto pin = conda::MatchSpec::parse(text);
        if (!pin) return fail(std::move(pin.error()).with_context("reading pinned_packages"));
        if (const auto name = pin->exact_name()) roots.emplace_back(*name);
        request.pins.push_back(std::move(*pin));
    }
    if (config.add_pip_as_python_dependency) roots.emplace_back("pip");
    std::vector<std::string> subdirs = {platform, "noarch"};
    auto loaded = repodata::load_reachable(channels, subdirs, roots, options);
    if (!loaded) return fail(std::move(loaded.error()));
    for (const auto& channel : *loaded) request.channels.push_back({channel.name, channel.url, channel.records});
    request.locked = std::move(locked);
    request.virtual_packages = solve::virtual_packages(platform, nullptr, solve::overrides_from_environment(environment.variables));
    request.channel_priority = solver_priority(config.channel_priority);
    request.add_pip_as_python_dependency = config.add_pip_as_python_dependency;
    request.channel_context = inputs.channel_context;
    auto solution = solve::solve(request);
    if (!solution) return fail(std::move(solution.error()));
    if (!solution->satisfiable)
        return fail(Error{ErrorKind::Unsatisfiable,
                          fmt::format("cannot lock {} for {}:\n{}", inputs.environment.source, platform,
                                      solution->explanation.text()),
                          std::nullopt, {}});
    return PlatformSolution{std::move(solution->records), std::move(request.virtual_packages)};
}

// The pip entries of one platform: `manager: pip`, credential-free URL, sha256, the
// Requires-Dist that apply as dependencies.
std::vector<lock::LockedPackage> pip_entries(const pip::Resolution& resolution, const std::string& platform,
                                             const std::string& category) {
    std::vector<lock::LockedPackage> out;
    for (const auto& wheel : resolution.wheels) {
        lock::LockedPackage entry;
        entry.name = wheel.name;
        entry.version = wheel.version.to_string();
        entry.manager = lock::Manager::Pip;
        entry.platform = platform;
        entry.url = strip_credentials(wheel.file.url);
        entry.sha256 = wheel.sha256;
        entry.category = category;
        for (const auto& dependency : wheel.dependencies) {
            const auto name = dependency.normalized_name();
            const auto existing = std::find_if(entry.dependencies.begin(), entry.dependencies.end(),
                                               [&](const lock::Dependency& d) { return d.name == name; });
            if (existing == entry.dependencies.end()) entry.dependencies.push_back({name, dependency.specifier.to_string()});
        }
        std::sort(entry.dependencies.begin(), entry.dependencies.end(),
                  [](const lock::Dependency& a, const lock::Dependency& b) { return a.name < b.name; });
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace

lock::LockChannel lock_channel(std::string_view text) {
    lock::LockChannel channel;
    channel.used_env_vars = referenced_variables(text);
    channel.url = channel.used_env_vars.empty() ? strip_credentials(text) : std::string(text);
    return channel;
}

Result<LockInputs> prepare_lock(const LockRequest& request, const config::Config& config,
                                const config::Environment& environment) {
    LockInputs inputs;
    auto parsed = spec::parse_environment_file(request.environment_file);
    if (!parsed) return fail(std::move(parsed.error()));
    inputs.environment = std::move(*parsed);
    inputs.lockfile_path = request.lockfile.empty()
                               ? request.environment_file.parent_path() / kDefaultLockfileName
                               : request.lockfile;
    for (const auto& platform : request.platforms)
        if (!conda::is_known_subdir(platform) || platform == "noarch")
            return fail(Error{ErrorKind::Usage, fmt::format("unknown platform '{}'", platform), std::nullopt,
                              {"use a conda subdir such as linux-64, osx-arm64 or win-64"}});
    if (!request.platforms.empty()) {
        inputs.platforms = request.platforms;
    } else if (!inputs.environment.platforms.empty()) {
        inputs.platforms = inputs.environment.platforms;
        inputs.exact_platforms = true;
    } else {
        inputs.platforms = {std::string(conda::host_subdir())};
    }
    std::sort(inputs.platforms.begin(), inputs.platforms.end());
    inputs.platforms.erase(std::unique(inputs.platforms.begin(), inputs.platforms.end()), inputs.platforms.end());

    const auto& texts = inputs.environment.channels.empty() ? config.channels : inputs.environment.channels;
    if (texts.empty())
        return fail(Error{ErrorKind::Usage, fmt::format("{} names no channels and none are configured", request.environment_file.string()),
                          std::nullopt, {"add a `channels:` list to the environment file"}});
    for (const auto& text : texts) {
        inputs.hash_inputs.channels.push_back(lock_channel(text));
        inputs.channel_texts.push_back(config::expand_variables(text, environment));
    }
    // Channels that specs name (`conda-forge::numpy`) are searched too, after the others.
    for (const auto& dependency : inputs.environment.dependencies)
        if (!dependency.spec.channel.empty()) inputs.channel_texts.push_back(config::expand_variables(dependency.spec.channel, environment));
    for (const auto& line : inputs.environment.pip) inputs.hash_inputs.pip.push_back(line.text);
    for (const auto& [name, value] : environment.variables)
        if (name.rfind("CONDA_OVERRIDE_", 0) == 0) inputs.hash_inputs.virtual_package_overrides[name] = value;
    inputs.hash_inputs.channel_priority = std::string(config::channel_priority_name(config.channel_priority));
    inputs.channel_context = channel_context(config, environment);
    if (!inputs.environment.category.empty()) inputs.category = inputs.environment.category;
    return inputs;
}

Result<LockOutcome> relock(const LockInputs& inputs, const lock::Lockfile* existing, const std::vector<std::string>& update,
                           const config::Config& config, const config::Environment& environment,
                           const repodata::Options& options) {
    auto channels = conda::resolve_channels(inputs.channel_texts, inputs.channel_context);
    if (!channels) return fail(std::move(channels.error()));
    const std::set<std::string> moving(update.begin(), update.end());

    lock::Lockfile lockfile;
    auto& meta = lockfile.metadata;
    meta.platforms = inputs.platforms;
    meta.channels = inputs.hash_inputs.channels;
    meta.sources = {relative_source(inputs.environment.source, inputs.lockfile_path)};
    if (!inputs.hash_inputs.pip.empty()) meta.custom_metadata[std::string(lock::kPipMetadataKey)] = join(inputs.hash_inputs.pip, "\n");
    if (existing && !inputs.exact_platforms) {
        // Platforms locked before and not asked for now stay as they were.
        for (const auto& platform : existing->metadata.platforms) {
            if (std::find(inputs.platforms.begin(), inputs.platforms.end(), platform) != inputs.platforms.end()) continue;
            meta.platforms.push_back(platform);
            if (const auto hash = existing->metadata.content_hash.find(platform); hash != existing->metadata.content_hash.end())
                meta.content_hash[platform] = hash->second;
            for (const auto& entry : existing->packages)
                if (entry.platform == platform) lockfile.packages.push_back(entry);
        }
    }
    LockOutcome outcome;
    std::optional<pip::PipInputs> pip_inputs;
    std::optional<pip::IndexClient> pip_client;
    for (const auto& platform : inputs.platforms) {
        std::vector<conda::PackageRecord> locked;
        if (existing) {
            for (const auto& entry : existing->packages) {
                if (entry.platform != platform || entry.manager != lock::Manager::Conda || moving.count(entry.name)) continue;
                if (auto record = lock::to_record(entry)) locked.push_back(std::move(*record));
            }
        }
        auto solved = solve_platform(inputs, platform, *channels, std::move(locked), config, environment, options);
        if (!solved) return fail(std::move(solved.error()));
        const auto& records = solved->records;
        for (const auto& record : records) lockfile.packages.push_back(lock::from_record(record, platform, inputs.category));
        std::size_t pip_count = 0;
        if (!inputs.environment.pip.empty()) {
            if (!pip_inputs) {
                auto read = pip::environment_pip_inputs(inputs.environment, environment);
                if (!read) return fail(std::move(read.error()));
                pip_inputs = std::move(*read);
                const auto settings = pip::pip_settings(config, options.cache_dir, options.local_repodata_ttl, options.offline, options.network);
                pip_client.emplace(pip::index_options(*pip_inputs, settings));
            }
            std::map<std::string, std::string> preferred;
            if (existing)
                for (const auto& entry : existing->packages)
                    if (entry.platform == platform && entry.manager == lock::Manager::Pip && !moving.count(entry.name))
                        preferred[entry.name] = entry.version;
            auto resolution = pip::resolve_for_platform(*pip_inputs, *pip_client, platform, records, solved->virtual_packages,
                                                        std::move(preferred), conda_distributions(records, config.pkgs_dirs));
            if (!resolution) return fail(std::move(resolution.error()).with_context(fmt::format("locking the pip: section for {}", platform)));
            for (auto& entry : pip_entries(*resolution, platform, inputs.category)) lockfile.packages.push_back(std::move(entry));
            pip_count = resolution->wheels.size();
        }
        meta.content_hash[platform] = lock::content_hash(inputs.environment, inputs.hash_inputs, platform);
        outcome.packages_per_platform[platform] = records.size() + pip_count;
    }
    lock::normalize(lockfile);
    outcome.path = inputs.lockfile_path;
    outcome.changes = diff(existing, lockfile);
    const auto text = lock::format_lockfile(lockfile);
    auto current = read_file(inputs.lockfile_path);
    if (!current || *current != text) {
        if (auto status = write_file_atomic(inputs.lockfile_path, text); !status) return fail(std::move(status.error()));
        outcome.written = true;
    }
    outcome.lockfile = std::move(lockfile);
    return outcome;
}

Result<LockOutcome> lock_environment(const LockRequest& request, const config::Config& config,
                                     const config::Environment& environment, const repodata::Options& options) {
    auto inputs = prepare_lock(request, config, environment);
    if (!inputs) return fail(std::move(inputs.error()));
    std::optional<lock::Lockfile> existing;
    std::error_code ignored;
    if (std::filesystem::exists(inputs->lockfile_path, ignored)) {
        auto read = lock::read_lockfile(inputs->lockfile_path);
        if (!read)
            return fail(std::move(read.error())
                            .with_hint("fix or delete the existing lockfile, or write elsewhere with -o")
                            .with_context("reading the existing lockfile"));
        existing = std::move(*read);
    }
    const lock::Lockfile* previous = existing && !request.update_all ? &*existing : nullptr;
    auto outcome = relock(*inputs, previous, request.update, config, environment, options);
    if (outcome && request.update_all && existing) outcome->changes = diff(&*existing, outcome->lockfile);
    return outcome;
}

lock::CheckResult check_lock(const LockInputs& inputs, const lock::Lockfile& lockfile) {
    lock::CheckRequest request;
    request.environment = &inputs.environment;
    request.inputs = inputs.hash_inputs;
    request.platforms = inputs.platforms;
    request.exact_platforms = inputs.exact_platforms;
    request.channel_context = inputs.channel_context;
    return lock::check_lockfile(lockfile, request);
}

Result<LockCheckOutcome> check_lock(const LockRequest& request, const config::Config& config,
                                    const config::Environment& environment) {
    auto inputs = prepare_lock(request, config, environment);
    if (!inputs) return fail(std::move(inputs.error()));
    std::error_code ignored;
    if (!std::filesystem::exists(inputs->lockfile_path, ignored))
        return fail(Error{ErrorKind::Input, fmt::format("no lockfile at {}", inputs->lockfile_path.string()), std::nullopt,
                          {fmt::format("create it with `envctl lock -f {}`", request.environment_file.string())}});
    auto lockfile = lock::read_lockfile(inputs->lockfile_path);
    if (!lockfile) return fail(std::move(lockfile.error()));
    return LockCheckOutcome{inputs->lockfile_path, check_lock(*inputs, *lockfile)};
}

}  // namespace envctl::ops
