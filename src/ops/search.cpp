#include "envctl/ops/search.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {

conda::ChannelContext channel_context(const config::Config& config, const config::Environment& environment) {
    conda::ChannelContext context;
    context.channel_alias = config.channel_alias;
    for (const auto& [name, url] : config.custom_channels) context.custom_channels.emplace(name, url);
    context.default_channels = config.default_channels;
    std::error_code ignored;
    context.cwd = std::filesystem::current_path(ignored).string();
    context.home = environment.home.string();
    return context;
}

Result<std::vector<conda::Channel>> resolve_command_channels(const std::vector<std::string>& given, bool override_channels,
                                                             const config::Config& config,
                                                             const config::Environment& environment) {
    if (override_channels && given.empty())
        return fail(Error{ErrorKind::Usage, "--override-channels needs at least one -c/--channel", std::nullopt, {}});
    std::vector<std::string> names = given;
    if (!override_channels) names.insert(names.end(), config.channels.begin(), config.channels.end());
    if (names.empty())
        return fail(Error{ErrorKind::Usage, "no channels to search", std::nullopt,
                          {"give one with -c/--channel or set `channels` in the configuration"}});
    return conda::resolve_channels(names, channel_context(config, environment));
}

Result<std::vector<SearchMatch>> search(const SearchRequest& request, const config::Config& config,
                                        const config::Environment& environment, const repodata::Options& options) {
    if (request.specs.empty()) return fail(Error{ErrorKind::Usage, "search needs at least one spec", std::nullopt, {}});
    std::vector<conda::MatchSpec> specs;
    bool exact_names = true;
    std::vector<std::string> names;
    for (const auto& text : request.specs) {
        auto spec = conda::MatchSpec::parse(text);
        if (!spec) return fail(std::move(spec.error()));
        if (const auto name = spec->exact_name())
            names.emplace_back(*name);
        else
            exact_names = false;
        specs.push_back(std::move(*spec));
    }
    const std::string platform = request.platform.empty() ? std::string(conda::host_subdir()) : request.platform;
    if (!conda::is_known_subdir(platform))
        return fail(Error{ErrorKind::Usage, fmt::format("unknown platform '{}'", platform), std::nullopt,
                          {"use a conda subdir such as linux-64, osx-arm64, win-64 or noarch"}});
    auto channels = resolve_command_channels(request.channels, request.override_channels, config, environment);
    if (!channels) return fail(std::move(channels.error()));
    std::vector<std::string> subdirs = {platform};
    if (platform != "noarch") subdirs.emplace_back("noarch");

    auto repodata = exact_names ? repodata::load_names(*channels, subdirs, names, false, options)
                                : repodata::load_all(*channels, subdirs, options);
    if (!repodata) return fail(std::move(repodata.error()));

    const auto context = channel_context(config, environment);
    std::vector<std::pair<SearchMatch, std::size_t>> found;  // with the channel index
    std::set<std::string> seen;
    for (const auto& subdir : repodata->subdirs()) {
        const auto& store = *subdir.store;
        for (const auto& spec : specs) {
            auto consider = [&](std::size_t name_index) {
                const auto [first, last] = store.records_of(name_index);
                for (auto i = first; i < last; ++i) {
                    auto record = store.materialize(i, subdir.context);
                    if (!spec.matches(record, context) || !seen.insert(record.url).second) continue;
                    found.push_back({SearchMatch{std::move(record), redact_url((*channels)[subdir.channel_index].name())},
                                     subdir.channel_index});
                }
            };
            if (const auto name = spec.exact_name()) {
                if (const auto index = store.find_name(*name)) consider(*index);
            } else {
                for (std::size_t n = 0; n < store.name_count(); ++n)
                    if (spec.name.matches(store.name(n))) consider(n);
            }
        }
    }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        const auto& x = a.first.record;
        const auto& y = b.first.record;
        if (x.name != y.name) return x.name < y.name;
        if (const auto order = x.version <=> y.version; order != 0) return order > 0;
        if (x.build_number != y.build_number) return x.build_number > y.build_number;
        if (x.timestamp != y.timestamp) return x.timestamp > y.timestamp;
        return a.second < b.second;
    });
    std::vector<SearchMatch> out;
    out.reserve(found.size());
    for (auto& [match, channel] : found) out.push_back(std::move(match));
    return out;
}

nlohmann::json search_match_json(const SearchMatch& match) { return conda::to_json(match.record); }

}  // namespace envctl::ops
