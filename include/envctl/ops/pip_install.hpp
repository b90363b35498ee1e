#pragma once
// Installing the pip packages of an environment after its conda packages: wheels resolved by
// pip::resolve (envctl create -f environment.yml) or locked `manager: pip` entries (--locked,
// --frozen, conda-lock files), downloaded through the PyPI client's wheel cache with their
// sha256 checked, and installed as one pip::apply_pip_transaction under the prefix lock.
#include <filesystem>
#include <string>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/pip/conda_names.hpp"
#include "envctl/pip/environment.hpp"
#include "envctl/pip/resolve.hpp"
#include "envctl/pip/wheel_install.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

struct PipPackage {
    std::string name;  // normalized
    std::string version;
    std::string url;     // may carry credentials when it came from the index: never print it raw
    std::string sha256;  // required
    bool requested = false;
    bool direct = false;  // a direct reference: direct_url.json is written
};

std::vector<PipPackage> pip_packages(const std::vector<pip::ResolvedWheel>& wheels);
// Locked entries; `requested` names (normalized) get REQUESTED. Entries without a sha256 are an
// ErrorKind::Input error: envctl installs locked wheels only with a hash to check.
Result<std::vector<PipPackage>> pip_packages(const std::vector<lock::LockedPackage>& entries,
                                             const std::vector<std::string>& requested);

struct PipInstallRequest {
    std::filesystem::path prefix;
    // The environment's records after the conda install: python's version and site-packages.
    std::vector<conda::PackageRecord> records;
    std::vector<PipPackage> packages;
    pip::PipSettings settings;  // cache folder and network for the wheel downloads
    bool compile_pyc = true;
    std::function<void(const std::string&)> on_warning;
};

struct PipInstallOutcome {
    std::vector<pip::InstalledWheel> installed;
    std::vector<std::string> removed;  // .dist-info names replaced by other versions
    std::size_t downloaded = 0;
};

Result<PipInstallOutcome> install_pip_packages(const PipInstallRequest& request);

// The Python distributions that conda packages hold, for pip::provided_by_conda(): the
// .dist-info / .egg-info folders directly in a site-packages folder of each Python record's
// extracted entry in the package caches (`pkgs_dirs`, looked up as fetch does: same archive, same
// hash), and, when `prefix` is given, of the files its conda-meta/<name>-<version>-<build>.json
// lists for that same record. Records found in neither are absent (the resolver falls back to
// their names). Reads only; nothing missing or unreadable is an error.
pip::CondaDistributions conda_distributions(const std::vector<conda::PackageRecord>& records,
                                            const std::vector<std::filesystem::path>& pkgs_dirs,
                                            const std::filesystem::path& prefix = {});

// The requirement names of pip: lines (for REQUESTED when installing from a lockfile).
std::vector<std::string> requested_pip_names(const std::vector<std::string>& lines);

}  // namespace envctl::ops
