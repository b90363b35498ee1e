// Sharded cold fetch: load_reachable() roots against a CEP 16 channel, reporting how many shards
// were downloaded out of how many the indexes list. Used by bench/repodata/run.
//   repodata_shards_bench CHANNEL_URL CACHE_DIR SPEC...
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "envctl/conda/channel.hpp"
#include "envctl/repodata/repodata.hpp"

int main(int argc, char** argv) {
    using namespace envctl;
    if (argc < 4) {
        std::fputs("usage: repodata_shards_bench CHANNEL_URL CACHE_DIR SPEC...\n", stderr);
        return 2;
    }
    auto channel = conda::Channel::resolve(argv[1], {});
    if (!channel) {
        std::fprintf(stderr, "%s\n", channel.error().message.c_str());
        return 2;
    }
    repodata::Options options;
    options.cache_dir = argv[2];
    // channel-server answers kept-alive connections ~40 ms late (delayed ACK, see
    // docs/benchmarks.md): a connection per shard measures envctl, not that artifact.
    options.network.reuse_connections = false;
    const std::vector<conda::Channel> channels = {*channel};
    const std::vector<std::string> subdirs = {"linux-64", "noarch"};
    const std::vector<std::string> roots(argv + 3, argv + argc);
    const auto start = std::chrono::steady_clock::now();
    auto loaded = repodata::load_names(channels, subdirs, roots, true, options);
    if (!loaded) {
        std::fprintf(stderr, "%s\n", loaded.error().to_string().c_str());
        return 1;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto reachable = repodata::load_reachable(channels, subdirs, roots, options);  // now from the shard cache
    std::size_t downloaded = 0, cached = 0, total = 0, records = 0;
    for (const auto& subdir : loaded->subdirs()) {
        downloaded += subdir.shards_downloaded;
        cached += subdir.shards_cached;
        total += subdir.shards_total;
        records += subdir.store->size();
    }
    std::printf("%s", fmt::format("sharded: {} shards downloaded, {} from cache, of {} in the indexes; {} records; "
                                  "{} reachable records; {:.3f} s\n",
                                  downloaded, cached, total, records, reachable ? reachable->front().records.size() : 0,
                                  seconds)
                          .c_str());
    return 0;
}
