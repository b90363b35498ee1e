// execute() and recover(): the journaled prefix transaction described in transaction.hpp.
#include "envctl/link/transaction.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <queue>
#include <thread>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/extract/package_path.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "journal.hpp"
#include "package_linker.hpp"
#include "prefix_writer.hpp"
#include "scripts.hpp"

namespace envctl::link {

namespace fs = std::filesystem;
using detail::Journal;

// ---- PrefixLock ----

PrefixLock::PrefixLock(PrefixLock&& other) noexcept
    : prefix_(std::move(other.prefix_)), fd_(std::exchange(other.fd_, -1)) {}

PrefixLock& PrefixLock::operator=(PrefixLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        prefix_ = std::move(other.prefix_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

PrefixLock::~PrefixLock() {
    if (fd_ >= 0) ::close(fd_);
}

Result<PrefixLock> PrefixLock::acquire(const fs::path& prefix, const std::function<void()>& on_wait) {
    if (auto made = ensure_directory(prefix / "conda-meta"); !made) return fail(std::move(made.error()));
    const auto file = prefix / "conda-meta" / ".envctl.lock";
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
    bool waited = false;
    for (;;) {
        if (::flock(fd, LOCK_EX | (waited ? 0 : LOCK_NB)) == 0) return PrefixLock(prefix, fd);
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK && !waited) {
            if (on_wait) on_wait();
            waited = true;
            continue;
        }
        const int saved = errno;
        ::close(fd);
        return fail(ErrorKind::Io, fmt::format("cannot lock {}: {}", file.string(), std::strerror(saved)));
    }
}

// ---- helpers ----

std::optional<PythonContext> python_context(const conda::PackageRecord& python) {
    const auto parts = split(python.version.str(), '.');
    if (parts.size() < 2 || !is_ascii_digits(parts[0]) || parts[1].empty()) return std::nullopt;
    std::string minor;
    for (const char c : parts[1]) {
        if (c < '0' || c > '9') break;
        minor += c;
    }
    if (minor.empty()) return std::nullopt;
    PythonContext context;
    context.version = fmt::format("{}.{}", parts[0], minor);
    context.site_packages = python.python_site_packages_path.empty()
                                ? fmt::format("lib/python{}/site-packages", context.version)
                                : python.python_site_packages_path;
    return context;
}

namespace {

// "numpy >=1.2" -> "numpy", "conda-forge::numpy" -> "numpy", "numpy[version='>=1']" -> "numpy".
std::string depends_name(std::string_view spec) {
    spec = trim(spec);
    if (const auto colons = spec.rfind("::"); colons != std::string_view::npos) spec.remove_prefix(colons + 2);
    const auto end = spec.find_first_of(" =<>!~[");
    return to_lower(spec.substr(0, end));
}

int order_group(const conda::PackageRecord& record) {
    if (record.name == "python") return 0;
    return record.noarch == conda::NoArchType::Python ? 2 : 1;
}

}  // namespace

std::vector<std::size_t> dependency_order(const std::vector<const conda::PackageRecord*>& records) {
    const auto count = records.size();
    std::unordered_map<std::string, std::size_t> by_name;
    for (std::size_t i = 0; i < count; ++i) by_name.emplace(records[i]->name, i);
    std::vector<std::vector<std::size_t>> dependents(count);
    std::vector<std::size_t> missing(count, 0);  // dependencies not placed yet
    for (std::size_t i = 0; i < count; ++i) {
        std::set<std::size_t> seen;
        for (const auto& spec : records[i]->depends) {
            const auto it = by_name.find(depends_name(spec));
            if (it == by_name.end() || it->second == i || !seen.insert(it->second).second) continue;
            dependents[it->second].push_back(i);
            ++missing[i];
        }
    }
    using Key = std::tuple<int, std::string, std::size_t>;
    auto key = [&](std::size_t i) { return Key{order_group(*records[i]), records[i]->name, i}; };
    std::set<Key> ready;
    std::set<Key> waiting;
    for (std::size_t i = 0; i < count; ++i) (missing[i] == 0 ? ready : waiting).insert(key(i));
    std::vector<std::size_t> order;
    order.reserve(count);
    while (order.size() < count) {
        if (ready.empty()) {  // a dependency cycle: take the first waiting package
            ready.insert(*waiting.begin());
            waiting.erase(waiting.begin());
        }
        const auto next = std::get<2>(*ready.begin());
        ready.erase(ready.begin());
        order.push_back(next);
        for (const auto dependent : dependents[next]) {
            if (missing[dependent] == 0) continue;
            if (--missing[dependent] == 0 && waiting.erase(key(dependent))) ready.insert(key(dependent));
        }
    }
    return order;
}

std::string RecoveryReport::summary() const {
    switch (outcome) {
        case Outcome::Nothing: return {};
        case Outcome::Completed: return "completed a transaction that an earlier run left unfinished";
        case Outcome::RolledBack: {
            std::string text = "rolled back a transaction that an earlier run left unfinished";
            if (!linked.empty()) text += fmt::format(" (it was installing {} package{})", linked.size(), linked.size() == 1 ? "" : "s");
            return text;
        }
    }
    return {};
}

namespace {

std::int64_t ctime_ns(const struct stat& status) {
    return static_cast<std::int64_t>(status.st_ctim.tv_sec) * 1'000'000'000 + status.st_ctim.tv_nsec;
}

bool is_safe_relative(const std::string& path) {
    auto normal = extract::normalize_package_path(path);
    return normal && !normal->empty() && *normal == path;
}

// Every non-directory entry under the trash, as paths relative to it.
void walk_trash(const fs::path& root, std::vector<std::string>& files) {
    std::error_code error;
    fs::recursive_directory_iterator it(root, fs::directory_options::none, error), end;
    for (; !error && it != end; it.increment(error)) {
        if (it->is_directory(error) && !it->is_symlink(error)) continue;
        files.push_back(fs::relative(it->path(), root, error).generic_string());
    }
}

Status append_history(const fs::path& prefix, const std::string& block) {
    const auto file = prefix / "conda-meta" / "history";
    std::string existing;
    if (auto text = read_file(file)) existing = std::move(*text);
    if (!block.empty() && existing.find(block) != std::string::npos) return {};
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return fail(detail::io_error("open", file.string(), errno));
    std::size_t done = 0;
    while (done < block.size()) {
        const auto n = ::write(fd, block.data() + done, block.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            return fail(detail::io_error("write", file.string(), saved));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return {};
}

// After the commit point: history, trash and journal. Idempotent.
Status finish(const fs::path& prefix, const Journal& journal, const std::vector<std::string>& removed_directories) {
    if (auto appended = append_history(prefix, journal.history); !appended) return appended;
    const auto trash = prefix / std::string(detail::trash_directory);
    std::vector<std::string> removed;
    walk_trash(trash, removed);
    std::error_code error;
    fs::remove_all(trash, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot remove {}: {}", trash.string(), error.message()));
    const auto root = prefix.string();
    for (const auto& directory : removed_directories) {
        ::rmdir(fmt::format("{}/{}", root, directory).c_str());
        detail::remove_empty_parents(root, directory);
    }
    for (const auto& path : removed) detail::remove_empty_parents(root, path);
    return detail::remove_journal(prefix);
}

// Undoes a transaction that did not commit. Idempotent.
Status roll_back(const fs::path& prefix, Journal journal) {
    const auto root = prefix.string();
    if (journal.state == Journal::State::Running) {
        for (auto package = journal.link.rbegin(); package != journal.link.rend(); ++package) {
            for (auto path = package->paths.rbegin(); path != package->paths.rend(); ++path) {
                if (!is_safe_relative(*path)) continue;
                const auto full = root + "/" + *path;
                struct stat status {};
                if (::lstat(full.c_str(), &status) != 0) continue;
                if (S_ISDIR(status.st_mode)) {
                    ::rmdir(full.c_str());
                    continue;
                }
                if (ctime_ns(status) < journal.started_ns) continue;  // was there before: not ours
                if (::unlink(full.c_str()) != 0 && errno != ENOENT) return fail(detail::io_error("remove", full, errno));
            }
        }
        journal.state = Journal::State::Restoring;
        if (auto written = detail::write_journal(prefix, journal, false); !written) return written;
    }
    const auto trash = prefix / std::string(detail::trash_directory);
    std::vector<std::string> kept;
    walk_trash(trash, kept);
    for (const auto& path : kept) {
        const auto from = trash / path;
        const auto to = prefix / path;
        if (auto made = ensure_directory(to.parent_path()); !made) return made;
        struct stat status {};
        if (::lstat(to.c_str(), &status) == 0) {
            if (S_ISDIR(status.st_mode)) ::rmdir(to.c_str());
            else ::unlink(to.c_str());
        }
        if (::rename(from.c_str(), to.c_str()) != 0) return fail(detail::io_error("restore", to.string(), errno));
    }
    std::error_code error;
    fs::remove_all(trash, error);
    for (const auto& package : journal.link)
        for (const auto& path : package.paths)
            if (is_safe_relative(path)) detail::remove_empty_parents(root, path);
    return detail::remove_journal(prefix);
}

Status write_record(const fs::path& prefix, const PrefixRecord& record) {
    const auto file = prefix / "conda-meta" / record.file_name();
    const auto text = prefix_record_json(record).dump(2) + "\n";
    // The prefix lock is held: the process id and a counter make the name unique.
    static std::atomic<unsigned> counter{0};
    const auto temporary = prefix / "conda-meta" / fmt::format(".{}.tmp.{}.{}", record.file_name(), ::getpid(), counter++);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(detail::io_error("create", temporary.string(), errno));
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            return fail(detail::io_error("write", temporary.string(), saved));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        return fail(detail::io_error("rename into", file.string(), saved));
    }
    return {};
}

class Executor {
public:
    Executor(fs::path prefix, const std::vector<PrefixRecord>& unlink, std::vector<LinkSource>& link,
             const TransactionOptions& options)
        : prefix_(std::move(prefix)), unlink_(unlink), link_(link), options_(options), writer_(prefix_) {}

    Result<TransactionResult> run() {
        std::vector<const conda::PackageRecord*> records;
        for (const auto& source : link_) records.push_back(&source.record);
        link_order_ = dependency_order(records);
        records.clear();
        for (const auto& record : unlink_) records.push_back(&record.record);
        unlink_order_ = dependency_order(records);
        std::reverse(unlink_order_.begin(), unlink_order_.end());

        plans_.resize(link_.size());
        for (std::size_t i = 0; i < link_.size(); ++i) {
            auto plan = detail::plan_targets(link_[i], options_.python);
            if (!plan) return fail(std::move(plan.error()));
            plans_[i] = std::move(*plan);
        }
        auto now = detail::filesystem_now_ns(prefix_);
        if (!now) return fail(std::move(now.error()));
        journal_.started_ns = *now;
        for (const auto i : unlink_order_) journal_.unlink.push_back(unlink_[i].record.dist_name());
        for (const auto i : link_order_) {
            detail::JournalPackage package{link_[i].record.dist_name(), plans_[i].all_paths()};
            package.paths.push_back("conda-meta/" + link_[i].record.dist_name() + ".json");
            journal_.link.push_back(std::move(package));
        }
        if (options_.env_vars) journal_.link.push_back({"", {"conda-meta/state"}});
        if (auto written = detail::write_journal(prefix_, journal_, true); !written) return fail(std::move(written.error()));

        auto applied = apply();
        if (!applied) {
            auto error = std::move(applied.error());
            if (auto rolled = roll_back(prefix_, journal_); !rolled)
                error = std::move(error).with_hint("rolling the prefix back failed too (" + rolled.error().message +
                                                   "); the next envctl run on this prefix will retry");
            return fail(std::move(error));
        }
        return std::move(result_);
    }

private:
    void progress(TransactionProgress::Stage stage, std::size_t done, std::size_t total, const std::string& package) {
        if (options_.on_progress) options_.on_progress({stage, done, total, package});
    }
    void warn(const std::string& message) {
        if (options_.on_warning) options_.on_warning(message);
    }

    std::string owner_of(const std::string& path) {
        std::lock_guard lock(owners_mutex_);
        if (const auto it = linked_owner_.find(path); it != linked_owner_.end()) return it->second;
        if (!staying_loaded_) {
            staying_loaded_ = true;
            if (auto records = read_prefix_records(prefix_)) {
                for (const auto& record : *records)
                    for (const auto& owned : record.paths) staying_owner_.emplace(owned.path, record.record.dist_name());
            }
        }
        if (const auto it = staying_owner_.find(path); it != staying_owner_.end()) return it->second;
        return {};
    }

    Status unlink_all() {
        std::size_t done = 0;
        for (const auto i : unlink_order_) {
            const auto& record = unlink_[i];
            const auto dist = record.record.dist_name();
            progress(TransactionProgress::Stage::Unlink, done, unlink_order_.size(), dist);
            if (options_.link_scripts) {
                const auto script = fmt::format("{}/bin/.{}-pre-unlink.sh", writer_.prefix(), record.record.name);
                if (::access(script.c_str(), F_OK) == 0) {
                    auto ran = detail::run_link_script({script, writer_.prefix(), &record.record,
                                                        options_.root_prefix.string(), false, {}});
                    if (!ran) return fail(std::move(ran.error()));
                    if (ran->status != 0)
                        warn(fmt::format("the pre-unlink script of {} failed with exit status {}; removing the package "
                                         "anyway. Its output:\n{}",
                                         dist, ran->status, detail::tail_lines(ran->output, 20)));
                }
            }
            if (auto moved = writer_.move_to_trash("conda-meta/" + record.file_name()); !moved) return fail(std::move(moved.error()));
            for (const auto& path : record.paths) {
                if (!is_safe_relative(path.path)) {
                    warn(fmt::format("{}: conda-meta lists an unsafe path '{}'; left alone", dist,
                                     extract::printable_path(path.path)));
                    continue;
                }
                if (path.path_type == "directory") {
                    removed_directories_.push_back(path.path);
                    continue;
                }
                if (auto moved = writer_.move_to_trash(path.path); !moved) return fail(std::move(moved.error()));
            }
            result_.unlinked.push_back(dist);
            ++done;
        }
        return {};
    }

    Status run_post_link(const LinkSource& source, std::size_t index) {
        const auto dist = source.record.dist_name();
        const auto relative = post_link_path(index);
        std::vector<std::pair<std::string, std::string>> variables;
        if (options_.env_vars) variables = *options_.env_vars;
        auto ran = detail::run_link_script({writer_.full(relative), writer_.prefix(), &source.record,
                                            options_.root_prefix.string(), true, variables});
        if (!ran) return fail(std::move(ran.error()));
        if (ran->status == 0) return {};
        std::string messages;
        if (auto text = read_file(prefix_ / ".messages.txt")) messages = std::move(*text);
        Error error{ErrorKind::Io,
                    fmt::format("the post-link script of {} ({}) failed with exit status {}", dist, relative, ran->status),
                    {},
                    {}};
        if (!ran->output.empty()) error.message += fmt::format("; its output:\n{}", detail::tail_lines(ran->output, 30));
        if (!messages.empty()) error.message += fmt::format("\nmessages it left:\n{}", detail::tail_lines(messages, 30));
        return fail(std::move(error).with_hint("install without that package, or with --no-link-scripts to skip link scripts"));
    }

    Status run_pre_link(const LinkSource& source, const std::string& dist) {
        const auto script = fmt::format("{}/bin/.{}-pre-link.sh", source.directory.string(), source.record.name);
        if (::access(script.c_str(), F_OK) != 0) return {};
        warn(fmt::format("{} ships a pre-link script; running it as conda does", dist));
        auto ran = detail::run_link_script({script, writer_.prefix(), &source.record, options_.root_prefix.string(), false, {}});
        if (!ran) return fail(std::move(ran.error()));
        if (ran->status == 0) return {};
        return fail(ErrorKind::Io, fmt::format("the pre-link script of {} failed with exit status {}; its output:\n{}", dist,
                                               ran->status, detail::tail_lines(ran->output, 30)));
    }

    struct PackageOutcome {
        std::vector<std::string> warnings;
        std::vector<std::string> clobbers;
        std::optional<Error> error;
        detail::LinkCounters counters;
        bool copied = false;
    };

    std::string post_link_path(std::size_t i) const { return fmt::format("bin/.{}-post-link.sh", link_[i].record.name); }

    bool has_post_link(std::size_t i) const {
        const auto script = post_link_path(i);
        const auto& targets = plans_[i].targets;
        return std::find(targets.begin(), targets.end(), script) != targets.end();
    }

    bool has_pre_link(std::size_t i) const {
        const auto script = fmt::format("{}/bin/.{}-pre-link.sh", link_[i].directory.string(), link_[i].record.name);
        return ::access(script.c_str(), F_OK) == 0;
    }

    void link_one(std::size_t i, PackageOutcome& outcome) {
        const auto& source = link_[i];
        const auto dist = source.record.dist_name();
        for (const auto& warning : source.warnings) outcome.warnings.push_back(fmt::format("{}: {}", dist, warning));
        detail::PackageLinker linker(writer_, options_.always_copy, [&](const std::string& path) {
            const auto owner = owner_of(path);
            outcome.clobbers.push_back(owner.empty() ? fmt::format("{}: {} replaced a file no package owns", path, dist)
                                                     : fmt::format("{}: {} replaced the file of {}", path, dist, owner));
        });
        auto linked = linker.link(source, plans_[i], outcome.warnings);
        outcome.counters = linker.counters();
        outcome.copied = linker.copied();
        if (!linked) {
            outcome.error = std::move(linked.error());
            return;
        }
        {
            std::lock_guard lock(owners_mutex_);
            for (const auto& path : *linked) linked_owner_[path.path] = dist;
        }
        installed_[i] = std::move(*linked);
        std::lock_guard lock(progress_mutex_);
        progress(TransactionProgress::Stage::Link, ++linked_count_, link_order_.size(), dist);
    }

    // Links `packages` (indices into link_) on worker threads; they share no path.
    void link_parallel(const std::vector<std::size_t>& packages, std::vector<PackageOutcome>& outcomes) {
        std::atomic<std::size_t> next{0};
        std::atomic<bool> failed{false};
        auto work = [&] {
            for (std::size_t k; !failed && (k = next++) < packages.size();) {
                link_one(packages[k], outcomes[packages[k]]);
                if (outcomes[packages[k]].error) failed = true;
            }
        };
        const auto threads = std::min(packages.size(), link_threads());
        std::vector<std::thread> workers;
        for (std::size_t t = 1; t < threads; ++t) workers.emplace_back(work);
        work();
        for (auto& worker : workers) worker.join();
    }

    std::size_t link_threads() const {
        if (options_.threads) return options_.threads;
        return std::max<std::size_t>(1, std::thread::hardware_concurrency());
    }

    // Packages are linked in segments of the link order: a segment ends after a package with
    // a post-link script and before one with a pre-link script, so scripts run exactly where
    // conda runs them. Inside a segment, packages that share no path with another package of
    // the segment are linked in parallel; the others follow one by one in link order, so the
    // later package wins a shared path.
    Status link_all() {
        installed_.resize(link_.size());
        std::vector<PackageOutcome> outcomes(link_.size());
        std::size_t position = 0;
        while (position < link_order_.size()) {
            std::size_t end = position;
            while (end < link_order_.size()) {
                const auto i = link_order_[end];
                if (end > position && options_.link_scripts && has_pre_link(i)) break;
                ++end;
                if (options_.link_scripts && has_post_link(i)) break;
            }
            const auto first = link_order_[position];
            if (options_.link_scripts && has_pre_link(first))
                if (auto ran = run_pre_link(link_[first], link_[first].record.dist_name()); !ran) return ran;
            std::unordered_map<std::string, std::size_t> writers;
            for (auto k = position; k < end; ++k)
                for (const auto& path : plans_[link_order_[k]].all_paths()) ++writers[path];
            std::vector<std::size_t> parallel, sequential;
            for (auto k = position; k < end; ++k) {
                const auto i = link_order_[k];
                const auto paths = plans_[i].all_paths();
                const bool shares = std::any_of(paths.begin(), paths.end(), [&](const std::string& path) { return writers[path] > 1; });
                (shares ? sequential : parallel).push_back(i);
            }
            link_parallel(parallel, outcomes);
            bool failed = std::any_of(parallel.begin(), parallel.end(), [&](std::size_t i) { return outcomes[i].error.has_value(); });
            for (const auto i : sequential) {
                if (failed) break;
                link_one(i, outcomes[i]);
                failed = outcomes[i].error.has_value();
            }
            for (auto k = position; k < end; ++k) {
                auto& outcome = outcomes[link_order_[k]];
                for (const auto& warning : outcome.warnings) warn(warning);
                outcome.warnings.clear();
                result_.clobbered.insert(result_.clobbered.end(), outcome.clobbers.begin(), outcome.clobbers.end());
                outcome.clobbers.clear();
                result_.hardlinks += outcome.counters.hardlinks;
                result_.copies += outcome.counters.copies;
                result_.replaced += outcome.counters.replaced;
                result_.symlinks += outcome.counters.symlinks;
                outcome.counters = {};
                copied_ = copied_ || outcome.copied;
                if (outcome.error) return fail(std::move(*outcome.error));
            }
            const auto last = link_order_[end - 1];
            if (options_.link_scripts && has_post_link(last))
                if (auto ran = run_post_link(link_[last], last); !ran) return ran;
            for (auto k = position; k < end; ++k) result_.linked.push_back(link_[link_order_[k]].record.dist_name());
            position = end;
        }
        return {};
    }

    void compile_pyc() {
        if (!options_.compile_pyc || !options_.python) return;
        std::string list;
        for (const auto i : link_order_)
            for (const auto& source : plans_[i].sources) list += writer_.full(source) + "\n";
        if (list.empty()) return;
        const auto python = writer_.prefix() + "/bin/python";
        if (::access(python.c_str(), X_OK) != 0) return;
        progress(TransactionProgress::Stage::Compile, 0, 1, {});
        const auto list_file = prefix_ / "conda-meta" / ".envctl-pyc-sources.txt";
        if (auto written = write_file_atomic(list_file, list); !written) {
            warn("cannot compile .pyc files: " + written.error().message);
            return;
        }
        auto ran = detail::run_process({python, "-Wi", "-m", "compileall", "-q", "-l", "-i", list_file.string(), "-j", "0"});
        ::unlink(list_file.c_str());
        if (!ran) warn("cannot compile .pyc files: " + ran.error().message);
        else if (ran->status != 0)
            warn(fmt::format("compiling .pyc files failed (exit status {}); the packages work without them:\n{}",
                             ran->status, detail::tail_lines(ran->output, 10)));
        for (const auto i : link_order_) {
            for (const auto& pyc : plans_[i].pyc) {
                struct stat status {};
                if (::lstat(writer_.full(pyc).c_str(), &status) != 0) continue;
                InstalledPath path;
                path.path = pyc;
                path.path_type = "pyc_file";
                installed_[i].push_back(std::move(path));
                ++result_.pyc_files;
            }
        }
        progress(TransactionProgress::Stage::Compile, 1, 1, {});
    }

    Status write_records() {
        for (const auto i : link_order_) {
            const auto& source = link_[i];
            PrefixRecord record;
            record.record = source.record;
            record.paths = std::move(installed_[i]);
            record.requested_spec = source.requested_spec;
            record.extracted_package_dir = source.directory;
            record.package_tarball_full_path = source.archive;
            record.link_type = copied_ ? LinkType::Copy : LinkType::Hardlink;
            if (auto room = writer_.make_room("conda-meta/" + record.file_name()); !room) return fail(std::move(room.error()));
            if (auto written = write_record(prefix_, record); !written) return written;
        }
        if (options_.env_vars) {
            if (auto room = writer_.make_room("conda-meta/state"); !room) return fail(std::move(room.error()));
            if (!options_.env_vars->empty())
                if (auto written = write_file_atomic(prefix_ / "conda-meta" / "state", state_json(*options_.env_vars)); !written)
                    return written;
        }
        return {};
    }

    std::string history() const {
        HistoryEntry entry;
        entry.timestamp = history_timestamp_now();
        entry.command = options_.command;
        entry.tool_version = options_.tool_version;
        for (const auto i : unlink_order_) entry.unlinked.push_back(history_dist(unlink_[i].record));
        for (const auto i : link_order_) entry.linked.push_back(history_dist(link_[i].record));
        entry.update_specs = options_.update_specs;
        entry.remove_specs = options_.remove_specs;
        return history_block(entry);
    }

    void show_prelink_messages() {
        if (!options_.on_message) return;
        for (const auto i : link_order_) {
            const auto folder = link_[i].directory / "info" / "prelink_messages";
            std::error_code error;
            if (!fs::is_directory(folder, error)) continue;
            std::vector<fs::path> files;
            for (const auto& entry : fs::directory_iterator(folder, error))
                if (entry.is_regular_file(error) && !entry.is_symlink(error)) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            std::string text;
            for (const auto& file : files)
                if (auto content = read_file(file)) text += *content;
            if (!text.empty()) options_.on_message(fmt::format("{}:\n{}", link_[i].record.dist_name(), text));
        }
    }

    Status apply() {
        show_prelink_messages();
        if (auto unlinked = unlink_all(); !unlinked) return unlinked;
        if (auto linked = link_all(); !linked) return linked;
        compile_pyc();
        if (auto written = write_records(); !written) return written;
        journal_.history = history();
        journal_.state = Journal::State::Committed;
        if (auto written = detail::write_journal(prefix_, journal_, false); !written) return written;
        // Committed: from here on, failures leave a journal that the next run completes.
        if (auto finished = finish(prefix_, journal_, removed_directories_); !finished) return finished;
        const auto messages = prefix_ / ".messages.txt";
        if (auto text = read_file(messages)) {
            result_.messages = std::move(*text);
            ::unlink(messages.c_str());
        }
        progress(TransactionProgress::Stage::Done, 1, 1, {});
        return {};
    }

    fs::path prefix_;
    const std::vector<PrefixRecord>& unlink_;
    std::vector<LinkSource>& link_;
    const TransactionOptions& options_;
    detail::PrefixWriter writer_;
    std::vector<std::size_t> link_order_;
    std::vector<std::size_t> unlink_order_;
    std::vector<detail::TargetPlan> plans_;
    std::vector<std::vector<InstalledPath>> installed_;
    std::vector<std::string> removed_directories_;
    Journal journal_;
    TransactionResult result_;
    std::unordered_map<std::string, std::string> linked_owner_;
    std::unordered_map<std::string, std::string> staying_owner_;
    bool staying_loaded_ = false;
    bool copied_ = false;
    std::mutex owners_mutex_;
    std::mutex progress_mutex_;
    std::size_t linked_count_ = 0;
};

}  // namespace

Result<TransactionResult> execute(const fs::path& prefix, const std::vector<PrefixRecord>& unlink,
                                  std::vector<LinkSource> link, const TransactionOptions& options,
                                  const PrefixLock& lock) {
    (void)lock;  // proof that the caller holds the prefix
    auto journal = detail::read_journal(prefix);
    if (!journal) return fail(std::move(journal.error()));
    if (*journal)
        return fail(ErrorKind::Internal, "a transaction journal is present: recover() must run before execute()");
    Executor executor(fs::absolute(prefix).lexically_normal(), unlink, link, options);
    return executor.run();
}

Result<RecoveryReport> recover(const fs::path& prefix, const PrefixLock& lock) {
    (void)lock;
    RecoveryReport report;
    auto journal = detail::read_journal(prefix);
    if (!journal) return fail(std::move(journal.error()));
    if (!*journal) {
        std::error_code error;  // a trash without a journal holds nothing anyone needs
        fs::remove_all(prefix / std::string(detail::trash_directory), error);
        return report;
    }
    for (const auto& package : (*journal)->link)
        if (!package.dist.empty()) report.linked.push_back(package.dist);
    report.unlinked = (*journal)->unlink;
    if ((*journal)->state == Journal::State::Committed) {
        if (auto finished = finish(prefix, **journal, {}); !finished) return fail(std::move(finished.error()));
        report.outcome = RecoveryReport::Outcome::Completed;
        return report;
    }
    if (auto rolled = roll_back(prefix, std::move(**journal)); !rolled) return fail(std::move(rolled.error()));
    report.outcome = RecoveryReport::Outcome::RolledBack;
    return report;
}

}  // namespace envctl::link
