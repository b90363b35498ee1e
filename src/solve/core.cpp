// The solver core on Debian's stock libsolv (built without conda support).
//
// Every spec becomes a namespace dependency NS(envctl:spec, "s<id>"): libsolv asks the
// namespace callback for its providers, which forwards to the adapter's CandidateMatcher.
// Candidates carry their preference as an all-digit EVR (the rank, zero padded), which the
// default (Debian) version comparison orders numerically, so libsolv's "best candidate" is the
// adapter's.
#include "envctl/solve/core.hpp"

#define LIBSOLV_SOLVABLE_PREPEND_DEP  // `requires` is a C++20 keyword
extern "C" {
#include <cstdio>
#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/problems.h>
#include <solv/queue.h>
#include <solv/repo.h>
#include <solv/rules.h>
#include <solv/solver.h>
}

#include <charconv>
#include <exception>
#include <memory>

#include <fmt/core.h>

namespace envctl::solve::core {
namespace {

struct PoolDeleter {
    void operator()(Pool* pool) const { pool_free(pool); }
};
struct SolverDeleter {
    void operator()(Solver* solver) const { solver_free(solver); }
};

// A libsolv Queue freed on scope exit.
struct OwnedQueue {
    Queue q;
    OwnedQueue() { queue_init(&q); }
    ~OwnedQueue() { queue_free(&q); }
    OwnedQueue(const OwnedQueue&) = delete;
    OwnedQueue& operator=(const OwnedQueue&) = delete;
    Queue* operator->() { return &q; }
    Queue* get() { return &q; }
};

class PoolBuilder {
public:
    PoolBuilder(const CoreRequest& request, CandidateMatcher& matcher)
        : request_(request), matcher_(matcher), pool_(pool_create()) {
        namespace_id_ = pool_str2id(pool_.get(), "envctl:spec", 1);
        spec_deps_.assign(request.spec_count, 0);
        pool_setnamespacecallback(pool_.get(), &PoolBuilder::providers_callback, this);
    }

    Result<CoreResult> run() {
        add_candidates();
        pool_createwhatprovides(pool_.get());
        std::unique_ptr<Solver, SolverDeleter> solver(solver_create(pool_.get()));
        solver_set_flag(solver.get(), SOLVER_FLAG_ALLOW_DOWNGRADE, 1);
        solver_set_flag(solver.get(), SOLVER_FLAG_ALLOW_ARCHCHANGE, 1);
        solver_set_flag(solver.get(), SOLVER_FLAG_ALLOW_VENDORCHANGE, 1);
        solver_set_flag(solver.get(), SOLVER_FLAG_FOCUS_INSTALLED, request_.focus_installed ? 1 : 0);
        OwnedQueue jobs;
        for (const auto& job : request_.jobs) push_job(jobs.get(), job);
        const int problem_count = solver_solve(solver.get(), jobs.get());
        if (callback_error_) std::rethrow_exception(callback_error_);

        CoreResult result;
        result.solved = problem_count == 0;
        if (result.solved)
            collect_selection(solver.get(), result);
        else
            collect_problems(solver.get(), result);
        return result;
    }

private:
    void add_candidates() {
        Pool* pool = pool_.get();
        solvable_of_.assign(request_.candidates.size(), 0);
        std::vector<std::vector<CandidateId>> by_source(request_.sources.size());
        for (CandidateId id = 0; id < request_.candidates.size(); ++id)
            by_source.at(request_.candidates[id].source).push_back(id);
        for (std::size_t index = 0; index < request_.sources.size(); ++index) {
            const auto& source = request_.sources[index];
            Repo* repo = repo_create(pool, source.name.c_str());
            repo->priority = source.priority;
            if (source.installed) pool_set_installed(pool, repo);
            for (const CandidateId id : by_source[index]) add_candidate(repo, id);
        }
        candidate_of_.assign(static_cast<std::size_t>(pool->nsolvables), kNone);
        for (CandidateId id = 0; id < solvable_of_.size(); ++id) candidate_of_[solvable_of_[id]] = id;
    }

    void add_candidate(Repo* repo, CandidateId id) {
        Pool* pool = pool_.get();
        const auto& candidate = request_.candidates[id];
        const Id solvable_id = repo_add_solvable(repo);
        Solvable* solvable = pool_id2solvable(pool, solvable_id);
        solvable->name = pool_strn2id(pool, candidate.name.data(), static_cast<unsigned>(candidate.name.size()), 1);
        // Zero-padded so that libsolv's EVR comparison orders ranks numerically. (snprintf, not
        // fmt::format_to_n: clang 14 mangles that template differently from Debian's g++-built libfmt.)
        char evr[24];
        std::snprintf(evr, sizeof evr, "%020llu", static_cast<unsigned long long>(candidate.rank));
        solvable->evr = pool_str2id(pool, evr, 1);
        solvable->arch = ARCH_NOARCH;
        solvable->dep_provides = repo_addid_dep(repo, solvable->dep_provides,
                                                pool_rel2id(pool, solvable->name, solvable->evr, REL_EQ, 1), 0);
        for (const SpecId spec : candidate.requires_specs)
            solvable->dep_requires = repo_addid_dep(repo, solvable->dep_requires, dep_of(spec), 0);
        for (const SpecId spec : candidate.conflict_specs)
            solvable->dep_conflicts = repo_addid_dep(repo, solvable->dep_conflicts, dep_of(spec), 0);
        solvable_of_[id] = solvable_id;
    }

    Id dep_of(SpecId spec) {
        Id& dep = spec_deps_.at(spec);
        if (dep == 0) {
            char text[16];
            std::snprintf(text, sizeof text, "s%u", static_cast<unsigned>(spec));
            const Id evr = pool_str2id(pool_.get(), text, 1);
            dep = pool_rel2id(pool_.get(), namespace_id_, evr, REL_NAMESPACE, 1);
        }
        return dep;
    }

    std::optional<SpecId> spec_of(Id dep) const {
        if (!ISRELDEP(dep)) return std::nullopt;
        const Reldep* relation = GETRELDEP(pool_.get(), dep);
        if (relation->flags != REL_NAMESPACE || relation->name != namespace_id_) return std::nullopt;
        return spec_of_evr(relation->evr);
    }

    // The spec id printed into a namespace dependency's argument ("s<id>").
    std::optional<SpecId> spec_of_evr(Id evr) const {
        if (ISRELDEP(evr)) return std::nullopt;
        const char* text = pool_id2str(pool_.get(), evr);
        if (text[0] != 's') return std::nullopt;
        SpecId spec = 0;
        const auto* end = text + std::char_traits<char>::length(text);
        if (std::from_chars(text + 1, end, spec).ec != std::errc{}) return std::nullopt;
        return spec;
    }

    static Id providers_callback(Pool* pool, void* data, Id name, Id evr) {
        auto* self = static_cast<PoolBuilder*>(data);
        if (name != self->namespace_id_) return 0;
        try {
            const auto spec = self->spec_of_evr(evr);
            if (!spec) return 0;
            self->scratch_.clear();
            self->matcher_.candidates_for(*spec, self->scratch_);
            if (self->scratch_.empty()) return 0;
            OwnedQueue providers;
            for (const CandidateId id : self->scratch_) queue_push(providers.get(), self->solvable_of_.at(id));
            return pool_queuetowhatprovides(pool, providers.get());
        } catch (...) {
            if (!self->callback_error_) self->callback_error_ = std::current_exception();
            return 0;
        }
    }

    // Install jobs list their candidates explicitly: libsolv treats an install job on a
    // namespace dependency as a weak "supplements" job that nothing can violate.
    void push_job(Queue* jobs, const Job& job) {
        Pool* pool = pool_.get();
        switch (job.kind) {
        case Job::Kind::Install: {
            scratch_.clear();
            matcher_.candidates_for(job.target, scratch_);
            if (scratch_.empty()) {
                // A name nothing provides: libsolv reports "nothing provides" for this job.
                const auto missing = fmt::format("envctl:nothing:s{}", job.target);
                queue_push2(jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, pool_str2id(pool, missing.c_str(), 1));
                break;
            }
            OwnedQueue candidates;
            for (const CandidateId id : scratch_) queue_push(candidates.get(), solvable_of_.at(id));
            queue_push2(jobs, SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF, pool_queuetowhatprovides(pool, candidates.get()));
            break;
        }
        case Job::Kind::Lock:
            queue_push2(jobs, SOLVER_LOCK | SOLVER_SOLVABLE, solvable_of_.at(job.target));
            break;
        }
    }

    void collect_selection(Solver* solver, CoreResult& result) const {
        const Pool* pool = pool_.get();
        for (CandidateId id = 0; id < solvable_of_.size(); ++id) {
            const Id solvable_id = solvable_of_[id];
            const int level = solver_get_decisionlevel(solver, solvable_id);
            const bool installed = pool->installed && pool_id2solvable(pool, solvable_id)->repo == pool->installed;
            if (level > 0 || (installed && level == 0)) result.selected.push_back(id);
        }
    }

    std::optional<CandidateId> candidate(Id solvable_id) const {
        if (solvable_id <= 0 || static_cast<std::size_t>(solvable_id) >= candidate_of_.size()) return std::nullopt;
        const CandidateId id = candidate_of_[static_cast<std::size_t>(solvable_id)];
        if (id == kNone) return std::nullopt;
        return id;
    }

    void collect_problems(Solver* solver, CoreResult& result) const {
        for (Id problem = solver_next_problem(solver, 0); problem != 0; problem = solver_next_problem(solver, problem)) {
            CoreProblem out;
            OwnedQueue rules;
            solver_findallproblemrules(solver, problem, rules.get());
            for (int i = 0; i < rules->count; ++i) {
                const Id rule = rules->elements[i];
                OwnedQueue infos;
                solver_allruleinfos(solver, rule, infos.get());
                const int job_index = solver_rule2jobidx(solver, rule);
                for (int k = 0; k + 3 < infos->count; k += 4) {
                    out.facts.push_back(fact(infos->elements[k], infos->elements[k + 1], infos->elements[k + 2],
                                             infos->elements[k + 3], job_index));
                }
                if (infos->count == 0 && job_index > 0)
                    out.facts.push_back(fact(SOLVER_RULE_JOB, 0, 0, 0, job_index));
            }
            result.problems.push_back(std::move(out));
        }
    }

    ProblemFact fact(Id type, Id from, Id to, Id dep, int job_index) const {
        ProblemFact fact;
        fact.source = candidate(from);
        fact.target = candidate(to);
        fact.spec = spec_of(dep);
        // solver_rule2jobidx gives 1 + the position in the job queue, two entries per job.
        if (job_index > 0) fact.job = static_cast<std::size_t>(job_index - 1) / 2;
        using K = ProblemFact::Kind;
        switch (type) {
        case SOLVER_RULE_JOB_NOTHING_PROVIDES_DEP:
        case SOLVER_RULE_JOB_UNKNOWN_PACKAGE: fact.kind = K::JobNothingProvides; break;
        case SOLVER_RULE_JOB:
        case SOLVER_RULE_JOB_PROVIDED_BY_SYSTEM:
        case SOLVER_RULE_JOB_UNSUPPORTED: fact.kind = K::Job; break;
        case SOLVER_RULE_PKG_NOTHING_PROVIDES_DEP: fact.kind = K::NothingProvides; break;
        case SOLVER_RULE_PKG_REQUIRES: fact.kind = K::Requires; break;
        case SOLVER_RULE_PKG_CONFLICTS:
        case SOLVER_RULE_PKG_SELF_CONFLICT: fact.kind = K::Conflicts; break;
        case SOLVER_RULE_PKG_SAME_NAME:
        case SOLVER_RULE_PKG_OBSOLETES:
        case SOLVER_RULE_PKG_IMPLICIT_OBSOLETES:
        case SOLVER_RULE_PKG_INSTALLED_OBSOLETES: fact.kind = K::SameName; break;
        case SOLVER_RULE_PKG_NOT_INSTALLABLE: fact.kind = K::NotInstallable; break;
        case SOLVER_RULE_UPDATE:
        case SOLVER_RULE_FEATURE: fact.kind = K::Installed; break;
        default: fact.kind = K::Other; break;
        }
        return fact;
    }

    static constexpr CandidateId kNone = ~CandidateId{0};

    const CoreRequest& request_;
    CandidateMatcher& matcher_;
    std::unique_ptr<Pool, PoolDeleter> pool_;
    Id namespace_id_ = 0;
    std::vector<Id> spec_deps_;
    std::vector<Id> solvable_of_;
    std::vector<CandidateId> candidate_of_;
    std::vector<CandidateId> scratch_;
    std::exception_ptr callback_error_;
};

}  // namespace

Result<CoreResult> solve(const CoreRequest& request, CandidateMatcher& matcher) {
    for (const auto& candidate : request.candidates) {
        if (candidate.source >= request.sources.size())
            return fail(ErrorKind::Internal, fmt::format("solver candidate '{}' has no source", candidate.name));
        for (const SpecId spec : candidate.requires_specs)
            if (spec >= request.spec_count) return fail(ErrorKind::Internal, "solver spec id out of range");
        for (const SpecId spec : candidate.conflict_specs)
            if (spec >= request.spec_count) return fail(ErrorKind::Internal, "solver spec id out of range");
    }
    for (const auto& job : request.jobs) {
        const bool on_spec = job.kind == Job::Kind::Install;
        if (job.target >= (on_spec ? request.spec_count : request.candidates.size()))
            return fail(ErrorKind::Internal, "solver job target out of range");
    }
    try {
        PoolBuilder builder(request, matcher);
        return builder.run();
    } catch (const std::exception& error) {
        return fail(ErrorKind::Internal, fmt::format("solver failed: {}", error.what()));
    }
}

}  // namespace envctl::solve::core
