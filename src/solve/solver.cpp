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

// The request restricted to the names it asks for (plus virtual packages): the same jobs, but
// requirements and constrains on other names dropped. It is a relaxation, so when it has no
// solution neither has the request, and its proof speaks only of the requested packages. Solved
// first because libsolv, after finding a problem, keeps searching what is left of the request,
// which can take very long on hard instances.
class Relaxation final : public core::CandidateMatcher {
public:
    Relaxation(detail::Model& model, const core::CoreRequest& full) : model_(model), local_(full.candidates.size(), kNone) {
        std::set<std::string> names;
        for (const auto& job : full.jobs) {
            if (job.kind == core::Job::Kind::Install)
                for (const CandidateId id : model.matches(job.target)) names.insert(model.candidates()[id].record->name);
            else
                names.insert(model.candidates()[job.target].record->name);
        }
        auto in_names = [&](detail::SpecId spec) {
            const auto& info = model.spec(spec);
            const auto name = info.kind == detail::SpecKind::Feature ? info.text + "@" : detail::dependency_name(info.text);
            return names.count(name) > 0;
        };
        request_.sources = full.sources;
        request_.spec_count = full.spec_count;
        request_.focus_installed = full.focus_installed;
        for (CandidateId id = 0; id < full.candidates.size(); ++id) {
            if (!names.count(full.candidates[id].name)) continue;
            local_[id] = static_cast<CandidateId>(global_.size());
            global_.push_back(id);
            auto candidate = full.candidates[id];
            std::erase_if(candidate.requires_specs, [&](detail::SpecId spec) { return !in_names(spec); });
            std::erase_if(candidate.conflict_specs, [&](detail::SpecId spec) { return !in_names(spec); });
            request_.candidates.push_back(std::move(candidate));
        }
        for (auto job : full.jobs) {
            if (job.kind == core::Job::Kind::Lock) job.target = local_[job.target];
            request_.jobs.push_back(job);
        }
    }

    const core::CoreRequest& request() const { return request_; }

    void candidates_for(detail::SpecId spec, std::vector<CandidateId>& out) override {
        for (const CandidateId id : model_.matches(spec))
            if (local_[id] != kNone) out.push_back(local_[id]);
    }

    // Problems in the model's candidate ids.
    core::CoreResult to_model(core::CoreResult result) const {
        for (auto& problem : result.problems)
            for (auto& fact : problem.facts) {
                if (fact.source) fact.source = global_.at(*fact.source);
                if (fact.target) fact.target = global_.at(*fact.target);
            }
        return result;
    }

private:
    static constexpr CandidateId kNone = ~CandidateId{0};
    detail::Model& model_;
    core::CoreRequest request_;
    std::vector<CandidateId> local_;   // model id -> relaxed id
    std::vector<CandidateId> global_;  // relaxed id -> model id
};

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
    final_records.reserve(kept.size() + link.size());
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
    const auto full = model.core_request();
    Relaxation relaxation(model, full);
    auto relaxed = core::solve(relaxation.request(), relaxation);
    if (!relaxed) return fail(relaxed.error());
    auto result = relaxed->solved ? core::solve(full, model) : Result<core::CoreResult>(relaxation.to_model(std::move(*relaxed)));
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
