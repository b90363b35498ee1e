#pragma once
// `envctl lock`: solve an environment file for every platform, without installing, and write a
// conda-lock v1 lockfile; `envctl lock --check`: decide offline whether that lockfile is current.
// docs/lockfiles.md is the user documentation, specs/lockfile.md the format and hash.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "envctl/config/config.hpp"
#include "envctl/lock/check.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/spec/environment.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

inline constexpr std::string_view kDefaultLockfileName = "envctl-lock.yml";

struct LockRequest {
    std::filesystem::path environment_file;
    std::vector<std::string> platforms;  // --platform; empty: the file's `platforms:`, else the host's
    std::filesystem::path lockfile;      // -o; empty: envctl-lock.yml beside the environment file
    std::vector<std::string> update;     // --update NAME: these may move, the rest stays where it can
    bool update_all = false;             // --update-all: ignore the existing lockfile's versions
};

// Everything a lock or a check derives from the request before touching the network.
struct LockInputs {
    spec::EnvironmentSpec environment;
    std::filesystem::path lockfile_path;
    std::vector<std::string> platforms;    // sorted
    bool exact_platforms = false;          // from the file's `platforms:`: the lockfile has exactly these
    std::vector<std::string> channel_texts;  // channels with ${VAR} expanded (may hold credentials: never print)
    lock::HashInputs hash_inputs;
    conda::ChannelContext channel_context;
    std::string category = "main";         // the file's `category:`, else main
};
Result<LockInputs> prepare_lock(const LockRequest& request, const config::Config& config,
                                const config::Environment& environment);

// The channel as a lockfile records it: `${VAR}` placeholders kept (their names listed),
// literal credentials removed.
lock::LockChannel lock_channel(std::string_view text);

struct LockOutcome {
    std::filesystem::path path;
    lock::Lockfile lockfile;
    bool written = false;  // false: the file already had exactly these bytes
    // One line per changed entry, e.g. "linux-64: + numpy 1.26.4 py312h_0",
    // "linux-64: - six 1.16.0 pyh_0", "linux-64: ~ zlib 1.2.13 h_0 -> 1.3.1 h_2".
    std::vector<std::string> changes;
    std::map<std::string, std::size_t> packages_per_platform;
};

// Solves every platform (repodata of <platform> and noarch; that platform's default virtual
// packages plus CONDA_OVERRIDE_*, never the host's detected ones, so a lock is the same on
// every machine), preferring the existing lockfile's records, and writes the lockfile when its
// bytes change. An unsatisfiable platform fails with ErrorKind::Unsatisfiable and the solver's
// explanation.
Result<LockOutcome> lock_environment(const LockRequest& request, const config::Config& config,
                                     const config::Environment& environment, const repodata::Options& options);

// The same, for inputs already prepared and an existing lockfile already read (or none):
// what `envctl create` uses when the lockfile beside the environment file is stale.
Result<LockOutcome> relock(const LockInputs& inputs, const lock::Lockfile* existing, const std::vector<std::string>& update,
                           const config::Config& config, const config::Environment& environment,
                           const repodata::Options& options);

struct LockCheckOutcome {
    std::filesystem::path path;
    lock::CheckResult result;
};
// Reads the lockfile and checks it against the environment file (no network). A missing or
// unreadable lockfile is an error (ErrorKind::Input).
Result<LockCheckOutcome> check_lock(const LockRequest& request, const config::Config& config,
                                    const config::Environment& environment);
lock::CheckResult check_lock(const LockInputs& inputs, const lock::Lockfile& lockfile);

}  // namespace envctl::ops
