#pragma once
// Installing wheels into a conda prefix and uninstalling Python distributions, without pip
// (PyPA "Binary distribution format", "Recording installed projects", "Direct URL data structure").
//
//   pip::WheelInstallRequest request{.wheel = path, .prefix = prefix, .python = {"3.11", ""},
//                                    .requested = true};
//   auto installed = pip::install_wheel(request);            // takes the prefix lock itself
//
// or, for several changes as one transaction under a lock the caller already holds:
//
//   pip::PipTransaction change{.prefix = prefix, .python = python, .remove = {...}, .install = {...}};
//   auto result = pip::apply_pip_transaction(change, lock);
//
// Guarantees (docs/python-packaging.md, "Installing wheels"):
// - Every wheel is extracted into a staging folder inside the prefix first
//   (conda-meta/.envctl-pip-staging/) and every file is checked against its RECORD hash and
//   size while it is written; a wheel that fails verification never touches the prefix.
// - Then a journal (conda-meta/.envctl-pip-transaction.json) lists every path the change will
//   create; files removed or replaced are moved to conda-meta/.envctl-pip-trash/, staged files
//   are renamed into place, .pyc files compiled, and RECORD written last per distribution.
//   A failure, or a kill -9 followed by recover_pip_transaction(), rolls everything back.
// - Archive members and RECORD entries that would land outside the prefix (absolute paths,
//   "..", symlinks) or in conda-meta/ are refused, and the uncompressed size is bounded.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "envctl/link/transaction.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pip {

// Where a distribution came from when it was installed from a direct reference (PEP 610):
// written as <dist-info>/direct_url.json. Credentials in `url` are removed before writing.
struct DirectUrl {
    std::string url;     // "https://host/x-1.0-py3-none-any.whl" or "file:///abs/x-1.0-py3-none-any.whl"
    std::string sha256;  // lowercase hex of the wheel; empty: computed from the file
};

// Bounds against hostile archives ("zip bombs"): exceeding one is ErrorKind::Integrity.
struct WheelLimits {
    std::uint64_t max_entries = 200'000;
    // Total uncompressed bytes: at most max(min_total_bytes, max_ratio * wheel file size).
    std::uint64_t min_total_bytes = 512ull << 20;
    std::uint64_t max_ratio = 200;
};

// One wheel to install.
struct WheelToInstall {
    std::filesystem::path wheel;  // a wheel file on disk (its name must parse as a wheel name)
    bool requested = false;       // the user asked for it: writes REQUESTED
    std::optional<DirectUrl> direct_url;
    std::string expected_sha256;  // when set, the wheel file must have this sha256 (hex)
};

// The environment's Python. `site_packages` is relative to the prefix; empty means
// "lib/python<version>/site-packages".
using PythonContext = link::PythonContext;

struct PipTransaction {
    std::filesystem::path prefix;
    PythonContext python;
    // Distributions to uninstall: .dist-info directory names ("requests-2.31.0.dist-info") or
    // project names ("requests"), looked up under site-packages.
    std::vector<std::string> remove;
    // Wheels to install. An installed distribution with the same normalized name is uninstalled
    // in the same transaction (an upgrade or downgrade), unless conda installed it: that is an
    // ErrorKind::Input error, since conda-meta owns those files.
    std::vector<WheelToInstall> install;
    // Compile the installed site-packages sources with <prefix>/bin/python (skipped, without
    // error, when that interpreter is missing). Failing to compile is a warning, as in pip.
    bool compile_pyc = true;
    WheelLimits limits;
    std::size_t threads = 0;  // wheels staged at once; 0: one per CPU
    std::function<void(const std::string&)> on_warning;
};

// What one installed wheel put into the prefix.
struct InstalledWheel {
    std::string name;       // as in METADATA
    std::string version;    // as in METADATA
    std::string dist_info;  // relative to the prefix: "lib/python3.11/site-packages/x-1.0.dist-info"
    std::vector<std::string> files;    // every file written, relative to the prefix, sorted (RECORD included)
    std::vector<std::string> scripts;  // bin/ files: entry points and .data/scripts, sorted
    std::size_t pyc_files = 0;
};

struct PipTransactionResult {
    std::vector<InstalledWheel> installed;  // in request order
    std::vector<std::string> removed;       // .dist-info directory names
    std::vector<std::string> replaced;      // prefix-relative files that existed and were overwritten
};

// Applies the change as one transaction (see the top of this file). The caller holds `lock`
// on `change.prefix` and has run recover_pip_transaction() since taking it.
Result<PipTransactionResult> apply_pip_transaction(const PipTransaction& change, const link::PrefixLock& lock);

// Rolls back (journal not committed) or completes (committed) a transaction that a killed
// process left in `prefix`, and removes a stray staging folder. Idempotent. Returns whether
// there was anything to do.
Result<bool> recover_pip_transaction(const std::filesystem::path& prefix, const link::PrefixLock& lock);

// One wheel, as its own transaction, taking the prefix lock (and recovering first).
struct WheelInstallRequest {
    std::filesystem::path wheel;
    std::filesystem::path prefix;
    PythonContext python;  // version "3.11"; site_packages may be empty
    bool requested = false;
    std::optional<DirectUrl> direct_url;
    bool compile_pyc = true;
    std::string expected_sha256;
    WheelLimits limits;
};
Result<InstalledWheel> install_wheel(const WheelInstallRequest& request);

// Uninstalls by RECORD: every listed file (and the .pyc files of listed sources) goes, then the
// whole .dist-info directory, then directories left empty. `dist_info_name` is a .dist-info
// directory name or a project name; an empty `site_packages` finds it in any
// lib/python*/site-packages. Takes the prefix lock; ErrorKind::Input when not installed.
Status uninstall_distribution(const std::filesystem::path& prefix, const std::string& site_packages,
                              const std::string& dist_info_name);

// A Python distribution found in site-packages (*.dist-info, whoever installed it).
struct InstalledDistribution {
    std::string name;        // as in METADATA
    std::string version;
    std::string installer;   // INSTALLER's first line ("envctl", "conda", "pip"), "" when absent
    bool requested = false;  // REQUESTED exists
    std::string dist_info;   // directory name
    std::string site_packages;  // relative to the prefix
    std::optional<std::string> direct_url;  // "url" of direct_url.json
};
// Sorted by normalized name. `site_packages` empty: every lib/python*/site-packages of the
// prefix. Unreadable or malformed METADATA is skipped (the directory name gives name and version).
Result<std::vector<InstalledDistribution>> list_distributions(const std::filesystem::path& prefix,
                                                              const std::string& site_packages = {});

// "lib/python3.11/site-packages" for "3.11" (or the context's own site_packages when set).
std::string site_packages_of(const PythonContext& python);

}  // namespace envctl::pip
