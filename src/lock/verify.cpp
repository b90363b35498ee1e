// Comparing a prefix with its lockfile and re-hashing its files in parallel.
#include "envctl/lock/verify.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/lock/check.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/hash.hpp"

namespace envctl::lock {

namespace fs = std::filesystem;

namespace {

std::string version_and_build(const conda::PackageRecord& record) { return record.version.str() + " " + record.build; }

std::string version_and_build(const LockedPackage& entry) {
    if (entry.manager == Manager::Pip) return entry.version;
    auto build = entry.build;
    if (build.empty())
        if (auto record = to_record(entry)) build = record->build;
    return entry.version + " " + build;
}

// A lockfile without pip entries (pip packages are resolved at install time) only pins what
// its envctl.pip lines pin exactly ("name==version"); other pip distributions are not drift.
void compare_pinned_pip(const Prefix& prefix, const Lockfile& lockfile, VerifyReport& report) {
    const auto lines = lockfile.metadata.custom_metadata.find(std::string(kPipMetadataKey));
    if (lines == lockfile.metadata.custom_metadata.end()) return;
    for (const auto line : split(lines->second, '\n')) {
        const auto separator = line.find("==");
        if (separator == std::string_view::npos || line.find_first_of(";@[ ") != std::string_view::npos) continue;
        const auto name = pypi::normalize_name(line.substr(0, separator));
        const auto version = std::string(trim(line.substr(separator + 2)));
        const auto found = std::find_if(prefix.pip.begin(), prefix.pip.end(),
                                        [&](const PipDistribution& dist) { return pypi::normalize_name(dist.name) == name; });
        if (found == prefix.pip.end()) report.missing_packages.push_back({std::string(line.substr(0, separator)), {}, version, "pip"});
        else if (found->version != version) report.mismatched_packages.push_back({found->name, found->version, version, "pip"});
    }
}

void compare_packages(const Prefix& prefix, const Lockfile& lockfile, const VerifyOptions& options, VerifyReport& report) {
    std::map<std::string, const LockedPackage*> locked_conda, locked_pip;
    for (const auto* entry : select_packages(lockfile, options.platform, options.categories)) {
        if (entry->manager == Manager::Conda) locked_conda.emplace(entry->name, entry);
        else locked_pip.emplace(pypi::normalize_name(entry->name), entry);
    }
    for (const auto& package : prefix.packages) {
        const auto& record = package.record;
        const auto found = locked_conda.find(record.name);
        if (found == locked_conda.end()) {
            report.extra_packages.push_back({record.name, version_and_build(record), {}, "conda"});
            continue;
        }
        const auto& entry = *found->second;
        auto locked = to_record(entry);
        const bool same = locked && locked->version.str() == record.version.str() && locked->build == record.build &&
                          (entry.sha256.empty() || record.sha256.empty() || entry.sha256 == record.sha256) &&
                          (entry.md5.empty() || record.md5.empty() || entry.md5 == record.md5);
        if (!same) report.mismatched_packages.push_back({record.name, version_and_build(record), version_and_build(entry), "conda"});
        locked_conda.erase(found);
    }
    for (const auto& [name, entry] : locked_conda) report.missing_packages.push_back({name, {}, version_and_build(*entry), "conda"});
    if (locked_pip.empty()) {
        compare_pinned_pip(prefix, lockfile, report);
        return;
    }
    for (const auto& dist : prefix.pip) {
        const auto found = locked_pip.find(pypi::normalize_name(dist.name));
        if (found == locked_pip.end()) {
            report.extra_packages.push_back({dist.name, dist.version, {}, "pip"});
            continue;
        }
        if (found->second->version != dist.version)
            report.mismatched_packages.push_back({dist.name, dist.version, found->second->version, "pip"});
        locked_pip.erase(found);
    }
    for (const auto& [name, entry] : locked_pip) report.missing_packages.push_back({entry->name, {}, entry->version, "pip"});
}

enum class FileState { Ok, Missing, Modified };

FileState check_path(const fs::path& root, const InstalledPath& path) {
    const auto full = root / path.path;
    struct stat info {};
    if (::lstat(full.c_str(), &info) != 0) return FileState::Missing;
    if (path.path_type == "directory") return S_ISDIR(info.st_mode) ? FileState::Ok : FileState::Modified;
    if (path.path_type == "softlink") return S_ISLNK(info.st_mode) ? FileState::Ok : FileState::Modified;
    if (S_ISLNK(info.st_mode) || S_ISDIR(info.st_mode)) {
        // A hardlink-type path that is now a link or a folder has been replaced.
        return path.expected_sha256().empty() ? FileState::Ok : FileState::Modified;
    }
    const auto& expected = path.expected_sha256();
    if (expected.empty()) return FileState::Ok;  // generated files (pyc, entry points) have no digest
    auto digest = file_digest_hex(full, HashAlgorithm::Sha256);
    if (!digest) return FileState::Missing;
    return *digest == expected ? FileState::Ok : FileState::Modified;
}

void check_files(const Prefix& prefix, const VerifyOptions& options, VerifyReport& report) {
    struct Job {
        std::size_t package;
        const InstalledPath* path;
    };
    std::vector<Job> jobs;
    for (std::size_t i = 0; i < prefix.packages.size(); ++i)
        for (const auto& path : prefix.packages[i].paths) jobs.push_back({i, &path});
    // Big files first, so that one large file does not end the run on a single thread.
    std::stable_sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) {
        return a.path->size_in_bytes.value_or(0) > b.path->size_in_bytes.value_or(0);
    });
    std::vector<FileState> states(jobs.size(), FileState::Ok);
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (std::size_t index = next++; index < jobs.size(); index = next++) states[index] = check_path(prefix.path, *jobs[index].path);
    };
    unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(1, jobs.size() / 16)));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& thread : pool) thread.join();
    report.files_checked = jobs.size();

    std::map<std::size_t, FileDrift> drift;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        if (states[i] == FileState::Ok) continue;
        auto& entry = drift[jobs[i].package];
        entry.package = prefix.packages[jobs[i].package].record.name;
        (states[i] == FileState::Missing ? entry.missing : entry.modified).push_back(jobs[i].path->path);
    }
    for (auto& [index, entry] : drift) {
        std::sort(entry.missing.begin(), entry.missing.end());
        std::sort(entry.modified.begin(), entry.modified.end());
        report.files.push_back(std::move(entry));
    }
}

bool ignored_extra(const std::string& relative) {
    if (relative.rfind("conda-meta/", 0) == 0 || relative == ".messages.txt") return true;
    if (relative.size() > 4 && relative.compare(relative.size() - 4, 4, ".pyc") == 0) return true;
    return relative.find("__pycache__/") != std::string::npos;
}

void find_extra_files(const Prefix& prefix, VerifyReport& report) {
    std::set<std::string> owned;
    for (const auto& package : prefix.packages)
        for (const auto& path : package.paths) owned.insert(path.path);
    for (const auto& dist : prefix.pip) owned.insert(dist.files.begin(), dist.files.end());
    std::error_code error;
    fs::recursive_directory_iterator it(prefix.path, fs::directory_options::skip_permission_denied, error);
    for (; !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        const auto relative = it->path().lexically_relative(prefix.path).generic_string();
        if (it->is_directory(error) && !it->is_symlink(error)) {
            if (relative == "conda-meta" || it->path().filename() == "__pycache__") it.disable_recursion_pending();
            continue;
        }
        if (!owned.count(relative) && !ignored_extra(relative)) report.extra_files.push_back(relative);
    }
    std::sort(report.extra_files.begin(), report.extra_files.end());
}

nlohmann::json package_json(const PackageDrift& drift) {
    nlohmann::json out{{"name", drift.name}, {"manager", drift.manager}};
    if (!drift.installed.empty()) out["installed"] = drift.installed;
    if (!drift.locked.empty()) out["locked"] = drift.locked;
    return out;
}

}  // namespace

Result<VerifyReport> verify_prefix(const Prefix& prefix, const Lockfile* lockfile, const VerifyOptions& options) {
    VerifyReport report;
    report.platform = options.platform;
    report.packages_checked = prefix.packages.size() + prefix.pip.size();
    if (lockfile) {
        const auto& platforms = lockfile->metadata.platforms;
        if (std::find(platforms.begin(), platforms.end(), options.platform) == platforms.end())
            return fail(Error{ErrorKind::Input,
                              fmt::format("the lockfile does not lock platform {} (it has {})", options.platform,
                                          fmt::join(platforms, ", ")),
                              std::nullopt, {"pass --platform to compare with another platform's entries"}});
        compare_packages(prefix, *lockfile, options, report);
    }
    if (options.check_files) check_files(prefix, options, report);
    if (options.extra_files) find_extra_files(prefix, report);
    return report;
}

nlohmann::json to_json(const VerifyReport& report) {
    nlohmann::json out{{"clean", report.clean()},
                       {"platform", report.platform},
                       {"packages_checked", report.packages_checked},
                       {"files_checked", report.files_checked},
                       {"missing_packages", nlohmann::json::array()},
                       {"extra_packages", nlohmann::json::array()},
                       {"mismatched_packages", nlohmann::json::array()},
                       {"files", nlohmann::json::array()},
                       {"extra_files", report.extra_files}};
    for (const auto& drift : report.missing_packages) out["missing_packages"].push_back(package_json(drift));
    for (const auto& drift : report.extra_packages) out["extra_packages"].push_back(package_json(drift));
    for (const auto& drift : report.mismatched_packages) out["mismatched_packages"].push_back(package_json(drift));
    for (const auto& drift : report.files)
        out["files"].push_back({{"package", drift.package}, {"missing", drift.missing}, {"modified", drift.modified}});
    return out;
}

}  // namespace envctl::lock
