#pragma once
// The lockfile paths of `envctl create`: which packages to install, decided without a solve
// whenever a lockfile or explicit file says so. The installer takes the plan's records as
// they are (no repodata download).
//
//   create -f environment.yml            lockfile beside it current -> install it; else relock
//                                        (locked versions preferred), rewrite it, install it
//   create -f environment.yml --locked   lockfile must be current: stale or missing fails
//   create -f environment.yml --frozen   install the lockfile as it is, without checking it
//   create -f x-lock.yml [--category C]  install a conda-lock v1 file (ours or other tools')
//   create -f explicit.txt               install a CEP 23 @EXPLICIT file
#include <filesystem>
#include <string>
#include <vector>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

enum class LockMode {
    Default,  // use a current lockfile, else relock and rewrite it
    Locked,   // --locked: use the lockfile only if it is current; never rewrite it
    Frozen,   // --frozen: use the lockfile as it is, without checking it
};

struct LockedInstallRequest {
    std::filesystem::path file;              // environment file, conda-lock file or explicit file
    LockMode mode = LockMode::Default;
    std::vector<std::string> categories;     // conda-lock categories; empty: main
    std::string platform;                    // empty: the host's
    bool check_virtual_packages = true;      // refuse packages whose __glibc/__cuda/... needs the host lacks
};

struct LockedInstallPlan {
    enum class Origin {
        Lockfile,          // a conda-lock file given with -f
        Explicit,          // an @EXPLICIT file given with -f
        CurrentLockfile,   // the lockfile beside the environment file was current
        Relocked,          // the lockfile beside the environment file was (re)written first
        FrozenLockfile,    // --frozen: the lockfile beside the environment file, unchecked
    };
    Origin origin = Origin::Lockfile;
    std::filesystem::path source;       // the file whose packages are installed
    std::string platform;
    // Conda packages, dependencies before dependents (file order when depends are unknown).
    // URLs carry no credentials: authenticate them with `channels`.
    std::vector<conda::PackageRecord> records;
    std::vector<lock::LockedPackage> pip_packages;  // manager: pip entries, for the pip installer
    std::vector<std::string> pip_requirements;      // envctl.pip lines to resolve at install time
    std::vector<conda::Channel> channels;           // the lockfile's channels, credentials expanded
    std::vector<std::string> requested_specs;       // the environment file's specs (for conda-meta/history)
    std::vector<std::string> messages;              // what was decided, e.g. "envctl-lock.yml is current"
};
std::string_view origin_name(LockedInstallPlan::Origin origin);  // "lockfile", "explicit", ...

// Whether `file` is installed through this path: a conda-lock file (by content, or by its
// *-lock.yml name), or an explicit file. Environment files answer false unless a lockfile
// mode (--locked/--frozen) asks for the lockfile beside them.
bool is_locked_input(const std::filesystem::path& file);

// The plan for `request`. Reads files only, except in Default mode when the lockfile beside an
// environment file is stale or missing: then it relocks (repodata of every locked platform)
// and rewrites it. --locked on a stale lockfile fails with ErrorKind::Unsatisfiable listing the
// reasons; --locked/--frozen without a lockfile fail with ErrorKind::Input.
Result<LockedInstallPlan> plan_locked_install(const LockedInstallRequest& request, const config::Config& config,
                                              const config::Environment& environment, const repodata::Options& options);

// The packages of one platform of a lockfile, dependencies first (no I/O).
Result<LockedInstallPlan> plan_from_lockfile(const lock::Lockfile& lockfile, const std::filesystem::path& source,
                                             const std::string& platform, const std::vector<std::string>& categories);

// Dependencies first: a stable topological order by `depends` names (cycles keep file order).
std::vector<conda::PackageRecord> dependency_order(std::vector<conda::PackageRecord> records);

}  // namespace envctl::ops
