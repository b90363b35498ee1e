#pragma once
// The conda solver: match specs and channel records in, a transaction or an explanation out.
// Pure: no I/O, no environment variables (the caller detects virtual packages and reads
// configuration). docs/solver.md describes the semantics and where they follow conda.
//
//   solve::Request request;
//   request.specs = {*conda::MatchSpec::parse("python=3.11"), *conda::MatchSpec::parse("numpy")};
//   request.channels = {{"conda-forge", "https://conda.anaconda.org/conda-forge", records}};
//   request.virtual_packages = solve::virtual_packages_for("linux-64", detected, overrides);
//   auto solution = solve::solve(request);
//   if (solution && !solution->satisfiable) print(solution->explanation.text());
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::solve {

enum class ChannelPriority {
    Strict,    // a name comes only from the highest-priority channel that has it
    Flexible,  // higher-priority channels preferred, lower ones used when needed
    Disabled,  // channels ignored: the best version wins, channel order breaks ties
};

// The records of one channel (all subdirs together). The span is not owned: the records
// must outlive solve().
struct ChannelRecords {
    std::string name;  // as users see it ("conda-forge")
    std::string url;   // canonical credential-free URL, equal to the records' `channel`
    std::span<const conda::PackageRecord> records;
};

enum class DepsMode {
    All,       // the requested packages and their dependencies
    NoDeps,    // only the requested packages (conda --no-deps)
    OnlyDeps,  // only their dependencies (conda --only-deps)
};

struct Request {
    std::vector<conda::MatchSpec> specs;       // what the user asked for
    std::vector<ChannelRecords> channels;      // highest priority first
    std::vector<conda::PackageRecord> installed;  // the prefix's records; kept unless a spec needs a change
    std::vector<conda::PackageRecord> locked;     // a lockfile's records: preferred, so relocks change little
    std::vector<conda::MatchSpec> pins;        // pinned_packages and --pin: constrain, never add
    std::vector<conda::PackageRecord> virtual_packages;  // __glibc, __cuda, ... (see virtual_packages.hpp)
    ChannelPriority channel_priority = ChannelPriority::Strict;
    std::optional<std::uint64_t> exclude_newer;  // ms since the epoch: newer records are ignored
    bool add_pip_as_python_dependency = true;    // python depends on pip (when a channel has pip)
    DepsMode deps = DepsMode::All;
    conda::ChannelContext channel_context;       // resolves channel names inside specs
};

// How a requested spec leads to a demand: "a" (requested) -> a 1.0 requires b -> b 1.0
// requires c >=1,<2.
struct ChainStep {
    std::string package;        // "b 1.0", or "numpy 1.20.0 ... 1.21.5 (12 builds)"
    std::string requires_spec;  // what that package requires (or constrains) next
};
struct Chain {
    std::string requested;  // the requested spec at the top; empty when it starts elsewhere
    std::string origin;     // "requested", "installed", "system" (virtual packages), "pinned"
    std::vector<ChainStep> steps;
    std::string text() const;  // "a (requested) -> a 1.0 requires b -> b 1.0 requires c >=1,<2"
};

// One reason a request cannot be satisfied, in our words.
struct Problem {
    enum class Kind {
        NotFound,            // a requested spec matches no package at all
        MissingDependency,   // a package's dependency matches no package
        MissingVirtual,      // a dependency on a virtual package the system lacks (or has too old)
        Conflict,            // specs on one package that no single version satisfies together
        Constraint,          // a package's `constrains` rules out a package that is needed
        Other,
    };
    Kind kind = Kind::Other;
    std::string package;             // the package name the problem is about
    std::string message;             // one sentence naming the specs and packages
    std::vector<std::string> specs;  // the missing or conflicting specs
    std::vector<Chain> chains;       // how each spec is demanded
    std::vector<std::string> hints;  // what to do about it
};
std::string_view problem_kind_name(Problem::Kind kind);  // "not_found", "missing_dependency", ...

struct Explanation {
    std::vector<Problem> problems;
    // A short tree, e.g.
    //   Cannot satisfy the request:
    //   └─ pytorch 2.1.0 requires __cuda >=12 but your system has none
    //      ├─ pytorch=2.1 (requested) -> pytorch 2.1.0 requires __cuda >=12
    //      └─ hint: set CONDA_OVERRIDE_CUDA or choose a CPU build
    std::string text() const;
};

struct Solution {
    bool satisfiable = true;
    // The environment after the transaction, without virtual packages, dependencies first.
    std::vector<conda::PackageRecord> records;
    std::vector<conda::PackageRecord> link;    // records to add (dependencies first)
    std::vector<conda::PackageRecord> unlink;  // installed records to remove
    Explanation explanation;                   // when !satisfiable
    // Candidates loaded into the solver (records of names reachable from the request).
    std::size_t candidate_count = 0;
};

// Fails only on invalid input (ErrorKind::Input) or internal errors; an unsatisfiable request
// is a Solution with satisfiable == false.
Result<Solution> solve(const Request& request);

}  // namespace envctl::solve
