#pragma once
// `envctl create`: from specs, an environment file, channels and the configuration to a
// solved transaction (a plan). `--dry-run` prints the plan; installing it is the installer's
// part (ops/install.hpp), which can take plan.solution.records as the target environment.
//
//   ops::CreateRequest request;
//   request.prefix = "/tmp/env";
//   request.specs = {"python=3.11", "numpy"};
//   auto plan = ops::plan_create(request, config, environment, repodata_options);
//   if (plan && !plan->solution.satisfiable) print(plan->solution.explanation.text());
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/pip/resolve.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/solve/solver.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

struct CreateRequest {
    std::filesystem::path prefix;             // -p; wins over `name`
    std::string name;                         // -n: <envs_dirs[0]>/<name>
    std::filesystem::path file;               // -f environment.yml
    std::vector<std::string> specs;           // positional match specs
    std::vector<std::string> channels;        // -c, highest priority first
    bool override_channels = false;           // only the -c channels
    std::string platform;                     // --platform; empty: this machine's
    std::vector<std::string> pins;            // --pin, added to pinned_packages
    std::optional<std::string> exclude_newer;  // --exclude-newer DATE
    solve::DepsMode deps = solve::DepsMode::All;
    // Records already in the prefix (conda-meta), kept unless a spec needs a change. Empty for
    // `create`, which makes a new environment; `install`/`update` pass the prefix's records.
    std::vector<conda::PackageRecord> installed;
    // A lockfile's records for this platform: preferred, so a relock changes little.
    std::vector<conda::PackageRecord> locked;
};

struct CreatePlan {
    std::filesystem::path prefix;
    std::string platform;
    std::vector<conda::Channel> channels;  // in priority order (credentials inside: never print)
    std::vector<conda::MatchSpec> specs;   // what was requested (file and command line)
    std::vector<conda::PackageRecord> virtual_packages;
    solve::Solution solution;
    // Records of solution.link that are not in any package cache folder yet.
    std::vector<conda::PackageRecord> fetch;
    std::vector<std::pair<std::string, std::string>> env_vars;  // environment.yml `variables:`
    std::vector<std::string> notes;  // what was decided on the way, for the report
    // The environment file's pip: section, resolved after the conda solve (satisfiable only).
    std::vector<pip::ResolvedWheel> pip_wheels;
    std::vector<pip::ProvidedDistribution> pip_from_conda;  // pip requirements conda packages meet
};

// Reads the environment file (if any), resolves channels and the prefix, loads the repodata
// of every name reachable from the specs (platform + noarch), detects virtual packages (host
// platform) or takes the platform's defaults (--platform), and solves. Errors: bad input
// (Input/Usage), network (Network); an unsatisfiable request is a plan whose
// solution.satisfiable is false.
Result<CreatePlan> plan_create(const CreateRequest& request, const config::Config& config,
                               const config::Environment& environment, const repodata::Options& options);

// Where `create` puts the environment: -p, else <envs_dirs[0]>/<-n name>, else
// `.envctl/envs/<name>` beside the environment file (name: the file's `name:`, else "default").
Result<std::filesystem::path> create_prefix(const CreateRequest& request, const config::Config& config,
                                            std::string_view file_env_name);

// --exclude-newer: "2024-05-01", "2024-05-01T12:30:00Z" (UTC) or seconds since the epoch;
// returns milliseconds since the epoch (the first millisecond excluded).
Result<std::uint64_t> parse_exclude_newer(std::string_view text);

// micromamba's --json shape for a dry run:
//   {"success": true, "dry_run": true, "prefix": P,
//    "actions": {"FETCH": [...], "LINK": [...], "UNLINK": [...], "PREFIX": P}}
// with one record object per package (the fields of `envctl search --json`).
nlohmann::json plan_json(const CreatePlan& plan);
// {"success": false, "error": ..., "problems": [...], "explanation": text} for an
// unsatisfiable plan.
nlohmann::json unsatisfiable_json(const CreatePlan& plan);
nlohmann::json problem_json(const solve::Problem& problem);

}  // namespace envctl::ops
