// clean(): unused package cache entries, archives and the repodata cache.
#include "envctl/ops/clean.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/fetch/cache.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/ops/environments.hpp"
#include "envctl/util/fs.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

fs::path canonical_or_normal(const fs::path& path) {
    std::error_code error;
    auto out = fs::weakly_canonical(path, error);
    return error ? path.lexically_normal() : out;
}

// Apparent size of the files below `path` (symlinks not followed), and whether any regular
// file there has more than one hard link.
struct TreeSize {
    std::uint64_t bytes = 0;
    bool shared = false;
};

TreeSize tree_size(const fs::path& path) {
    TreeSize out;
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) return out;
    if (!S_ISDIR(info.st_mode)) {
        out.bytes = static_cast<std::uint64_t>(info.st_size);
        out.shared = S_ISREG(info.st_mode) && info.st_nlink > 1;
        return out;
    }
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::none, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
        if (::lstat(it->path().c_str(), &info) != 0 || S_ISDIR(info.st_mode)) continue;
        out.bytes += static_cast<std::uint64_t>(info.st_size);
        if (S_ISREG(info.st_mode) && info.st_nlink > 1) out.shared = true;
    }
    return out;
}

bool is_archive(const std::string& name) { return name.ends_with(".conda") || name.ends_with(".tar.bz2"); }

// Removes `path` without ever leaving it half-removed under its name: rename, then delete.
Status remove_entry(const fs::path& path) {
    std::error_code error;
    const auto doomed = temporary_sibling(path.parent_path() / (".envctl-clean-" + path.filename().string()));
    fs::rename(path, doomed, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot remove {}: {}", path.string(), error.message()));
    fs::remove_all(doomed, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot remove {}: {}", doomed.string(), error.message()));
    return {};
}

// Extracted package folders of every known environment.
Result<std::set<fs::path>> packages_in_use(const config::Config& config) {
    std::set<fs::path> used;
    auto environments = list_environments(config);
    if (!environments) return fail(std::move(environments.error()));
    for (const auto& environment : *environments) {
        auto records = link::read_prefix_records(environment.prefix);
        if (!records) return fail(std::move(records.error()));
        for (const auto& record : *records)
            if (!record.extracted_package_dir.empty()) used.insert(canonical_or_normal(record.extracted_package_dir));
    }
    return used;
}

}  // namespace

std::string_view clean_kind_name(CleanItem::Kind kind) {
    switch (kind) {
    case CleanItem::Kind::IndexCache: return "index_cache";
    case CleanItem::Kind::Package: return "package";
    case CleanItem::Kind::Tarball: return "tarball";
    }
    return "package";
}

std::uint64_t CleanReport::bytes() const {
    std::uint64_t total = 0;
    for (const auto& item : removed) total += item.bytes;
    return total;
}

Result<CleanReport> clean(const CleanRequest& request, const config::Config& config) {
    CleanReport report;
    std::error_code error;
    auto take = [&](CleanItem item) -> Status {
        if (!request.dry_run)
            if (auto removed = remove_entry(item.path); !removed) return removed;
        report.removed.push_back(std::move(item));
        return {};
    };

    if (request.packages || request.tarballs) {
        std::set<fs::path> used;
        if (request.packages) {
            auto in_use = packages_in_use(config);
            if (!in_use) return fail(std::move(in_use.error()));
            used = std::move(*in_use);
        }
        auto cache = fetch::PackageCache::open(config.pkgs_dirs);
        if (!cache) return fail(std::move(cache.error()));
        for (const auto& directory : cache->directories()) {
            if (!directory.writable || !fs::is_directory(directory.path, error)) continue;
            std::vector<fs::path> entries;
            for (const auto& entry : fs::directory_iterator(directory.path, error)) entries.push_back(entry.path());
            std::sort(entries.begin(), entries.end());
            for (const auto& path : entries) {
                const auto name = path.filename().string();
                if (name.starts_with(".")) continue;
                const bool archive = is_archive(name) && fs::is_regular_file(path, error);
                const bool package = !archive && fs::is_directory(path, error) && fs::exists(path / "info", error);
                if (!(archive && request.tarballs) && !(package && request.packages)) continue;
                const auto stem = archive ? fetch::archive_stem(name) : name;
                auto lock = fetch::EntryLock::acquire(directory.path, stem, false);
                if (!lock) return fail(std::move(lock.error()));
                if (!lock->held()) {
                    report.notes.push_back(fmt::format("{}: skipped, another envctl process is using it", path.string()));
                    continue;
                }
                const auto size = tree_size(path);
                CleanItem item{archive ? CleanItem::Kind::Tarball : CleanItem::Kind::Package, path, size.bytes};
                if (package && (used.count(canonical_or_normal(path)) || size.shared)) {
                    report.in_use.push_back(std::move(item));
                    continue;
                }
                if (auto taken = take(std::move(item)); !taken) return fail(std::move(taken.error()));
            }
        }
    }
    if (request.index_cache && fs::is_directory(config.repodata_cache_dir, error)) {
        std::vector<fs::path> entries;
        for (const auto& entry : fs::directory_iterator(config.repodata_cache_dir, error)) entries.push_back(entry.path());
        std::sort(entries.begin(), entries.end());
        for (const auto& path : entries) {
            if (path.filename().string().starts_with(".envctl-clean-")) continue;
            if (auto taken = take({CleanItem::Kind::IndexCache, path, tree_size(path).bytes}); !taken)
                return fail(std::move(taken.error()));
        }
    }
    return report;
}

nlohmann::json clean_json(const CleanReport& report, bool dry_run) {
    auto items = [](const std::vector<CleanItem>& list) {
        auto out = nlohmann::json::array();
        for (const auto& item : list)
            out.push_back({{"kind", std::string(clean_kind_name(item.kind))}, {"path", item.path.string()}, {"bytes", item.bytes}});
        return out;
    };
    return {{"success", true},       {"dry_run", dry_run},         {"removed", items(report.removed)},
            {"in_use", items(report.in_use)}, {"bytes_freed", report.bytes()}, {"notes", report.notes}};
}

}  // namespace envctl::ops
