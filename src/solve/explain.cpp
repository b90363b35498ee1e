// Turns libsolv's proof of unsatisfiability (core::ProblemFact, already in candidate and spec
// ids) into problems in our words: what is missing, which specs on one package cannot hold
// together, which `constrains` rule out what, each with the chain of requests behind it.
#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include <fmt/core.h>

#include "model.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::solve {

std::string_view problem_kind_name(Problem::Kind kind) {
    switch (kind) {
    case Problem::Kind::NotFound: return "not_found";
    case Problem::Kind::MissingDependency: return "missing_dependency";
    case Problem::Kind::MissingVirtual: return "missing_virtual_package";
    case Problem::Kind::Conflict: return "conflict";
    case Problem::Kind::Constraint: return "constraint";
    case Problem::Kind::Other: return "other";
    }
    return "other";
}

std::string Chain::text() const {
    std::string out;
    if (!requested.empty()) out = fmt::format("{} ({})", requested, origin.empty() ? "requested" : origin);
    for (const auto& step : steps) {
        if (!out.empty()) out += " -> ";
        out += step.package;
        if (!step.requires_spec.empty()) out += " requires " + step.requires_spec;
    }
    return out;
}

std::string Explanation::text() const {
    std::string out = "Cannot satisfy the request:\n";
    for (std::size_t i = 0; i < problems.size(); ++i) {
        const auto& problem = problems[i];
        const bool last = i + 1 == problems.size();
        out += fmt::format("{} {}\n", last ? "└─" : "├─", problem.message);
        const std::string indent = last ? "   " : "│  ";
        std::vector<std::string> items;
        for (const auto& chain : problem.chains) items.push_back(chain.text());
        for (const auto& hint : problem.hints) items.push_back("hint: " + hint);
        for (std::size_t k = 0; k < items.size(); ++k)
            out += fmt::format("{}{} {}\n", indent, k + 1 == items.size() ? "└─" : "├─", items[k]);
    }
    return out;
}

namespace detail {
namespace {

constexpr std::size_t kMaxProblems = 12;
constexpr std::size_t kMaxChains = 6;

std::string versions_text(std::vector<const conda::PackageRecord*> records) {
    std::sort(records.begin(), records.end(),
              [](const conda::PackageRecord* a, const conda::PackageRecord* b) { return a->version < b->version; });
    std::vector<std::string> versions;
    for (const auto* record : records)
        if (versions.empty() || versions.back() != record->version.str()) versions.push_back(record->version.str());
    if (versions.size() <= 3) return join(versions, ", ");
    return fmt::format("{} ... {} ({} versions)", versions.front(), versions.back(), versions.size());
}

std::string virtual_hint(std::string_view name) {
    if (name == "__cuda") return "set CONDA_OVERRIDE_CUDA or choose a CPU build";
    if (name == "__glibc") return "set CONDA_OVERRIDE_GLIBC, or choose builds for an older glibc";
    if (name == "__osx") return "set CONDA_OVERRIDE_OSX, or choose builds for an older macOS";
    if (name == "__linux") return "set CONDA_OVERRIDE_LINUX, or solve for a Linux platform (--platform linux-64)";
    if (name == "__win") return "set CONDA_OVERRIDE_WIN, or solve for a Windows platform (--platform win-64)";
    if (name == "__archspec") return "set CONDA_OVERRIDE_ARCHSPEC, or choose builds for a more generic CPU";
    if (name == "__unix") return "solve for a Unix platform (--platform linux-64 or osx-arm64)";
    return "this virtual package describes the system; it cannot be installed";
}

class Explainer {
public:
    Explainer(Model& model, const core::CoreProblem& problem) : model_(model) {
        for (const auto& fact : problem.facts) add(fact);
    }

    void problems(std::vector<Problem>& out) {
        not_found(out);
        missing(out);
        constraints(out);
        conflicts(out);
    }

private:
    using Kind = core::ProblemFact::Kind;

    void add(const core::ProblemFact& fact) {
        facts_.push_back(fact);
        if (fact.source) involved_.insert(*fact.source);
        if (fact.target) involved_.insert(*fact.target);
        if ((fact.kind == Kind::Job || fact.kind == Kind::JobNothingProvides) && fact.job &&
            *fact.job < model_.job_origins().size()) {
            const auto& origin = model_.job_origins()[*fact.job];
            if (origin.kind == JobOrigin::Kind::Requested) roots_.insert(origin.index);
        }
        if ((fact.kind == Kind::Requires || fact.kind == Kind::NothingProvides) && fact.source && fact.spec)
            requires_[*fact.source].insert(*fact.spec);
    }

    const conda::PackageRecord& record(CandidateId id) const { return *model_.candidates()[id].record; }
    Origin origin(CandidateId id) const { return model_.candidates()[id].origin; }
    std::string spec_text(SpecId id) const { return model_.spec(id).text; }
    std::string spec_name(SpecId id) const {
        const auto& info = model_.spec(id);
        return info.kind == SpecKind::Feature ? info.text + "@" : dependency_name(info.text);
    }

    // The involved candidates of `id`'s name that require (or constrain) `spec` too.
    std::string group_text(CandidateId id, std::optional<SpecId> spec) const {
        std::vector<const conda::PackageRecord*> records;
        for (const CandidateId other : involved_) {
            if (record(other).name != record(id).name) continue;
            if (spec && other != id) {
                const auto found = requires_.find(other);
                const bool has = found != requires_.end() && found->second.count(*spec);
                if (!has && !constrains_with(other, *spec)) continue;
            }
            records.push_back(&record(other));
        }
        std::string text = fmt::format("{} {}", record(id).name, versions_text(records));
        if (origin(id) == Origin::Installed) text += " (installed)";
        return text;
    }

    bool constrains_with(CandidateId id, SpecId spec) const {
        return std::any_of(facts_.begin(), facts_.end(), [&](const core::ProblemFact& fact) {
            return fact.kind == Kind::Conflicts && fact.source == id && fact.spec == spec;
        });
    }

    // How `target` came to be needed: a path from a requested spec through required specs.
    Chain chain_to(CandidateId target) {
        struct Parent {
            std::optional<CandidateId> package;  // nullopt: a root
            SpecId spec = 0;
            std::size_t root = 0;
        };
        std::map<CandidateId, Parent> parent;
        std::deque<CandidateId> queue;
        for (const std::size_t root : roots_) {
            const SpecId spec = model_.requested_spec(root);
            for (const CandidateId id : model_.matches(spec))
                if (involved_.count(id) && !parent.count(id)) {
                    parent[id] = {std::nullopt, spec, root};
                    queue.push_back(id);
                }
        }
        while (!queue.empty() && !parent.count(target)) {
            const CandidateId id = queue.front();
            queue.pop_front();
            const auto found = requires_.find(id);
            if (found == requires_.end()) continue;
            for (const SpecId spec : found->second)
                for (const CandidateId next : model_.matches(spec))
                    if (involved_.count(next) && !parent.count(next)) {
                        parent[next] = {id, spec, parent[id].root};
                        queue.push_back(next);
                    }
        }
        Chain chain;
        const auto found = parent.find(target);
        if (found == parent.end()) {
            chain.origin = origin(target) == Origin::Installed ? "installed"
                           : origin(target) == Origin::Virtual ? "system"
                                                               : "";
            return chain;
        }
        std::vector<ChainStep> steps;
        Parent at = found->second;
        while (at.package) {
            steps.push_back({group_text(*at.package, at.spec), spec_text(at.spec)});
            at = parent.at(*at.package);
        }
        std::reverse(steps.begin(), steps.end());
        chain.requested = model_.request().specs.at(at.root).str();
        chain.origin = "requested";
        chain.steps = std::move(steps);
        return chain;
    }

    // The chain of a package that requires (or constrains) `spec`, ending with that spec.
    Chain demand_chain(CandidateId package, SpecId spec, bool constrains = false) {
        Chain chain = chain_to(package);
        chain.steps.push_back({group_text(package, spec), (constrains ? "constrains " : "") + spec_text(spec)});
        return chain;
    }

    std::vector<std::string> exclusion_hints(const std::string& name, const SpecInfo* spec) const {
        std::vector<std::string> hints;
        const auto* exclusions = model_.exclusions_of(name);
        if (!exclusions) return hints;
        std::map<std::pair<ExclusionReason, std::string>, std::vector<const conda::PackageRecord*>> grouped;
        for (const auto& exclusion : *exclusions) {
            if (spec && spec->parsed && !spec->parsed->matches(*exclusion.record, model_.request().channel_context)) continue;
            grouped[{exclusion.reason, exclusion.detail}].push_back(exclusion.record);
        }
        for (const auto& [key, records] : grouped) {
            const auto versions = fmt::format("{} {}", name, versions_text(records));
            switch (key.first) {
            case ExclusionReason::ExcludeNewer:
                hints.push_back(fmt::format("{} would match but is newer than --exclude-newer", versions));
                break;
            case ExclusionReason::Pin:
                hints.push_back(fmt::format("{} would match but the pin '{}' excludes it", versions, key.second));
                break;
            case ExclusionReason::StrictPriority:
                hints.push_back(fmt::format(
                    "{} would match but comes from a lower-priority channel: with strict channel priority '{}' is taken "
                    "from {} only; use --channel-priority flexible or ask for a channel explicitly (channel::{})",
                    versions, name, key.second, name));
                break;
            }
        }
        return hints;
    }

    void not_found(std::vector<Problem>& out) {
        for (const auto& fact : facts_) {
            if (fact.kind != Kind::JobNothingProvides || !fact.job) continue;
            const auto& origin = model_.job_origins().at(*fact.job);
            Problem problem;
            problem.kind = Problem::Kind::NotFound;
            const auto& spec = model_.request().specs.at(origin.index);
            const std::string text = spec.str();
            problem.specs = {text};
            const auto name = spec.exact_name() ? std::string(*spec.exact_name()) : text;
            problem.package = name;
            std::vector<const conda::PackageRecord*> available;
            if (const auto* ids = model_.candidates_named(name))
                for (const CandidateId id : *ids) available.push_back(&record(id));
            if (name.rfind("__", 0) == 0) {
                const auto* system = model_.virtual_package(name);
                problem.kind = Problem::Kind::MissingVirtual;
                problem.message = system ? fmt::format("the requested {} does not match this system's {} {}", text, name,
                                                       system->version.str())
                                         : fmt::format("the requested {} is not available: this system has no {}", text, name);
                problem.hints.push_back(virtual_hint(name));
            } else if (available.empty() && !model_.exclusions_of(name)) {
                problem.message = fmt::format("nothing provides the requested {}: no channel has a package named '{}'", text, name);
            } else if (available.empty()) {
                problem.message = fmt::format("nothing provides the requested {}", text);
            } else {
                problem.message = fmt::format("nothing provides the requested {} (available: {})", text,
                                              fmt::format("{} {}", name, versions_text(available)));
            }
            Chain chain;
            chain.requested = text;
            chain.origin = "requested";
            problem.chains.push_back(std::move(chain));
            const SpecInfo& info = model_.spec(model_.requested_spec(origin.index));
            for (auto& hint : exclusion_hints(name, &info)) problem.hints.push_back(std::move(hint));
            out.push_back(std::move(problem));
        }
    }

    void missing(std::vector<Problem>& out) {
        std::map<SpecId, std::vector<CandidateId>> by_spec;
        for (const auto& fact : facts_)
            if (fact.kind == Kind::NothingProvides && fact.source && fact.spec) by_spec[*fact.spec].push_back(*fact.source);
        for (const auto& [spec, requesters] : by_spec) {
            const auto& info = model_.spec(spec);
            const auto name = spec_name(spec);
            Problem problem;
            problem.package = name;
            problem.specs = {info.text};
            std::set<std::string> seen_names;
            std::string who;
            for (const CandidateId id : requesters) {
                if (!seen_names.insert(record(id).name).second || problem.chains.size() >= kMaxChains) continue;
                problem.chains.push_back(demand_chain(id, spec));
                if (who.empty()) who = group_text(id, spec);
            }
            if (name.rfind("__", 0) == 0) {
                problem.kind = Problem::Kind::MissingVirtual;
                const auto* system = model_.virtual_package(name);
                problem.message = system ? fmt::format("{} requires {} but your system has {} {}", who, info.text, name,
                                                       system->version.str())
                                         : fmt::format("{} requires {} but your system has none", who, info.text);
                problem.hints.push_back(virtual_hint(name));
            } else if (!info.parse_error.empty()) {
                problem.kind = Problem::Kind::MissingDependency;
                problem.message = fmt::format("{} has an invalid dependency: {}", who, info.parse_error);
            } else {
                problem.kind = Problem::Kind::MissingDependency;
                problem.message = fmt::format("nothing provides {} needed by {}", info.text, who);
                for (auto& hint : exclusion_hints(name, &info)) problem.hints.push_back(std::move(hint));
            }
            out.push_back(std::move(problem));
        }
    }

    void constraints(std::vector<Problem>& out) {
        std::map<std::pair<std::string, SpecId>, std::vector<const core::ProblemFact*>> grouped;
        for (const auto& fact : facts_)
            if (fact.kind == Kind::Conflicts && fact.source && fact.spec)
                grouped[{record(*fact.source).name, *fact.spec}].push_back(&fact);
        for (const auto& [key, facts] : grouped) {
            const SpecId spec = key.second;
            const CandidateId source = *facts.front()->source;
            Problem problem;
            problem.kind = Problem::Kind::Constraint;
            problem.package = spec_name(spec);
            problem.specs = {spec_text(spec)};
            problem.chains.push_back(demand_chain(source, spec, true));
            std::vector<const conda::PackageRecord*> targets;
            std::optional<CandidateId> target;
            for (const auto* fact : facts)
                if (fact->target) {
                    targets.push_back(&record(*fact->target));
                    target = *fact->target;
                }
            std::string ruled_out = "a package that is needed";
            if (target) {
                const auto& target_record = record(*target);
                if (origin(*target) == Origin::Virtual) {
                    ruled_out = fmt::format("your system's {} {}", target_record.name, target_record.version.str());
                    problem.hints.push_back(virtual_hint(target_record.name));
                } else {
                    ruled_out = fmt::format("{} {}", target_record.name, versions_text(targets));
                    if (origin(*target) == Origin::Installed) ruled_out += " (installed)";
                    auto chain = chain_to(*target);
                    if (!chain.requested.empty() || !chain.steps.empty()) {
                        chain.steps.push_back({fmt::format("{} {}", target_record.name, versions_text(targets)), ""});
                        problem.chains.push_back(std::move(chain));
                    }
                }
            }
            problem.message = fmt::format("{} constrains {}, which rules out {}", group_text(source, spec), spec_text(spec),
                                          ruled_out);
            out.push_back(std::move(problem));
        }
    }

    void conflicts(std::vector<Problem>& out) {
        std::set<std::string> names;
        for (const auto& fact : facts_)
            if (fact.kind == Kind::SameName && fact.source) names.insert(record(*fact.source).name);
        for (const auto& name : names) {
            // Every demand on `name` in this proof, grouped by spec text.
            std::map<std::string, std::vector<Chain>> demands;
            for (const std::size_t root : roots_) {
                const auto& spec = model_.request().specs.at(root);
                if (!spec.name.matches(name)) continue;
                Chain chain;
                chain.requested = spec.str();
                chain.origin = "requested";
                demands[spec.str()].push_back(std::move(chain));
            }
            std::set<std::pair<std::string, std::string>> seen;  // (spec, requester name)
            for (const auto& [candidate, specs] : requires_)
                for (const SpecId spec : specs) {
                    if (spec_name(spec) != name) continue;
                    const auto text = spec_text(spec);
                    if (!seen.insert({text, record(candidate).name}).second) continue;
                    if (demands[text].size() < kMaxChains) demands[text].push_back(demand_chain(candidate, spec));
                }
            for (const CandidateId id : involved_) {
                if (record(id).name != name) continue;
                if (origin(id) == Origin::Installed || origin(id) == Origin::Virtual) {
                    const auto text = fmt::format("{} {}", name, record(id).version.str());
                    Chain chain;
                    chain.requested = text;
                    chain.origin = origin(id) == Origin::Installed ? "installed" : "system";
                    demands[text].push_back(std::move(chain));
                }
            }
            if (demands.size() < 2) continue;
            Problem problem;
            problem.kind = Problem::Kind::Conflict;
            problem.package = name;
            std::vector<std::string> listed;
            for (auto& [text, chains] : demands) {
                problem.specs.push_back(text);
                listed.push_back(text);
                for (auto& chain : chains) problem.chains.push_back(std::move(chain));
            }
            problem.message = fmt::format("no version of {} satisfies all of: {}", name, join(listed, "; "));
            if (name.rfind("__", 0) == 0) problem.hints.push_back(virtual_hint(name));
            out.push_back(std::move(problem));
        }
    }

    Model& model_;
    std::vector<core::ProblemFact> facts_;
    std::set<CandidateId> involved_;
    std::set<std::size_t> roots_;
    std::map<CandidateId, std::set<SpecId>> requires_;
};

}  // namespace

std::string describe(const conda::PackageRecord& record) {
    return fmt::format("{} {} {}", record.name, record.version.str(), record.build);
}

Explanation explain(Model& model, const core::CoreResult& result) {
    Explanation explanation;
    std::set<std::string> seen;
    for (const auto& core_problem : result.problems) {
        std::vector<Problem> found;
        Explainer(model, core_problem).problems(found);
        for (auto& problem : found) {
            if (!seen.insert(problem.message).second) continue;
            if (explanation.problems.size() < kMaxProblems) explanation.problems.push_back(std::move(problem));
        }
    }
    if (explanation.problems.empty()) {
        Problem problem;
        problem.message = "the requested packages cannot be installed together";
        for (const auto& spec : model.request().specs) problem.specs.push_back(spec.str());
        explanation.problems.push_back(std::move(problem));
    }
    return explanation;
}

}  // namespace detail
}  // namespace envctl::solve
