#pragma once
// `envctl clean`: removes what no environment needs from the package cache and the repodata
// cache, and says how much space that freed.
//
//   ops::CleanRequest request;
//   request.packages = request.tarballs = true;
//   auto report = ops::clean(request, config);   // request.dry_run: only report
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/config/config.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

struct CleanRequest {
    bool index_cache = false;  // everything under repodata_cache_dir
    bool packages = false;     // extracted packages that no environment uses
    bool tarballs = false;     // downloaded archives (.conda, .tar.bz2)
    bool dry_run = false;      // report what would go, remove nothing
};

struct CleanItem {
    enum class Kind { IndexCache, Package, Tarball };
    Kind kind = Kind::Package;
    std::filesystem::path path;
    std::uint64_t bytes = 0;  // apparent size of the files
};

std::string_view clean_kind_name(CleanItem::Kind kind);  // "index_cache", "package", "tarball"

struct CleanReport {
    std::vector<CleanItem> removed;  // (or that would be, on a dry run)
    std::vector<CleanItem> in_use;   // extracted packages kept because an environment uses them
    std::vector<std::string> notes;  // entries skipped (locked by another envctl process, ...)
    std::uint64_t bytes() const;     // freed (or that would be)
};

// Only writable package cache folders are cleaned. An extracted package is in use when a
// known environment (ops/environments.hpp) records it as its extracted_package_dir, or when
// one of its files has more than one hard link (an environment envctl does not know links
// it). Each entry is removed under its cache lock, renamed away first, so no process ever sees
// a half-removed entry.
Result<CleanReport> clean(const CleanRequest& request, const config::Config& config);

// {"success": true, "dry_run": b, "removed": [{"kind", "path", "bytes"}], "in_use": [...],
//  "bytes_freed": n, "notes": [...]}
nlohmann::json clean_json(const CleanReport& report, bool dry_run);

}  // namespace envctl::ops
