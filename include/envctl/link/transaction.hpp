#pragma once
// Changing a prefix: unlink packages that go, link packages that come, as one transaction that
// a crash or kill -9 cannot leave half-done without the next run knowing.
//
//   auto lock = link::PrefixLock::acquire(prefix, on_wait);        // one writer per prefix
//   auto recovered = link::recover(prefix, *lock);                  // a journal left behind?
//   auto installed = link::read_prefix_records(prefix);
//   auto result = link::execute(prefix, unlink, link_sources, options, *lock);
//
// How it stays consistent (docs/installing.md tells users the same):
// - Before anything changes, a journal (conda-meta/.envctl-transaction.json) lists the
//   packages to unlink and, for each package to link, every path it will create.
// - Unlinking and overwriting never delete: replaced and removed files (and the conda-meta
//   records of unlinked packages) are moved into conda-meta/.envctl-trash/, mirroring their
//   paths. Linking creates the listed paths only.
// - Records of linked packages are written after all their files (and pyc files) exist; then
//   the journal is marked committed, the trash deleted and history appended.
// - recover() on a journal that is not committed rolls back: it removes the paths the journal
//   lists for linked packages and their records, then moves the trash back. On a committed
//   journal it completes: deletes the trash, appends the history block if missing. Both are
//   idempotent, so a kill during recovery is recovered by the next run.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/extract/package_info.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/util/result.hpp"

namespace envctl::link {

// An exclusive flock() on <prefix>/conda-meta/.envctl.lock (the prefix and conda-meta/ are
// created when missing). Released when destroyed.
class PrefixLock {
public:
    PrefixLock(PrefixLock&& other) noexcept;
    PrefixLock& operator=(PrefixLock&& other) noexcept;
    PrefixLock(const PrefixLock&) = delete;
    PrefixLock& operator=(const PrefixLock&) = delete;
    ~PrefixLock();

    // Waits for another process's lock, calling `on_wait` once first when it has to wait.
    static Result<PrefixLock> acquire(const std::filesystem::path& prefix, const std::function<void()>& on_wait = {});
    const std::filesystem::path& prefix() const { return prefix_; }

private:
    PrefixLock(std::filesystem::path prefix, int fd) : prefix_(std::move(prefix)), fd_(fd) {}
    std::filesystem::path prefix_;
    int fd_ = -1;
};

// The environment's python, for noarch: python packages.
struct PythonContext {
    std::string version;        // "3.11"
    std::string site_packages;  // "lib/python3.11/site-packages", or the record's CEP 20 path
};
// From the python record: major.minor of its version; nullopt when it has no minor version.
std::optional<PythonContext> python_context(const conda::PackageRecord& python);

// A package to link: its record and its extracted entry in the package cache.
struct LinkSource {
    conda::PackageRecord record;
    std::filesystem::path directory;  // extracted package
    std::filesystem::path archive;    // package_tarball_full_path
    extract::PackageInfo info;
    std::string requested_spec;       // "" for dependencies
    std::vector<std::string> warnings;  // from extraction; files of such packages are hashed
};

struct TransactionProgress {
    enum class Stage { Unlink, Link, Scripts, Compile, Done };
    Stage stage = Stage::Link;
    std::size_t done = 0;   // packages of this stage finished
    std::size_t total = 0;
    std::string package;    // the package being worked on
};

struct TransactionOptions {
    bool always_copy = false;  // copy instead of hard-linking
    bool link_scripts = true;  // run pre-link/post-link/pre-unlink scripts
    bool compile_pyc = true;   // compile noarch: python sources when the prefix has bin/python
    std::optional<PythonContext> python;  // the environment's python after the transaction
    std::filesystem::path root_prefix;    // ROOT_PREFIX for link scripts
    // History: the command line, tool version and specs of the "# update/remove specs:" lines.
    std::string command;
    std::string tool_version;
    std::vector<std::string> update_specs;
    std::vector<std::string> remove_specs;
    // When set, conda-meta/state is (re)written with these variables (empty: removed).
    std::optional<std::vector<std::pair<std::string, std::string>>> env_vars;
    // Packages linked at once (those that share no path); 0: one per CPU.
    std::size_t threads = 0;
    // Called from the calling thread or linking threads, never concurrently.
    std::function<void(const TransactionProgress&)> on_progress;
    std::function<void(const std::string&)> on_warning;
    // What packages ask to show before they are linked (info/prelink_messages/*.txt).
    std::function<void(const std::string&)> on_message;
};

struct TransactionResult {
    std::vector<std::string> linked;    // dist names, in link order
    std::vector<std::string> unlinked;  // in unlink order
    std::vector<std::string> clobbered;  // "path: <later package> replaced <earlier owner>"
    std::string messages;                // what link scripts left in $PREFIX/.messages.txt
    std::size_t hardlinks = 0;
    std::size_t copies = 0;
    std::size_t replaced = 0;  // files written with the prefix placeholder replaced
    std::size_t symlinks = 0;
    std::size_t pyc_files = 0;
};

// Packages in dependency order (a package after the packages it depends on; python first, then
// packages without noarch python, then noarch python; ties by name). Cycles are broken by name.
std::vector<std::size_t> dependency_order(const std::vector<const conda::PackageRecord*>& records);

// Applies the change: unlink `unlink` (records from read_prefix_records) in reverse dependency
// order, link `link` in dependency order, run link scripts, compile pyc files, write records,
// history and state. On any failure everything done is rolled back and the error returned.
Result<TransactionResult> execute(const std::filesystem::path& prefix, const std::vector<PrefixRecord>& unlink,
                                  std::vector<LinkSource> link, const TransactionOptions& options,
                                  const PrefixLock& lock);

struct RecoveryReport {
    enum class Outcome { Nothing, RolledBack, Completed };
    Outcome outcome = Outcome::Nothing;
    std::vector<std::string> linked;    // the interrupted transaction's packages to link
    std::vector<std::string> unlinked;  // and to unlink
    std::string summary() const;        // one sentence for users
};
// Finishes what a killed or failed run left in `prefix` (see the top of this file).
Result<RecoveryReport> recover(const std::filesystem::path& prefix, const PrefixLock& lock);

}  // namespace envctl::link
