#pragma once
// `envctl verify`: does an installed prefix still equal its lockfile, file by file?
//  - packages: the installed conda packages equal the lockfile's for the platform (by name,
//    then version, build and, when both know it, sha256); pip distributions equal the pip
//    entries (by normalized name and version);
//  - files: every file in a package's paths_data still has the sha256 recorded at link time
//    (sha256_in_prefix, else sha256), hashed in parallel; softlinks and directories must exist;
//  - extra files: files under the prefix that no package (conda or pip) owns, except
//    conda-meta/, __pycache__/ folders and *.pyc files.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/lock/lockfile.hpp"
#include "envctl/lock/prefix.hpp"
#include "envctl/util/result.hpp"

namespace envctl::lock {

struct PackageDrift {
    std::string name;
    std::string installed;  // "version build", empty when not installed
    std::string locked;     // "version build", empty when not locked
    std::string manager = "conda";
};

struct FileDrift {
    std::string package;  // the owning package's name
    std::vector<std::string> missing;
    std::vector<std::string> modified;
};

struct VerifyReport {
    std::string platform;
    std::vector<PackageDrift> missing_packages;     // locked, not installed
    std::vector<PackageDrift> extra_packages;       // installed, not locked
    std::vector<PackageDrift> mismatched_packages;  // installed with another version/build/hash
    std::vector<FileDrift> files;                   // per package with missing or modified files
    std::vector<std::string> extra_files;           // owned by no package
    std::size_t packages_checked = 0;
    std::size_t files_checked = 0;

    bool clean() const {
        return missing_packages.empty() && extra_packages.empty() && mismatched_packages.empty() && files.empty() &&
               extra_files.empty();
    }
};

struct VerifyOptions {
    std::string platform;                 // the lockfile platform to compare with
    std::vector<std::string> categories = {"main"};
    bool check_files = true;
    bool extra_files = true;
    unsigned threads = 0;                 // 0: one per CPU
};

// `lockfile` may be null: only the files are checked then.
Result<VerifyReport> verify_prefix(const Prefix& prefix, const Lockfile* lockfile, const VerifyOptions& options);

// {"clean": bool, "platform": ..., "packages_checked": n, "files_checked": n,
//  "missing_packages": [{name, locked, manager}], "extra_packages": [{name, installed, manager}],
//  "mismatched_packages": [{name, installed, locked, manager}],
//  "files": [{package, missing: [...], modified: [...]}], "extra_files": [...]}
nlohmann::json to_json(const VerifyReport& report);

}  // namespace envctl::lock
