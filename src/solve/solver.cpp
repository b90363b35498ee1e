// solve(): the conda model through the core, then the transaction (or the explanation).
#include "envctl/solve/solver.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <set>

#include "model.hpp"

namespace envctl::solve {
namespace {

using detail::CandidateId;
using detail::Origin;

bool same_artifact(const conda::PackageRecord& a, const conda::PackageRecord& b) {
    return a.name == b.name && a.version.str() == b.version.str() && a.build == b.build &&
           (a.channel.empty() || b.channel.empty() || a.channel == b.channel) &&
           (a.subdir.empty() || b.subdir.empty() || a.subdir == b.subdir);
}

// Dependencies before dependents; ties (and cycles) broken by name for a stable order.
std::vector<conda::PackageRecord> dependency_order(std::vector<conda::PackageRecord> records) {
    std::map<std::string, std::size_t> index_of;
    for (std::size_t i = 0; i < records.size(); ++i) index_of[records[i].name] = i;
    std::vector<std::set<std::size_t>> waiting_on(records.size());
    std::vector<std::vector<std::size_t>> dependents(records.size());
    for (std::size_t i = 0; i < records.size(); ++i)
        for (const auto& dep : records[i].depends) {
            const auto found = index_of.find(detail::dependency_name(dep));
            if (found == index_of.end() || found->second == i) continue;
            if (waiting_on[i].insert(found->second).second) dependents[found->second].push_back(i);
        }
    auto by_name = [&](std::size_t a, std::size_t b) { return records[a].name > records[b].name; };
    std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(by_name)> ready(by_name);
    std::vector<bool> done(records.size(), false);
    for (std::size_t i = 0; i < records.size(); ++i)
        if (waiting_on[i].empty()) ready.push(i);
    std::vector<conda::PackageRecord> ordered;
    ordered.reserve(records.size());
    while (ordered.size() < records.size()) {
        if (ready.empty()) {
            // A dependency cycle: release the first remaining package by name.
            std::size_t pick = records.size();
            for (std::size_t i = 0; i < records.size(); ++i)
                if (!done[i] && (pick == records.size() || records[i].name < records[pick].name)) pick = i;
            waiting_on[pick].clear();
            ready.push(pick);
        }
        const std::size_t next = ready.top();
        ready.pop();
        if (done[next]) continue;
        done[next] = true;
        ordered.push_back(records[next]);
        for (const std::size_t dependent : dependents[next]) {
            waiting_on[dependent].erase(next);
            if (waiting_on[dependent].empty() && !done[dependent]) ready.push(dependent);
        }
    }
    return ordered;
}

// Legacy `features`: when a solution activates feature F (its pseudo-package F@ is in), conda
// prefers the featured builds (features: F) among otherwise equal alternatives.
std::vector<CandidateId> featured_candidates(const detail::Model& model, const std::vector<CandidateId>& selected) {
    std::set<std::string> active;
    for (const CandidateId id : selected) {
        const auto& info = model.candidates()[id];
        if (info.origin == Origin::Feature) active.insert(info.record->track_features.front());
    }
    std::vector<CandidateId> favored;
    if (active.empty()) return favored;
    for (CandidateId id = 0; id < model.candidates().size(); ++id)
        for (const auto& feature : model.candidates()[id].record->features)
            if (active.count(feature)) {
                favored.push_back(id);
                break;
            }
    return favored;
}

bool requested_name(const Request& request, const std::string& name) {
    return std::any_of(request.specs.begin(), request.specs.end(),
                       [&](const conda::MatchSpec& spec) { return spec.name.matches(name); });
}

Solution transaction(const detail::Model& model, const std::vector<CandidateId>& selected) {
    const auto& request = model.request();
    Solution solution;
    solution.candidate_count = model.candidates().size();
    std::vector<const conda::PackageRecord*> kept;
    std::vector<const conda::PackageRecord*> added;
    for (const CandidateId id : selected) {
        const auto& info = model.candidates()[id];
        if (info.origin == Origin::Installed) kept.push_back(info.record);
        if (info.origin == Origin::Channel) added.push_back(info.record);
    }
    // A channel record identical to an installed one is no change.
    std::vector<const conda::PackageRecord*> link;
    for (const auto* record : added) {
        const bool already = std::any_of(request.installed.begin(), request.installed.end(),
                                         [&](const conda::PackageRecord& installed) { return same_artifact(installed, *record); });
        if (already) {
            for (const auto& installed : request.installed)
                if (same_artifact(installed, *record)) kept.push_back(&installed);
        } else {
            link.push_back(record);
        }
    }
    std::vector<const conda::PackageRecord*> unlink;
    for (const auto& installed : request.installed)
        if (std::find(kept.begin(), kept.end(), &installed) == kept.end()) unlink.push_back(&installed);

    auto wanted = [&](const conda::PackageRecord& record) {
        switch (request.deps) {
        case DepsMode::All: return true;
        case DepsMode::NoDeps: return requested_name(request, record.name);
        case DepsMode::OnlyDeps: return !requested_name(request, record.name);
        }
        return true;
    };
    std::vector<conda::PackageRecord> final_records;
    for (const auto* record : kept) final_records.push_back(*record);
    for (const auto* record : link)
        if (wanted(*record)) {
            solution.link.push_back(*record);
            final_records.push_back(*record);
        }
    for (const auto* record : unlink) {
        const bool replaced_by_link = std::any_of(solution.link.begin(), solution.link.end(),
                                                  [&](const conda::PackageRecord& r) { return r.name == record->name; });
        if (request.deps == DepsMode::All || replaced_by_link)
            solution.unlink.push_back(*record);
        else
            final_records.push_back(*record);
    }
    solution.records = dependency_order(std::move(final_records));
    solution.link = dependency_order(std::move(solution.link));
    std::sort(solution.unlink.begin(), solution.unlink.end(),
              [](const conda::PackageRecord& a, const conda::PackageRecord& b) { return a.name < b.name; });
    return solution;
}

}  // namespace

Result<Solution> solve(const Request& request) {
    detail::Model model(request);
    if (auto built = model.build(); !built) return fail(built.error());
    auto result = core::solve(model.core_request(), model);
    if (!result) return fail(result.error());
    if (result->solved) {
        if (const auto favored = featured_candidates(model, result->selected); !favored.empty()) {
            model.prefer(favored);
            auto again = core::solve(model.core_request(), model);
            if (!again) return fail(again.error());
            if (again->solved) result = std::move(again);
        }
        return transaction(model, result->selected);
    }
    Solution solution;
    solution.satisfiable = false;
    solution.candidate_count = model.candidates().size();
    solution.explanation = detail::explain(model, *result);
    return solution;
}

}  // namespace envctl::solve
