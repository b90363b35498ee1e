// Installing and uninstalling Python distributions as one journaled transaction
// (see include/envctl/pip/wheel_install.hpp for the guarantees).
#include "envctl/pip/wheel_install.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/pypi/metadata.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/util/fs.hpp"
#include "wheel_detail.hpp"

namespace envctl::pip {

namespace fs = std::filesystem;
using detail::io_error;

std::string site_packages_of(const PythonContext& python) {
    if (!python.site_packages.empty()) return python.site_packages;
    return fmt::format("lib/python{}/site-packages", python.version);
}

namespace {

struct Journal {
    bool committed = false;
    std::int64_t started_ns = 0;
    std::vector<std::string> create;   // prefix-relative paths this transaction may create
    std::vector<std::string> removed;  // prefix-relative paths moved to the trash on purpose
};

Status write_journal(const fs::path& prefix, const Journal& journal, bool durable) {
    nlohmann::json document;
    document["version"] = 1;
    document["state"] = journal.committed ? "committed" : "running";
    document["started_ns"] = journal.started_ns;
    document["create"] = journal.create;
    document["removed"] = journal.removed;
    // Paths from a foreign RECORD may not be UTF-8; only "removed" can hold those (for pruning).
    const auto text = document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return detail::replace_file((prefix / std::string(detail::journal_file)).string(), text, durable);
}

Result<std::optional<Journal>> read_journal(const fs::path& prefix) {
    const auto path = prefix / std::string(detail::journal_file);
    std::error_code error;
    if (!fs::exists(path, error)) return std::optional<Journal>();
    auto text = read_file(path);
    if (!text) return fail(std::move(text.error()));
    try {
        const auto document = nlohmann::json::parse(*text);
        Journal journal;
        journal.committed = document.at("state").get<std::string>() == "committed";
        journal.started_ns = document.at("started_ns").get<std::int64_t>();
        journal.create = document.at("create").get<std::vector<std::string>>();
        journal.removed = document.at("removed").get<std::vector<std::string>>();
        return std::optional<Journal>(std::move(journal));
    } catch (const nlohmann::json::exception& exception) {
        return fail(ErrorKind::Io, fmt::format("{} is damaged ({}); remove it after checking {} by hand", path.string(),
                                               exception.what(), prefix.string()));
    }
}

Result<std::int64_t> filesystem_now_ns(const fs::path& prefix) {
    const auto probe = temporary_sibling(prefix / "conda-meta" / ".envctl-pip-clock");
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(io_error("create", probe.string(), errno));
    struct stat status {};
    const int result = ::fstat(fd, &status);
    ::close(fd);
    ::unlink(probe.c_str());
    if (result != 0) return fail(io_error("inspect", probe.string(), errno));
    return static_cast<std::int64_t>(status.st_ctim.tv_sec) * 1'000'000'000 + status.st_ctim.tv_nsec;
}

std::int64_t ctime_ns(const struct stat& status) {
    return static_cast<std::int64_t>(status.st_ctim.tv_sec) * 1'000'000'000 + status.st_ctim.tv_nsec;
}

std::string real_path(const std::string& path) {
    char buffer[PATH_MAX];
    if (::realpath(path.c_str(), buffer) == nullptr) return {};
    return buffer;
}

// Removes directories left empty above `relative`, never site-packages, its parents or the
// folders every conda prefix has.
void prune_empty_parents(const std::string& prefix, const std::string& site_packages, std::string relative) {
    static constexpr std::string_view kept[] = {"bin", "conda-meta", "etc", "include", "lib", "share"};
    for (;;) {
        const auto slash = relative.rfind('/');
        if (slash == std::string::npos) return;
        relative.resize(slash);
        if (std::find(std::begin(kept), std::end(kept), relative) != std::end(kept)) return;
        if (site_packages == relative || site_packages.starts_with(relative + "/")) return;
        if (::rmdir(fmt::format("{}/{}", prefix, relative).c_str()) != 0) return;
    }
}

// Puts a trashed file back; used by rollback.
Status restore_trash(const std::string& prefix, std::int64_t started_ns) {
    const auto trash = fs::path(prefix) / std::string(detail::trash_directory);
    std::error_code error;
    if (!fs::exists(trash, error)) return {};
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(trash, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        if (!it->is_directory(error) || it->is_symlink(error)) files.push_back(it->path().lexically_relative(trash).string());
    }
    if (error) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", trash.string(), error.message()));
    detail::DirectoryMaker directories(prefix);
    for (const auto& relative : files) {
        const auto target = fmt::format("{}/{}", prefix, relative);
        struct stat status {};
        if (::lstat(target.c_str(), &status) == 0 && !S_ISDIR(status.st_mode) && ctime_ns(status) >= started_ns)
            ::unlink(target.c_str());
        if (auto made = directories.ensure_parent(relative); !made) return made;
        if (::rename((trash / relative).c_str(), target.c_str()) != 0) return fail(io_error("restore", target, errno));
    }
    fs::remove_all(trash, error);
    return {};
}

// Undoes a transaction that did not commit: removes what it created, restores what it moved away.
Status roll_back(const std::string& prefix, const std::string& site_packages, const Journal& journal) {
    for (auto it = journal.create.rbegin(); it != journal.create.rend(); ++it) {
        const auto path = prefix + "/" + *it;
        struct stat status {};
        if (::lstat(path.c_str(), &status) != 0 || S_ISDIR(status.st_mode)) continue;
        if (ctime_ns(status) < journal.started_ns) continue;  // not ours: it was there before
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail(io_error("remove", path, errno));
        prune_empty_parents(prefix, site_packages, *it);
    }
    if (auto restored = restore_trash(prefix, journal.started_ns); !restored) return restored;
    std::error_code error;
    fs::remove_all(fs::path(prefix) / std::string(detail::staging_directory), error);
    ::unlink((prefix + "/" + std::string(detail::journal_file)).c_str());
    return {};
}

void complete(const std::string& prefix, const std::string& site_packages, const Journal& journal) {
    std::error_code error;
    fs::remove_all(fs::path(prefix) / std::string(detail::trash_directory), error);
    fs::remove_all(fs::path(prefix) / std::string(detail::staging_directory), error);
    for (const auto& removed : journal.removed) prune_empty_parents(prefix, site_packages, removed);
    ::unlink((prefix + "/" + std::string(detail::journal_file)).c_str());
}

// The site-packages a journal's paths belong to, for pruning: the deepest */site-packages seen.
std::string site_packages_in(const Journal& journal) {
    for (const auto* list : {&journal.create, &journal.removed})
        for (const auto& path : *list) {
            const auto at = path.find("/site-packages/");
            if (at != std::string::npos) return path.substr(0, at + std::string_view("/site-packages").size());
        }
    return "lib/site-packages";
}

// The prefix as an absolute path without a trailing slash.
std::string prefix_string(const fs::path& prefix) {
    auto out = fs::absolute(prefix).lexically_normal().string();
    while (out.size() > 1 && out.ends_with('/')) out.pop_back();
    return out;
}

struct Removal {
    std::string dist_info_name;
    std::vector<std::string> files;  // prefix-relative, existing
};

Result<Removal> plan_removal(const std::string& prefix, const std::string& site_packages,
                             const InstalledDistribution& distribution) {
    Removal removal;
    removal.dist_info_name = distribution.dist_info;
    const auto dist_info = site_packages + "/" + distribution.dist_info;
    const auto record_file = prefix + "/" + dist_info + "/RECORD";
    auto text = read_file(record_file);
    if (!text)
        return fail(Error{ErrorKind::Input,
                          fmt::format("cannot uninstall {} {}: {} has no RECORD, so its files are unknown",
                                      distribution.name, distribution.version, dist_info),
                          {}, {"remove its files by hand, or recreate the environment"}});
    auto entries = pypi::parse_record(*text, record_file);
    if (!entries) return fail(std::move(entries.error()));
    std::set<std::string> files;
    for (const auto& entry : *entries) {
        const auto target = detail::record_path_to_target(site_packages, entry.path);
        if (target.empty() || target == "conda-meta" || target.starts_with("conda-meta/"))
            return fail(ErrorKind::Integrity, fmt::format("{}: the entry '{}' points outside the environment; refusing "
                                                          "to uninstall {}", record_file, entry.path, distribution.name));
        files.insert(target);
        if (!target.ends_with(".py")) continue;
        // .pyc files of any interpreter version: __pycache__/<stem>.*.pyc
        const auto slash = target.rfind('/');
        const auto directory = target.substr(0, slash == std::string::npos ? 0 : slash + 1) + "__pycache__";
        const auto stem = target.substr(slash == std::string::npos ? 0 : slash + 1);
        std::error_code error;
        for (auto it = fs::directory_iterator(fmt::format("{}/{}", prefix, directory), error); !error && it != fs::directory_iterator();
             it.increment(error)) {
            const auto name = it->path().filename().string();
            const auto base = stem.substr(0, stem.size() - 3);  // without ".py"
            if (name.size() > base.size() + 1 && name.starts_with(base) && name[base.size()] == '.' &&
                name.ends_with(".pyc"))
                files.insert(fmt::format("{}/{}", directory, name));
        }
    }
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(fmt::format("{}/{}", prefix, dist_info), error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (!it->is_directory(error) || it->is_symlink(error))
            files.insert(fmt::format("{}/{}", dist_info, it->path().lexically_relative(fmt::format("{}/{}", prefix, dist_info)).string()));
    }
    for (const auto& file : files) {
        struct stat status {};
        if (::lstat(fmt::format("{}/{}", prefix, file).c_str(), &status) == 0 && !S_ISDIR(status.st_mode))
            removal.files.push_back(file);
    }
    return removal;
}

class Transaction {
public:
    explicit Transaction(const PipTransaction& change)
        : change_(change), prefix_(prefix_string(change.prefix)), real_prefix_(real_path(prefix_)),
          site_packages_(site_packages_of(change.python)), directories_(prefix_) {}

    Result<PipTransactionResult> run() {
        if (change_.python.version.empty())
            return fail(ErrorKind::Internal, "installing wheels needs the environment's python version");
        auto installed = list_distributions(prefix_, site_packages_);
        if (!installed) return fail(std::move(installed.error()));
        installed_ = std::move(*installed);
        if (auto planned = plan_requested_removals(); !planned) return fail(std::move(planned.error()));
        auto started = filesystem_now_ns(prefix_);
        if (!started) return fail(std::move(started.error()));
        journal_.started_ns = *started;
        if (auto staged = stage_all(); !staged) {
            discard_staging();
            return fail(std::move(staged.error()));
        }
        if (auto planned = plan_replacements(); !planned) {
            discard_staging();
            return fail(std::move(planned.error()));
        }
        plan_journal();
        if (auto written = write_journal(prefix_, journal_, true); !written) {
            discard_staging();
            return fail(std::move(written.error()));
        }
        auto applied = apply();
        if (!applied) {
            if (auto rolled = roll_back(prefix_, site_packages_, journal_); !rolled)
                return fail(std::move(applied.error())
                                .with_hint("rolling back failed too (" + rolled.error().message +
                                           "); the next envctl command on this environment retries it"));
            return fail(std::move(applied.error()));
        }
        journal_.committed = true;
        if (auto written = write_journal(prefix_, journal_, false); !written) return fail(std::move(written.error()));
        complete(prefix_, site_packages_, journal_);
        return std::move(result_);
    }

private:
    const InstalledDistribution* find_installed(std::string_view name) const {
        for (const auto& distribution : installed_)
            if (distribution.dist_info == name || pypi::names_equal(distribution.name, name)) return &distribution;
        return nullptr;
    }

    Status add_removal(const InstalledDistribution& distribution) {
        for (const auto& removal : removals_)
            if (removal.dist_info_name == distribution.dist_info) return {};
        if (distribution.installer == "conda")
            return fail(Error{ErrorKind::Input,
                              fmt::format("{} {} was installed by conda; envctl does not replace or remove it as a "
                                          "Python distribution", distribution.name, distribution.version),
                              {}, {"change the conda package instead (envctl remove / install)"}});
        auto removal = plan_removal(prefix_, site_packages_, distribution);
        if (!removal) return fail(std::move(removal.error()));
        removals_.push_back(std::move(*removal));
        return {};
    }

    Status plan_requested_removals() {
        for (const auto& name : change_.remove) {
            const auto* distribution = find_installed(name);
            if (distribution == nullptr)
                return fail(ErrorKind::Input, fmt::format("{} is not installed in {}/{}", name, prefix_, site_packages_));
            if (auto added = add_removal(*distribution); !added) return added;
        }
        return {};
    }

    void discard_staging() {
        std::error_code error;
        fs::remove_all(fs::path(prefix_) / std::string(detail::staging_directory), error);
    }

    Status stage_all() {
        const auto staging = fs::path(prefix_) / std::string(detail::staging_directory);
        std::error_code error;
        fs::remove_all(staging, error);
        const detail::StageContext context{prefix_, site_packages_, change_.python.version, change_.limits};
        const auto count = change_.install.size();
        std::vector<std::optional<Result<detail::StagedWheel>>> outcomes(count);
        std::atomic<std::size_t> next{0};
        auto worker = [&] {
            for (auto i = next++; i < count; i = next++)
                outcomes[i] = detail::stage_wheel(change_.install[i], context, staging / std::to_string(i));
        };
        std::size_t threads = change_.threads ? change_.threads : std::max(1u, std::thread::hardware_concurrency());
        threads = std::min(threads, count);
        std::vector<std::thread> pool;
        for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
        if (count > 0) worker();
        for (auto& thread : pool) thread.join();
        for (auto& outcome : outcomes) {
            if (!*outcome) return fail(std::move(outcome->error()));
            staged_.push_back(std::move(**outcome));
        }
        return {};
    }

    Status plan_replacements() {
        std::unordered_map<std::string, std::string> names;
        for (const auto& wheel : staged_) {
            const auto normalized = pypi::normalize_name(wheel.name);
            if (auto [at, inserted] = names.emplace(normalized, wheel.version); !inserted)
                return fail(ErrorKind::Input, fmt::format("{} is to be installed twice ({} and {})", wheel.name, at->second,
                                                          wheel.version));
            if (const auto* distribution = find_installed(normalized))
                if (auto added = add_removal(*distribution); !added) return added;
        }
        return {};
    }

    bool can_compile() const {
        return change_.compile_pyc && ::access((prefix_ + "/bin/python").c_str(), X_OK) == 0;
    }

    void plan_journal() {
        std::set<std::string> created;
        for (const auto& wheel : staged_) {
            for (const auto& file : wheel.files) {
                created.insert(file.target);
                if (file.compile && can_compile()) created.insert(detail::pyc_target(file.target, change_.python.version));
            }
            created.insert(wheel.dist_info + "/RECORD");
        }
        journal_.create.assign(created.begin(), created.end());
        for (const auto& removal : removals_) journal_.removed.insert(journal_.removed.end(), removal.files.begin(),
                                                                      removal.files.end());
    }

    // The directory holding `relative` must resolve inside the prefix (no symlinked escape).
    Status check_parent(const std::string& relative) {
        const auto slash = relative.rfind('/');
        if (slash == std::string::npos) return {};
        const auto parent = relative.substr(0, slash);
        if (checked_parents_.count(parent)) return {};
        const auto resolved = real_path(prefix_ + "/" + parent);
        if (!resolved.empty() && !real_prefix_.empty() && resolved != real_prefix_ && !resolved.starts_with(real_prefix_ + "/"))
            return fail(ErrorKind::Integrity, fmt::format("{}/{} resolves to {}, outside the environment; refusing to "
                                                          "write there", prefix_, parent, resolved));
        checked_parents_.insert(parent);
        return {};
    }

    Status move_to_trash(const std::string& relative) {
        const auto path = prefix_ + "/" + relative;
        const auto trash = prefix_ + "/" + std::string(detail::trash_directory) + "/" + relative;
        struct stat status {};
        if (::lstat(trash.c_str(), &status) == 0) {  // trashed before: what is here now is ours
            if (::unlink(path.c_str()) != 0 && errno != ENOENT) return fail(io_error("remove", path, errno));
            return {};
        }
        if (auto made = trash_directories_.ensure_parent(relative); !made) return made;
        if (::rename(path.c_str(), trash.c_str()) != 0) return fail(io_error("move aside", path, errno));
        return {};
    }

    Status apply() {
        for (const auto& removal : removals_) {
            for (const auto& file : removal.files) {
                if (auto checked = check_parent(file); !checked) return checked;
                if (auto moved = move_to_trash(file); !moved) return moved;
            }
            result_.removed.push_back(removal.dist_info_name);
        }
        std::unordered_map<std::string, std::string> owners;  // target -> distribution of this batch
        for (const auto& wheel : staged_)
            if (auto placed = place_wheel(wheel, owners); !placed) return placed;
        compile();
        for (const auto& wheel : staged_)
            if (auto written = write_record(wheel); !written) return written;
        return {};
    }

    bool directory_exists(const std::string& relative) {
        if (existing_directories_.count(relative)) return true;
        struct stat status {};
        if (::lstat((prefix_ + "/" + relative).c_str(), &status) != 0) return false;
        // A symlink to a directory counts: check_parent() decides whether it may be written through.
        if (!S_ISDIR(status.st_mode) && !(S_ISLNK(status.st_mode) && fs::is_directory(prefix_ + "/" + relative)))
            return false;
        existing_directories_.insert(relative);
        return true;
    }

    // The outermost directory of `target` that the prefix lacks ("" when its parent exists).
    std::string first_missing_directory(const std::string& target) {
        for (auto slash = target.find('/'); slash != std::string::npos; slash = target.find('/', slash + 1)) {
            auto directory = target.substr(0, slash);
            if (!directory_exists(directory)) return directory;
        }
        return {};
    }

    // A directory the prefix lacks is moved from the staging folder whole (one rename instead of
    // one per file); other files one by one.
    Status place_wheel(const detail::StagedWheel& wheel, std::unordered_map<std::string, std::string>& owners) {
        std::vector<std::string> moved;
        for (const auto& file : wheel.files) {
            const bool inside_moved = std::any_of(moved.begin(), moved.end(), [&](const std::string& directory) {
                return file.target.starts_with(directory) && file.target[directory.size()] == '/';
            });
            if (inside_moved) {
                owners[file.target] = wheel.name;
                continue;
            }
            const auto missing = first_missing_directory(file.target);
            if (missing.empty()) {
                if (auto placed = place(wheel, file, owners); !placed) return placed;
                continue;
            }
            if (auto checked = check_parent(missing); !checked) return checked;
            const auto path = prefix_ + "/" + missing;
            if (::rename((wheel.staging / missing).c_str(), path.c_str()) != 0) return fail(io_error("install", path, errno));
            existing_directories_.insert(missing);
            moved.push_back(missing);
            owners[file.target] = wheel.name;
        }
        return {};
    }

    Status place(const detail::StagedWheel& wheel, const detail::StagedFile& file,
                 std::unordered_map<std::string, std::string>& owners) {
        if (auto made = directories_.ensure_parent(file.target); !made) return made;
        if (auto checked = check_parent(file.target); !checked) return checked;
        const auto path = prefix_ + "/" + file.target;
        struct stat status {};
        if (::lstat(path.c_str(), &status) == 0) {
            if (S_ISDIR(status.st_mode))
                return fail(ErrorKind::Io, fmt::format("cannot install {} from {}: a directory is in the way", path,
                                                       wheel.name));
            if (auto owner = owners.find(file.target); owner != owners.end())
                warn(fmt::format("{} and {} both install {}; {}'s copy is kept", owner->second, wheel.name, file.target,
                                 wheel.name));
            else
                result_.replaced.push_back(file.target);
            if (auto moved = move_to_trash(file.target); !moved) return moved;
        }
        owners[file.target] = wheel.name;
        const auto staged = (wheel.staging / file.target).string();
        if (::rename(staged.c_str(), path.c_str()) != 0) return fail(io_error("install", path, errno));
        return {};
    }

    void compile() {
        if (!can_compile()) return;
        std::string list;
        for (const auto& wheel : staged_)
            for (const auto& file : wheel.files)
                if (file.compile) list += prefix_ + "/" + file.target + "\n";
        if (list.empty()) return;
        const auto list_file = fs::path(prefix_) / "conda-meta" / ".envctl-pip-pyc-sources.txt";
        if (auto written = detail::replace_file(list_file.string(), list, false); !written) {
            warn("cannot compile .pyc files: " + written.error().message);
            return;
        }
        // -I -S: no PYTHON* variables (PYTHONPYCACHEPREFIX would put the files elsewhere), no site.
        std::vector<std::string> argv{prefix_ + "/bin/python", "-I", "-S", "-Wi", "-m", "compileall", "-q", "-l", "-i",
                                      list_file.string()};
        // Worker processes pay off for many files only.
        if (std::count(list.begin(), list.end(), '\n') > 400) argv.insert(argv.end(), {"-j", "0"});
        auto ran = detail::run_process(argv);
        ::unlink(list_file.c_str());
        if (!ran) warn("cannot compile .pyc files: " + ran.error().message);
        else if (ran->status != 0)
            warn(fmt::format("compiling .pyc files failed (exit status {}); the packages work without them:\n{}",
                             ran->status, ran->output.substr(0, 2000)));
    }

    Status write_record(const detail::StagedWheel& wheel) {
        std::vector<pypi::RecordEntry> entries;
        InstalledWheel installed;
        installed.name = wheel.name;
        installed.version = wheel.version;
        installed.dist_info = wheel.dist_info;
        installed.scripts = wheel.scripts;
        auto add = [&](const std::string& target, std::string digest, std::optional<std::uint64_t> size) {
            pypi::RecordEntry entry;
            entry.path = detail::target_to_record_path(site_packages_, target);
            if (!digest.empty()) {
                entry.hash_algorithm = "sha256";
                entry.hash_digest = std::move(digest);
            }
            entry.size = size;
            entries.push_back(std::move(entry));
            installed.files.push_back(target);
        };
        for (const auto& file : wheel.files) {
            add(file.target, file.sha256_digest, file.size);
            if (!file.compile) continue;
            const auto pyc = detail::pyc_target(file.target, change_.python.version);
            struct stat status {};
            if (::lstat((prefix_ + "/" + pyc).c_str(), &status) != 0) continue;
            auto digest = detail::record_digest_of_file(prefix_ + "/" + pyc, "sha256");
            if (!digest) return fail(std::move(digest.error()));
            add(pyc, std::move(*digest), static_cast<std::uint64_t>(status.st_size));
            ++installed.pyc_files;
        }
        add(wheel.dist_info + "/RECORD", {}, std::nullopt);
        std::sort(entries.begin(), entries.end(),
                  [](const pypi::RecordEntry& a, const pypi::RecordEntry& b) { return a.path < b.path; });
        const auto record = fs::path(prefix_) / (wheel.dist_info + "/RECORD");
        if (auto written = detail::replace_file(record.string(), pypi::format_record(entries), false); !written)
            return written;
        std::sort(installed.files.begin(), installed.files.end());
        result_.installed.push_back(std::move(installed));
        return {};
    }

    void warn(const std::string& message) {
        if (change_.on_warning) change_.on_warning(message);
    }

    const PipTransaction& change_;
    std::string prefix_;
    std::string real_prefix_;
    std::string site_packages_;
    detail::DirectoryMaker directories_;
    detail::DirectoryMaker trash_directories_{prefix_ + "/" + std::string(detail::trash_directory)};
    std::vector<InstalledDistribution> installed_;
    std::vector<Removal> removals_;
    std::vector<detail::StagedWheel> staged_;
    std::unordered_set<std::string> checked_parents_;
    std::unordered_set<std::string> existing_directories_;
    Journal journal_;
    PipTransactionResult result_;
};

}  // namespace

Result<PipTransactionResult> apply_pip_transaction(const PipTransaction& change, const link::PrefixLock& lock) {
    (void)lock;  // proof that the caller holds the prefix
    return Transaction(change).run();
}

Result<bool> recover_pip_transaction(const fs::path& prefix, const link::PrefixLock& lock) {
    (void)lock;
    const auto root = prefix_string(prefix);
    auto journal = read_journal(root);
    if (!journal) return fail(std::move(journal.error()));
    std::error_code error;
    if (!*journal) {
        const auto staging = fs::path(root) / std::string(detail::staging_directory);
        if (!fs::exists(staging, error)) return false;
        fs::remove_all(staging, error);
        return true;
    }
    const auto site_packages = site_packages_in(**journal);
    if ((*journal)->committed) {
        complete(root, site_packages, **journal);
        return true;
    }
    if (auto rolled = roll_back(root, site_packages, **journal); !rolled) return fail(std::move(rolled.error()));
    return true;
}

namespace {

Result<PipTransactionResult> locked_transaction(const PipTransaction& change) {
    auto lock = link::PrefixLock::acquire(change.prefix);
    if (!lock) return fail(std::move(lock.error()));
    if (auto recovered = recover_pip_transaction(change.prefix, *lock); !recovered)
        return fail(std::move(recovered.error()));
    return apply_pip_transaction(change, *lock);
}

}  // namespace

Result<InstalledWheel> install_wheel(const WheelInstallRequest& request) {
    PipTransaction change;
    change.prefix = request.prefix;
    change.python = request.python;
    change.install.push_back(WheelToInstall{request.wheel, request.requested, request.direct_url, request.expected_sha256});
    change.compile_pyc = request.compile_pyc;
    change.limits = request.limits;
    change.threads = 1;
    auto result = locked_transaction(change);
    if (!result) return fail(std::move(result.error()));
    return std::move(result->installed.front());
}

Status uninstall_distribution(const fs::path& prefix, const std::string& site_packages, const std::string& dist_info_name) {
    PipTransaction change;
    change.prefix = prefix;
    change.python.site_packages = site_packages;
    if (site_packages.empty()) {  // wherever it is installed
        auto installed = list_distributions(prefix);
        if (!installed) return fail(std::move(installed.error()));
        const auto found = std::find_if(installed->begin(), installed->end(), [&](const InstalledDistribution& d) {
            return d.dist_info == dist_info_name || pypi::names_equal(d.name, dist_info_name);
        });
        if (found == installed->end())
            return fail(ErrorKind::Input, fmt::format("{} is not installed in {}", dist_info_name, prefix.string()));
        change.python.site_packages = found->site_packages;
    }
    change.python.version = "0";  // no wheel is installed, so no .pyc path is computed
    change.remove.push_back(dist_info_name);
    auto result = locked_transaction(change);
    if (!result) return fail(std::move(result.error()));
    return {};
}

}  // namespace envctl::pip
