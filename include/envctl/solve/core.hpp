#pragma once
// The ecosystem-neutral solver core: a SAT solve (libsolv) over abstract candidates.
//
// Adapters (conda today, PyPI later) describe candidates and their requirements as opaque
// spec ids; the core asks the adapter which candidates satisfy a spec (CandidateMatcher) only
// when libsolv needs it, so ecosystem semantics never leave the adapter. Candidates of the same
// name exclude each other; among them the solver prefers higher `rank`, and among sources it
// prefers higher `priority`. No libsolv type appears here.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::solve::core {

using CandidateId = std::uint32_t;  // index into CoreRequest::candidates
using SpecId = std::uint32_t;       // adapter-defined, below CoreRequest::spec_count

// Where candidates come from (a channel, the installed prefix). Higher priority is preferred
// before rank; candidates of an `installed` source are kept unless a job or rule forces a change.
struct Source {
    std::string name;
    int priority = 0;
    bool installed = false;
};

struct Candidate {
    std::string name;
    std::uint32_t source = 0;   // index into CoreRequest::sources
    std::uint64_t rank = 0;     // preference among candidates of the same name: higher is better
    std::vector<SpecId> requires_specs;   // each needs at least one satisfying candidate installed
    std::vector<SpecId> conflict_specs;   // no satisfying candidate may be installed alongside
};

struct Job {
    enum class Kind {
        Install,  // spec: install one candidate satisfying it
        Lock,     // candidate: keep it exactly as it is (installed or not)
    };
    Kind kind = Kind::Install;
    std::uint32_t target = 0;  // SpecId for Install, CandidateId for Lock
};

struct CoreRequest {
    std::vector<Source> sources;
    std::vector<Candidate> candidates;
    std::vector<Job> jobs;
    std::size_t spec_count = 0;
    // Decide about installed candidates before requested ones: minimal change of a prefix.
    bool focus_installed = false;
};

// Answers which candidates satisfy a spec. Called lazily, at most once per spec and solve.
class CandidateMatcher {
public:
    virtual ~CandidateMatcher() = default;
    virtual void candidates_for(SpecId spec, std::vector<CandidateId>& out) = 0;
};

// One fact of an unsatisfiability proof, in adapter terms.
struct ProblemFact {
    enum class Kind {
        JobNothingProvides,  // job's spec has no candidate
        Job,                 // the job itself (a requested spec, forbid, lock)
        NothingProvides,     // candidate `source` requires `spec`, which nothing satisfies
        Requires,            // candidate `source` requires `spec` (all satisfying ones are excluded)
        Conflicts,           // candidate `source` conflicts (spec) with candidate `target`
        SameName,            // candidates `source` and `target` share a name
        NotInstallable,      // candidate `source` cannot be installed at all
        Installed,           // installed candidate `source` must be kept or replaced
        Other,
    };
    Kind kind = Kind::Other;
    std::optional<CandidateId> source;
    std::optional<CandidateId> target;
    std::optional<SpecId> spec;
    std::optional<std::size_t> job;  // index into CoreRequest::jobs
};

struct CoreProblem {
    std::vector<ProblemFact> facts;
};

struct CoreResult {
    bool solved = false;
    std::vector<CandidateId> selected;   // the installed set after the solve (kept + new)
    std::vector<CoreProblem> problems;   // when not solved
};

Result<CoreResult> solve(const CoreRequest& request, CandidateMatcher& matcher);

}  // namespace envctl::solve::core
