#pragma once
// Channel repodata for the solver and for search: fetch (HTTP cache with conditional requests,
// .zst preferred, CEP 16 shards when the channel has them), parse into compact stores, and
// hand out plain values.
//
//   auto options = repodata::options_from_config(config, net::network_options(config, env, agent));
//   auto channels = conda::resolve_channels(config.channels, context);
//   std::vector<std::string> subdirs = {"linux-64", "noarch"};
//   std::vector<std::string> roots = {"python", "numpy"};
//   auto loaded = repodata::load_reachable(*channels, subdirs, roots, options);
//   for (const auto& channel : *loaded) ... channel.priority, channel.records ...
//
// Errors: network failures are ErrorKind::Network (exit 3), corrupt downloads Integrity (4),
// invalid repodata documents Input (2); messages name the channel/subdir with credentials
// redacted. Offline (options.offline) uses only the cache and fails naming every channel
// subdir that is not cached. Credentials never appear in cache paths, files or messages.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/net/downloader.hpp"
#include "envctl/repodata/store.hpp"
#include "envctl/util/result.hpp"

namespace envctl::repodata {

// What a load is doing for one channel subdir; for progress lines.
struct Progress {
    enum class Stage {
        Checking,     // revalidating the cache / fetching the shard index
        Downloading,  // body bytes arriving (and being parsed as they arrive)
        Parsing,      // parsing a cached body (no download)
        Done,         // store ready
    };
    std::string channel;  // the channel's name as users see it (credential-free)
    std::string subdir;
    Stage stage = Stage::Checking;
    std::uint64_t bytes = 0;        // compressed body bytes received so far
    std::uint64_t total_bytes = 0;  // 0: unknown
    std::uint64_t records = 0;      // records parsed so far
    bool from_cache = false;        // Done: served from the cache without a download
    std::size_t shards_fetched = 0;  // sharded subdirs: shards downloaded / needed so far
    std::size_t shards_needed = 0;
};

struct Options {
    // Where the HTTP cache and binary stores live (config repodata_cache_dir).
    std::filesystem::path cache_dir;
    // 0: always revalidate; 1: honour the server's Cache-Control max-age (none: revalidate);
    // N > 1: the cache is fresh for N seconds after the last check.
    int local_repodata_ttl = 1;
    // Only the cache (and file:// channels); subdirs missing from the cache are an error.
    bool offline = false;
    bool use_zst = true;
    bool use_shards = true;
    net::NetworkOptions network;
    // Subdirs loaded at once (each parses on its own threads); 0: automatic.
    std::size_t parallel_subdirs = 0;
    // Called from loader threads, never concurrently.
    std::function<void(const Progress&)> on_progress;
    // Non-fatal problems (skipped invalid records, unwritable cache); unset: logged as warnings.
    std::function<void(const std::string&)> on_warning;
};

// cache_dir, local_repodata_ttl, offline, repodata_use_zst and repodata_use_shards from the
// configuration; network options as net::network_options() made them.
Options options_from_config(const config::Config& config, net::NetworkOptions network);

// One channel subdir, loaded: a monolithic store (every record) or, for sharded channels,
// a store of the shards that were needed.
struct SubdirData {
    std::size_t channel_index = 0;  // into the channel list given to the loader
    std::string subdir;
    std::string url;                // credential-free subdir URL
    MaterializeContext context;     // channel URL and subdir URL for materialize()
    std::shared_ptr<const Store> store;
    bool sharded = false;     // the store holds only the shards that were needed
    bool from_cache = false;  // no body was downloaded
    // Sharded: shards fetched from the network / read from the shard cache / in the index.
    std::size_t shards_downloaded = 0;
    std::size_t shards_cached = 0;
    std::size_t shards_total = 0;
};

// The loaded subdirs of several channels.
class Repodata {
public:
    Repodata() = default;
    Repodata(std::vector<conda::Channel> channels, std::vector<SubdirData> subdirs)
        : channels_(std::move(channels)), subdirs_(std::move(subdirs)) {}

    const std::vector<conda::Channel>& channels() const { return channels_; }
    // Channel order first (priority), then the order of the subdirs asked for.
    const std::vector<SubdirData>& subdirs() const { return subdirs_; }

    // Every record named `name` (exact, lowercase as in repodata), channel priority order.
    std::vector<conda::PackageRecord> records_named(std::string_view name) const;

private:
    std::vector<conda::Channel> channels_;
    std::vector<SubdirData> subdirs_;
};

// Which subdirs of a channel are loaded: the channel's own platforms when it names some
// (`conda-forge/linux-64`), else `subdirs`.
std::vector<std::string> subdirs_for(const conda::Channel& channel, std::span<const std::string> subdirs);

// Every record of every subdir (monolithic repodata even for sharded channels).
Result<Repodata> load_all(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                          const Options& options);

// At least the records of `names` (exact package names), and with `follow_depends` also of
// every name reachable from them through depends (first token of each spec; `channel::name`
// and `name[...]` handled; virtual packages `__*` skipped), across all channels. Sharded
// channels fetch only those shards, wave by wave, in parallel; others load monolithic repodata.
Result<Repodata> load_names(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                            std::span<const std::string> names, bool follow_depends, const Options& options);

// ---- The solver's entry point: plain values. ----

struct ChannelRecords {
    std::size_t priority = 0;  // index in the channel list given: 0 is the highest priority
    std::string name;          // conda::Channel::name(): "conda-forge", or the credential-free URL
    std::string url;           // canonical credential-free base URL (= PackageRecord::channel)
    // The materialised records of every name reachable from the roots, subdir by subdir in
    // the order given, each subdir's records grouped by name (names in byte order).
    std::vector<conda::PackageRecord> records;
};

// For each channel (in the order given), the records of every package name reachable from
// `roots` by following depends transitively, in `subdirs` (platform and noarch, e.g.
// {"linux-64", "noarch"}; a channel that names its own platforms uses those). `roots` are
// package names; match spec strings ("numpy >=1.26", "conda-forge::numpy") are reduced to
// their name. Records' `channel` is ChannelRecords::url and `url` their download URL
// (CEP 15 base_url honoured), both without credentials.
Result<std::vector<ChannelRecords>> load_reachable(std::span<const conda::Channel> channels,
                                                   std::span<const std::string> subdirs,
                                                   std::span<const std::string> roots, const Options& options);

// The package name a depends/constrains string or match spec refers to: "numpy >=1.2" ->
// "numpy", "conda-forge::numpy" -> "numpy", "numpy[version='>=1']" -> "numpy",
// "numpy=1.2=py_0" -> "numpy"; lowercase. Empty for blank input.
std::string dependency_name(std::string_view spec);

}  // namespace envctl::repodata
