#pragma once
// The repodata HTTP cache: one folder per channel subdir, named by a short hash of the
// credential-free subdir URL, holding
//   state.json                  validators and what was fetched (this file's format)
//   repodata.json.zst|.json|.bz2  the body exactly as downloaded (http(s) channels only)
//   repodata_shards.msgpack.zst   the CEP 16 shard index, when the channel has one
//   repodata.store              the parsed binary store, keyed by the state (see store_key)
//   lock                        flock()ed while a process updates the folder
// Shards are cached by their hash under <cache dir>/shards/. No credentials anywhere.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl::repodata {

// What the cache knows about one fetched file.
struct CachedFile {
    std::string file;           // "repodata.json.zst", ...; empty: nothing cached
    std::string etag;
    std::string last_modified;
    std::string cache_control;
    std::int64_t fetched_at = 0;  // unix seconds of the last 200
    std::int64_t checked_at = 0;  // unix seconds of the last 200 or 304
    std::uint64_t size = 0;       // of the cached body
    std::int64_t mtime_ns = 0;    // of the cached body

    bool operator==(const CachedFile&) const = default;
};

struct VariantCheck {
    bool available = false;
    std::int64_t checked_at = 0;
    bool operator==(const VariantCheck&) const = default;
};

struct CacheState {
    std::string url;  // credential-free subdir URL
    CachedFile repodata;
    CachedFile shard_index;
    // "repodata.json.zst", "repodata.json", "repodata.json.bz2", "repodata_shards.msgpack.zst"
    // -> whether the server had it when last asked.
    std::map<std::string, VariantCheck> variants;

    bool operator==(const CacheState&) const = default;
};

// A missing file reads as an empty state; an unreadable or invalid one too (with the reason in
// `problem`, so the cache is rebuilt instead of failing).
CacheState read_cache_state(const std::filesystem::path& file, std::string* problem = nullptr);
Status write_cache_state(const std::filesystem::path& file, const CacheState& state);
std::string cache_state_json(const CacheState& state);
Result<CacheState> parse_cache_state(std::string_view text);

// The cache folder name of a subdir URL: 16 hex digits of the SHA-256 of the URL without
// credentials (so tokens never reach the file system).
std::string cache_folder_name(std::string_view subdir_url);

// max-age of a Cache-Control value; nullopt when absent. `no-store`/`no-cache` give 0.
std::optional<std::int64_t> cache_max_age(std::string_view cache_control);

// Whether `file` may be used without asking the server, at `now` (unix seconds), under
// local_repodata_ttl `ttl`: 0 never; 1 while the server's max-age has not run out since the
// last check (no max-age: never); N > 1 for N seconds after the last check.
bool is_fresh(const CachedFile& file, int ttl, std::int64_t now);

// Variants are asked about again after this long (a channel may start serving .zst/shards).
inline constexpr std::int64_t kVariantRecheckSeconds = 14 * 24 * 3600;

// The binary store's key: changes whenever the body or its validators change.
std::uint64_t store_key(std::string_view url, const CachedFile& file);

}  // namespace envctl::repodata
