// Builds the conda model of a solve: which records become candidates (reachable names,
// minus what exclude-newer, pins and strict channel priority drop), how they rank, and which
// candidates each spec matches.
#include <algorithm>
#include <climits>
#include <compare>
#include <set>

#include <fmt/core.h>

#include "model.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::solve::detail {
namespace {

bool is_name_end(char c) {
    switch (c) {
    case ' ': case '\t': case '=': case '<': case '>': case '!': case '~': case '[': case '(':
    case ',': case ';': case '|': case '@': case '#':
        return true;
    default:
        return false;
    }
}

std::string_view record_subdir(const conda::PackageRecord& record) { return record.subdir; }

std::size_t feature_cost(const conda::PackageRecord& record) {
    return record.track_features.size() + record.features.size();
}

}  // namespace

std::string dependency_name(std::string_view spec) {
    spec = trim(spec);
    std::size_t end = 0;
    while (end < spec.size() && !is_name_end(spec[end])) ++end;
    std::string_view head = spec.substr(0, end);
    if (const auto colons = head.rfind("::"); colons != std::string_view::npos) {
        // channel::name: the name starts after the last "::" (the channel part has no spaces).
        spec = spec.substr(colons + 2);
        end = 0;
        while (end < spec.size() && !is_name_end(spec[end])) ++end;
        head = spec.substr(0, end);
    }
    return to_lower(head);
}

Model::Model(const Request& request) : request_(request) {}

SpecId Model::add_spec(SpecInfo info) {
    const auto id = static_cast<SpecId>(specs_.size());
    specs_.push_back(std::move(info));
    return id;
}

SpecId Model::intern(std::string_view text, SpecKind kind) {
    std::string key;
    key.reserve(text.size() + 1);
    key += kind == SpecKind::Match ? 'm' : kind == SpecKind::Violates ? 'v' : 'f';
    key += text;
    if (const auto found = spec_ids_.find(key); found != spec_ids_.end()) return found->second;
    SpecInfo info;
    info.kind = kind;
    info.text = std::string(text);
    const SpecId id = add_spec(std::move(info));
    spec_ids_.emplace(std::move(key), id);
    return id;
}

void Model::parse(SpecInfo& info) const {
    if (info.parsed || !info.parse_error.empty() || info.kind == SpecKind::Feature) return;
    auto parsed = conda::MatchSpec::parse(info.text);
    if (parsed)
        info.parsed = std::move(*parsed);
    else
        info.parse_error = parsed.error().message;
}

std::uint32_t Model::channel_of_url(std::string_view url) const {
    for (std::uint32_t index = 0; index < request_.channels.size(); ++index)
        if (request_.channels[index].url == url) return index;
    return static_cast<std::uint32_t>(request_.channels.size());
}

void Model::index_channels() {
    for (std::uint32_t index = 0; index < request_.channels.size(); ++index)
        for (const auto& record : request_.channels[index].records) {
            channel_index_[record.name].push_back({&record, index});
            if (record.name == "pip") pip_available_ = true;
        }
}

// Whether a requested spec names `channel` for this package name (`channel::name`): then strict
// priority does not hide that channel's records of the name.
bool Model::channel_named_for(const std::string& name, std::uint32_t channel) const {
    for (const auto& spec : request_.specs) {
        if (spec.channel.empty() || !spec.name.matches(name)) continue;
        if (conda::channel_matches(spec.channel, request_.channels[channel].url, request_.channel_context)) return true;
    }
    return false;
}

std::vector<Model::Indexed> Model::filtered_records(const std::string& name) {
    std::vector<Indexed> kept;
    const auto found = channel_index_.find(name);
    if (found == channel_index_.end()) return kept;
    auto& exclusions = excluded_[name];
    for (const auto& entry : found->second) {
        const auto& record = *entry.record;
        if (request_.exclude_newer && record.timestamp > *request_.exclude_newer) {
            exclusions.push_back({&record, ExclusionReason::ExcludeNewer, {}});
            continue;
        }
        const conda::MatchSpec* violated = nullptr;
        for (const auto& pin : request_.pins)
            if (pin.name.matches(record.name) && !pin.matches(record, request_.channel_context)) {
                violated = &pin;
                break;
            }
        if (violated) {
            exclusions.push_back({&record, ExclusionReason::Pin, violated->str()});
            continue;
        }
        kept.push_back(entry);
    }
    if (request_.channel_priority == ChannelPriority::Strict && !kept.empty()) {
        std::uint32_t best = UINT32_MAX;
        for (const auto& entry : kept) best = std::min(best, entry.channel);
        std::vector<Indexed> strict;
        for (const auto& entry : kept) {
            if (entry.channel == best || channel_named_for(name, entry.channel))
                strict.push_back(entry);
            else
                exclusions.push_back({entry.record, ExclusionReason::StrictPriority, request_.channels[best].name});
        }
        kept = std::move(strict);
    }
    if (exclusions.empty()) excluded_.erase(name);
    return kept;
}

void Model::add_candidates_of(const std::string& name) {
    auto& ids = by_name_[name];
    for (const auto& entry : filtered_records(name)) {
        ids.push_back(static_cast<CandidateId>(candidates_.size()));
        candidates_.push_back({entry.record, Origin::Channel, entry.channel, 0});
    }
}

void Model::collect_reachable() {
    std::set<std::string, std::less<>> seen;
    auto reach = [&](std::string name) {
        if (name.empty() || seen.count(name)) return;
        seen.insert(name);
        reachable_.push_back(std::move(name));
    };
    for (const auto& spec : request_.specs) {
        if (const auto name = spec.exact_name())
            reach(std::string(*name));
        else if (spec.track_features.empty() || !spec.name.is_any())
            all_names_ = true;
    }
    for (const auto& record : request_.installed) reach(record.name);
    if (all_names_)
        for (const auto& [name, records] : channel_index_) reach(std::string(name));

    // Installed and virtual packages are candidates whatever the channels say.
    for (const auto& record : request_.installed) {
        by_name_[record.name].push_back(static_cast<CandidateId>(candidates_.size()));
        candidates_.push_back({&record, Origin::Installed, channel_of_url(record.channel), 0});
    }
    for (const auto& record : request_.virtual_packages) {
        by_name_[record.name].push_back(static_cast<CandidateId>(candidates_.size()));
        candidates_.push_back({&record, Origin::Virtual, static_cast<std::uint32_t>(request_.channels.size()), 0});
        seen.insert(record.name);
    }
    auto add_feature = [&](const std::string& feature) {
        const std::string name = feature + "@";
        if (seen.count(name)) return;
        seen.insert(name);
        conda::PackageRecord record;
        record.name = name;
        record.build.assign(1, '0');
        record.track_features.push_back(feature);
        feature_records_.push_back(std::move(record));
        by_name_[name].push_back(static_cast<CandidateId>(candidates_.size()));
        candidates_.push_back({&feature_records_.back(), Origin::Feature, static_cast<std::uint32_t>(request_.channels.size()), 0});
    };
    for (const auto& spec : request_.specs)
        if (spec.name.is_any())
            for (const auto& feature : spec.track_features) add_feature(feature);

    // Breadth-first over depends: only names some candidate can need are loaded.
    std::size_t first_new_candidate = 0;
    for (std::size_t next = 0; next < reachable_.size() || first_new_candidate < candidates_.size();) {
        while (next < reachable_.size()) add_candidates_of(reachable_[next++]);
        for (; first_new_candidate < candidates_.size(); ++first_new_candidate) {
            const auto& record = *candidates_[first_new_candidate].record;
            for (const auto& dep : record.depends) {
                auto name = dependency_name(dep);
                if (name.find('*') != std::string::npos) continue;  // wildcard deps add no names
                reach(std::move(name));
            }
            for (const auto& feature : record.features) add_feature(feature);
            if (record.name == "python" && request_.add_pip_as_python_dependency && pip_available_) reach("pip");
        }
    }
}

// Ranks encode conda's preference among candidates of one name (higher is better):
// channel priority (strict/flexible), fewer track_features/features, version, channel
// priority (disabled), build number, arch-specific over noarch, newer dependencies, timestamp,
// build string. Identical records (an installed record and its channel twin) rank equal.
void Model::assign_ranks() {
    const bool channel_first = request_.channel_priority != ChannelPriority::Disabled;
    auto base_compare = [&](const CandidateInfo& a, const CandidateInfo& b) -> std::weak_ordering {
        const auto& ra = *a.record;
        const auto& rb = *b.record;
        if (a.preferred != b.preferred) return a.preferred <=> b.preferred;
        if (channel_first && a.channel != b.channel) return b.channel <=> a.channel;
        if (const auto fa = feature_cost(ra), fb = feature_cost(rb); fa != fb) return fb <=> fa;
        if (const auto c = ra.version <=> rb.version; c != 0) return c;
        if (!channel_first && a.channel != b.channel) return b.channel <=> a.channel;
        if (ra.build_number != rb.build_number) return ra.build_number <=> rb.build_number;
        const bool na = record_subdir(ra) == "noarch";
        const bool nb = record_subdir(rb) == "noarch";
        if (na != nb) return nb <=> na;
        return std::weak_ordering::equivalent;
    };

    // Phase 1: order each name by the base key; dense base ranks feed the dependency tie-break.
    std::vector<std::uint32_t> base_rank(candidates_.size(), 0);
    for (auto& [name, ids] : by_name_) {
        std::stable_sort(ids.begin(), ids.end(), [&](CandidateId x, CandidateId y) {
            return base_compare(candidates_[x], candidates_[y]) < 0;
        });
        std::uint32_t rank = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i > 0 && base_compare(candidates_[ids[i - 1]], candidates_[ids[i]]) < 0) ++rank;
            base_rank[ids[i]] = rank;
        }
    }
    // The best base rank among candidates matching a dependency spec (UINT32_MAX: unconstrained).
    auto best_match = [&](const std::string& dep) -> std::uint32_t {
        std::uint32_t best = 0;
        for (const CandidateId id : matches(intern(dep, SpecKind::Match))) best = std::max(best, base_rank[id] + 1);
        return best;
    };

    // Phase 2: within ties, prefer builds whose differing dependencies allow newer packages,
    // then newer timestamps, then the build string.
    for (auto& [name, ids] : by_name_) {
        for (std::size_t begin = 0; begin < ids.size();) {
            std::size_t end = begin + 1;
            while (end < ids.size() && base_rank[ids[end]] == base_rank[ids[begin]]) ++end;
            if (end - begin > 1) {
                std::map<CandidateId, std::vector<std::uint32_t>> scores;
                std::map<std::string, int> counts;
                for (std::size_t i = begin; i < end; ++i) {
                    std::set<std::string_view> unique(candidates_[ids[i]].record->depends.begin(),
                                                      candidates_[ids[i]].record->depends.end());
                    for (const auto dep : unique) ++counts[std::string(dep)];
                }
                std::set<std::string> differing_names;
                for (const auto& [dep, count] : counts)
                    if (count != static_cast<int>(end - begin)) differing_names.insert(dependency_name(dep));
                for (std::size_t i = begin; i < end && !differing_names.empty(); ++i) {
                    auto& score = scores[ids[i]];
                    for (const auto& dep_name : differing_names) {
                        std::uint32_t value = UINT32_MAX;
                        for (const auto& dep : candidates_[ids[i]].record->depends)
                            if (counts[dep] != static_cast<int>(end - begin) && dependency_name(dep) == dep_name)
                                value = std::min(value, best_match(dep));
                        score.push_back(value);
                    }
                }
                std::stable_sort(ids.begin() + static_cast<std::ptrdiff_t>(begin), ids.begin() + static_cast<std::ptrdiff_t>(end),
                                 [&](CandidateId x, CandidateId y) {
                                     if (!scores.empty() && scores[x] != scores[y]) return scores[x] < scores[y];
                                     const auto& rx = *candidates_[x].record;
                                     const auto& ry = *candidates_[y].record;
                                     if (rx.timestamp != ry.timestamp) return rx.timestamp < ry.timestamp;
                                     if (rx.build != ry.build) return rx.build < ry.build;
                                     return std::tie(rx.channel, rx.subdir, rx.fn) < std::tie(ry.channel, ry.subdir, ry.fn);
                                 });
            }
            begin = end;
        }
        std::uint64_t rank = 1;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            if (i > 0) {
                const auto& previous = *candidates_[ids[i - 1]].record;
                const auto& current = *candidates_[ids[i]].record;
                const bool identical = base_rank[ids[i - 1]] == base_rank[ids[i]] && previous.build == current.build &&
                                       previous.channel == current.channel && previous.subdir == current.subdir &&
                                       previous.version.str() == current.version.str();
                if (!identical) ++rank;
            }
            candidates_[ids[i]].rank = rank;
        }
    }
}

void Model::add_dependencies() {
    requires_.assign(candidates_.size(), {});
    conflicts_.assign(candidates_.size(), {});
    const SpecId pip = intern("pip", SpecKind::Match);
    for (CandidateId id = 0; id < candidates_.size(); ++id) {
        const auto& info = candidates_[id];
        const auto& record = *info.record;
        if (info.origin == Origin::Virtual || info.origin == Origin::Feature) continue;
        for (const auto& dep : record.depends) requires_[id].push_back(intern(dep, SpecKind::Match));
        for (const auto& feature : record.features) requires_[id].push_back(intern(feature, SpecKind::Feature));
        for (const auto& constraint : record.constrains) conflicts_[id].push_back(intern(constraint, SpecKind::Violates));
        if (record.name == "python" && request_.add_pip_as_python_dependency && pip_available_ &&
            (record.version.str().rfind("2.", 0) == 0 || record.version.str().rfind("3.", 0) == 0))
            requires_[id].push_back(pip);
    }
}

Status Model::build() {
    index_channels();
    for (std::size_t index = 0; index < request_.specs.size(); ++index) {
        SpecInfo info;
        info.kind = SpecKind::Match;
        info.text = request_.specs[index].str();
        info.parsed = request_.specs[index];
        requested_specs_.push_back(add_spec(std::move(info)));
    }
    collect_reachable();
    prefer_locked();
    assign_ranks();
    add_dependencies();
    return {};
}

// A lockfile's record is preferred over every other candidate of its name: the same artifact
// (name, version, build, subdir; channel too when the lockfile says).
void Model::prefer_locked() {
    for (const auto& locked : request_.locked) {
        const auto* ids = candidates_named(locked.name);
        if (!ids) continue;
        for (const CandidateId id : *ids) {
            const auto& record = *candidates_[id].record;
            if (record.version.str() == locked.version.str() && record.build == locked.build &&
                (locked.subdir.empty() || record.subdir == locked.subdir) &&
                (locked.channel.empty() || record.channel == locked.channel))
                candidates_[id].preferred = true;
        }
    }
}

void Model::prefer(const std::vector<CandidateId>& ids) {
    for (const CandidateId id : ids) candidates_.at(id).preferred = true;
    assign_ranks();
}

bool Model::matches_record(const SpecInfo& info, const conda::PackageRecord& record) const {
    return info.parsed->matches(record, request_.channel_context);
}

const std::vector<CandidateId>& Model::matches(SpecId id) {
    auto& info = specs_.at(id);
    if (info.resolved) return info.matches;
    info.resolved = true;
    if (info.kind == SpecKind::Feature) {
        if (const auto* ids = candidates_named(info.text + "@")) info.matches = *ids;
        return info.matches;
    }
    parse(info);
    if (!info.parsed) return info.matches;
    const auto& spec = *info.parsed;
    auto consider = [&](CandidateId candidate) {
        const auto& record = *candidates_[candidate].record;
        if (candidates_[candidate].origin == Origin::Feature) return;
        const bool match = matches_record(info, record);
        if (info.kind == SpecKind::Match ? match : (!match && spec.name.matches(record.name)))
            info.matches.push_back(candidate);
    };
    if (const auto name = spec.exact_name()) {
        if (const auto* ids = candidates_named(*name))
            for (const CandidateId candidate : *ids) consider(candidate);
    } else {
        for (CandidateId candidate = 0; candidate < candidates_.size(); ++candidate) consider(candidate);
    }
    return info.matches;
}

void Model::candidates_for(SpecId spec, std::vector<CandidateId>& out) {
    const auto& found = matches(spec);
    out.insert(out.end(), found.begin(), found.end());
}

const std::vector<Exclusion>* Model::exclusions_of(std::string_view name) const {
    const auto found = excluded_.find(name);
    return found == excluded_.end() ? nullptr : &found->second;
}

const std::vector<CandidateId>* Model::candidates_named(std::string_view name) const {
    const auto found = by_name_.find(name);
    return found == by_name_.end() ? nullptr : &found->second;
}

const conda::PackageRecord* Model::virtual_package(std::string_view name) const {
    for (const auto& record : request_.virtual_packages)
        if (record.name == name) return &record;
    return nullptr;
}

core::CoreRequest Model::core_request() const {
    core::CoreRequest out;
    const auto channel_count = static_cast<std::uint32_t>(request_.channels.size());
    // Sources: the channels (priority falls with the index), then the installed prefix
    // (which holds the virtual packages too), then the feature pseudo-packages.
    for (std::uint32_t index = 0; index < channel_count; ++index) {
        const int priority = request_.channel_priority == ChannelPriority::Disabled ? 0 : -static_cast<int>(index);
        out.sources.push_back({request_.channels[index].name, priority, false});
    }
    const std::uint32_t installed_source = channel_count;
    out.sources.push_back({"installed", 0, true});
    const std::uint32_t feature_source = channel_count + 1;
    out.sources.push_back({"features", 0, false});

    out.candidates.reserve(candidates_.size());
    for (CandidateId id = 0; id < candidates_.size(); ++id) {
        const auto& info = candidates_[id];
        core::Candidate candidate;
        candidate.name = info.record->name;
        candidate.rank = info.rank;
        candidate.source = info.origin == Origin::Channel   ? info.channel
                           : info.origin == Origin::Feature ? feature_source
                                                            : installed_source;
        candidate.requires_specs = requires_[id];
        candidate.conflict_specs = conflicts_[id];
        out.candidates.push_back(std::move(candidate));
    }
    out.spec_count = specs_.size();

    job_origins_.clear();
    for (std::size_t index = 0; index < request_.specs.size(); ++index) {
        const auto& spec = request_.specs[index];
        if (spec.name.is_any() && !spec.track_features.empty()) {
            for (const auto& feature : spec.track_features) {
                const auto found = spec_ids_.find("f" + feature);
                if (found == spec_ids_.end()) continue;
                out.jobs.push_back({core::Job::Kind::Install, found->second});
                job_origins_.push_back({JobOrigin::Kind::Feature, index});
            }
            continue;
        }
        out.jobs.push_back({core::Job::Kind::Install, requested_specs_[index]});
        job_origins_.push_back({JobOrigin::Kind::Requested, index});
    }
    bool has_installed = false;
    for (CandidateId id = 0; id < candidates_.size(); ++id) {
        if (candidates_[id].origin == Origin::Virtual) {
            out.jobs.push_back({core::Job::Kind::Lock, id});
            job_origins_.push_back({JobOrigin::Kind::VirtualLock, 0});
        }
        if (candidates_[id].origin == Origin::Installed) has_installed = true;
    }
    out.focus_installed = has_installed;
    return out;
}

}  // namespace envctl::solve::detail
