// The public loaders: run subdir tasks in parallel, gather errors (offline gaps are listed
// together), and compute dependency closures over the loaded stores.
#include <algorithm>
#include <atomic>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "envctl/repodata/repodata.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"
#include "loader.hpp"
#include "shards.hpp"

namespace envctl::repodata {

using detail::MonolithicOutcome;
using detail::Reporter;
using detail::SubdirTask;

Options options_from_config(const config::Config& config, net::NetworkOptions network) {
    Options options;
    options.cache_dir = config.repodata_cache_dir;
    options.local_repodata_ttl = config.local_repodata_ttl;
    options.offline = config.offline;
    options.use_zst = config.repodata_use_zst;
    options.use_shards = config.repodata_use_shards;
    network.offline = network.offline || config.offline;
    options.network = std::move(network);
    return options;
}

std::vector<std::string> subdirs_for(const conda::Channel& channel, std::span<const std::string> subdirs) {
    if (!channel.platforms().empty()) return channel.platforms();
    return {subdirs.begin(), subdirs.end()};
}

std::string dependency_name(std::string_view spec) {
    spec = trim(spec);
    if (const auto colons = spec.rfind("::"); colons != std::string_view::npos) spec = spec.substr(colons + 2);
    std::size_t end = 0;
    while (end < spec.size()) {
        const char c = spec[end];
        if (c == ' ' || c == '\t' || c == '=' || c == '<' || c == '>' || c == '!' || c == '~' || c == '[' || c == ',' ||
            c == '|' || c == '(' || c == ';' || c == '#')
            break;
        ++end;
    }
    return to_lower(spec.substr(0, end));
}

std::vector<conda::PackageRecord> Repodata::records_named(std::string_view name) const {
    std::vector<conda::PackageRecord> out;
    for (const auto& subdir : subdirs_) {
        const auto index = subdir.store->find_name(name);
        if (!index) continue;
        const auto [first, last] = subdir.store->records_of(*index);
        for (auto i = first; i < last; ++i) out.push_back(subdir.store->materialize(i, subdir.context));
    }
    return out;
}

namespace detail {

std::vector<SubdirTask> make_tasks(std::span<const conda::Channel> channels, std::span<const std::string> subdirs) {
    std::vector<SubdirTask> tasks;
    for (std::size_t c = 0; c < channels.size(); ++c)
        for (const auto& subdir : subdirs_for(channels[c], subdirs)) tasks.push_back(make_task(channels[c], c, subdir));
    return tasks;
}

std::size_t parallelism(const Options& options, std::size_t tasks) {
    if (options.parallel_subdirs) return options.parallel_subdirs;
    return std::min<std::size_t>(tasks, std::max(4u, std::thread::hardware_concurrency()));
}

// Turns per-task outcomes into the loaded subdirs or one error.
Result<std::vector<SubdirData>> gather(std::span<const SubdirTask> tasks, std::vector<MonolithicOutcome>& outcomes,
                                       std::span<const conda::Channel> channels, Reporter& reporter) {
    std::vector<std::string> missing;
    for (std::size_t i = 0; i < tasks.size(); ++i)
        if (outcomes[i].missing_offline) missing.push_back(fmt::format("{} ({})", tasks[i].label, redact_url(tasks[i].url)));
    if (!missing.empty()) {
        Error error{ErrorKind::Network,
                    fmt::format("offline mode: no cached repodata for {}", join(missing, ", ")),
                    std::nullopt,
                    {"run the command once with network access to fill the cache, or turn offline mode off"}};
        return fail(std::move(error));
    }
    for (auto& outcome : outcomes)
        if (outcome.error) return fail(std::move(*outcome.error));
    // A channel whose every subdir is missing is most likely a wrong URL.
    for (std::size_t c = 0; c < channels.size(); ++c) {
        bool any = false;
        bool all_missing = true;
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            if (tasks[i].channel_index != c) continue;
            any = true;
            all_missing = all_missing && outcomes[i].not_found;
        }
        if (any && all_missing)
            return fail(Error{ErrorKind::Network,
                              fmt::format("channel {} has no repodata (HTTP 404 for every subdir asked for)",
                                          redact_url(channels[c].name())),
                              std::nullopt,
                              {"check the channel name or URL, and --platform"}});
    }
    std::vector<SubdirData> out;
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (outcomes[i].not_found) {
            reporter.warn(fmt::format("{} has no repodata for {} (skipped)", redact_url(tasks[i].channel->name()),
                                      tasks[i].subdir));
            continue;
        }
        if (outcomes[i].data) out.push_back(std::move(*outcomes[i].data));
    }
    return out;
}

}  // namespace detail

Result<Repodata> load_all(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                          const Options& options) {
    Reporter reporter(options);
    const auto tasks = detail::make_tasks(channels, subdirs);
    std::vector<MonolithicOutcome> outcomes(tasks.size());
    detail::run_parallel(tasks.size(), detail::parallelism(options, tasks.size()),
                         [&](std::size_t i) { outcomes[i] = detail::load_monolithic(tasks[i], options, reporter); });
    auto loaded = detail::gather(tasks, outcomes, channels, reporter);
    if (!loaded) return fail(std::move(loaded.error()));
    return Repodata({channels.begin(), channels.end()}, std::move(*loaded));
}

Result<Repodata> load_names(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                            std::span<const std::string> names, bool follow_depends, const Options& options) {
    if (!options.use_shards) return load_all(channels, subdirs, options);
    return detail::load_with_shards(channels, subdirs, names, follow_depends, options);
}

namespace {

// Names reachable from `roots` through depends, over every loaded subdir.
std::vector<std::string> reachable_names(const Repodata& repodata, std::span<const std::string> roots) {
    std::unordered_set<std::string> seen;
    std::vector<std::string> queue;
    auto visit = [&](std::string name) {
        if (name.empty() || name.starts_with("__")) return;
        if (seen.insert(name).second) queue.push_back(std::move(name));
    };
    for (const auto& root : roots) visit(dependency_name(root));
    // Depends strings are interned per store: resolve each id once.
    std::vector<std::vector<std::uint8_t>> done(repodata.subdirs().size());
    for (std::size_t next = 0; next < queue.size(); ++next) {
        const std::string name = queue[next];
        for (std::size_t s = 0; s < repodata.subdirs().size(); ++s) {
            const auto& store = *repodata.subdirs()[s].store;
            const auto index = store.find_name(name);
            if (!index) continue;
            auto& resolved = done[s];
            if (resolved.empty()) resolved.assign(store.string_count(), 0);
            const auto [first, last] = store.records_of(*index);
            for (auto i = first; i < last; ++i) {
                const auto depends = store.record(i).depends();
                for (std::size_t d = 0; d < depends.size(); ++d) {
                    const auto id = depends.ids()[d];
                    if (resolved[id]) continue;
                    resolved[id] = 1;
                    visit(dependency_name(store.string(id)));
                }
            }
        }
    }
    std::sort(queue.begin(), queue.end());
    return queue;
}

}  // namespace

Result<std::vector<ChannelRecords>> load_reachable(std::span<const conda::Channel> channels,
                                                   std::span<const std::string> subdirs,
                                                   std::span<const std::string> roots, const Options& options) {
    auto repodata = load_names(channels, subdirs, roots, true, options);
    if (!repodata) return fail(std::move(repodata.error()));
    const auto names = reachable_names(*repodata, roots);
    std::vector<ChannelRecords> out;
    for (std::size_t c = 0; c < channels.size(); ++c) {
        ChannelRecords channel;
        channel.priority = c;
        channel.name = redact_url(channels[c].name());
        channel.url = channels[c].base_url();
        for (const auto& subdir : repodata->subdirs()) {
            if (subdir.channel_index != c) continue;
            for (const auto& name : names) {
                const auto index = subdir.store->find_name(name);
                if (!index) continue;
                const auto [first, last] = subdir.store->records_of(*index);
                for (auto i = first; i < last; ++i) channel.records.push_back(subdir.store->materialize(i, subdir.context));
            }
        }
        out.push_back(std::move(channel));
    }
    return out;
}

}  // namespace envctl::repodata
