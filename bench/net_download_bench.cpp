// Downloader throughput against the loopback ../shared/tools/channel-server: many small files
// (repodata shards, packages) at several parallelism levels, into memory and into files, the
// same over file:// (the downloader's own cost, no server), and one large file (repodata.json).
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON
//   cmake --build build-bench --target net_download_bench
//   build-bench/bench/net_download_bench [SMALL_FILES=1000] [LARGE_MB=256]
//
// channel-server writes response headers and body in two packets without TCP_NODELAY, so a
// reused connection waits ~40 ms per response for the client's delayed ACK; the rows with
// "a connection each" show what the server can do without that stall.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "../tests/support/channel_server.hpp"
#include "envctl/net/downloader.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::net;
namespace fs = std::filesystem;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs the requests and returns the seconds taken; exits on any failed transfer.
double timed_run(Downloader& downloader, std::vector<TransferRequest> requests) {
    const auto start = std::chrono::steady_clock::now();
    auto results = downloader.run(std::move(requests));
    const double seconds = seconds_since(start);
    for (const auto& result : results) {
        if (!result) {
            std::fprintf(stderr, "transfer failed: %s\n", result.error().to_string().c_str());
            std::exit(1);
        }
    }
    return seconds;
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1000;
    const std::size_t large_mb = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 256;
    const auto tool = testing::channel_server_tool();
    if (!tool) {
        std::fprintf(stderr, "%s\n", testing::missing_tools_message().c_str());
        return 1;
    }
    auto temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-net-bench").value();
    const auto served = temp.path() / "served";
    (void)ensure_directory(served / "shards");
    std::vector<std::string> digests;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string content(1000 + (i * 37) % 3000, static_cast<char>('a' + i % 26));
        (void)write_file_atomic(served / "shards" / fmt::format("{}.msgpack.zst", i), content);
        digests.push_back(sha256_hex(content));
    }
    {
        std::string large(large_mb << 20, 'x');
        for (std::size_t i = 0; i < large.size(); i += 4096) large[i] = static_cast<char>(i >> 12);
        (void)write_file_atomic(served / "repodata.json", large);
    }
    testing::ChannelServer server(*tool, served, temp.path() / "server");

    auto small_requests = [&](const std::string& base, bool to_files) {
        std::vector<TransferRequest> requests;
        for (std::size_t i = 0; i < count; ++i) {
            const auto url = fmt::format("{}/shards/{}.msgpack.zst", base, i);
            auto request = to_files ? TransferRequest::to_file(url, temp.path() / "out" / std::to_string(i))
                                    : TransferRequest::to_memory(url);
            request.expected_sha256 = digests[i];
            requests.push_back(std::move(request));
        }
        return requests;
    };
    for (auto [parallel, reuse] : {std::pair{8, true}, {16, true}, {32, true}, {8, false}, {16, false}}) {
        for (bool to_files : {false, true}) {
            NetworkOptions options;
            options.max_parallel = static_cast<std::size_t>(parallel);
            options.reuse_connections = reuse;
            options.fsync_files = false;
            Downloader downloader(options);
            const double seconds = timed_run(downloader, small_requests(server.url(), to_files));
            std::printf("%zu files of 1-4 KB (sha256) over HTTP to %-6s %2d parallel, %-18s %6.2f s %7.0f files/s\n",
                        count, to_files ? "files," : "memory,", parallel,
                        reuse ? "connections reused:" : "a connection each:", seconds, static_cast<double>(count) / seconds);
        }
    }
    for (bool to_files : {false, true}) {
        Downloader downloader(NetworkOptions{});
        const double seconds = timed_run(downloader, small_requests("file://" + served.string(), to_files));
        std::printf("%zu files of 1-4 KB (sha256) over file:// to %-6s  %6.2f s %7.0f files/s\n", count,
                    to_files ? "files:" : "memory:", seconds, static_cast<double>(count) / seconds);
    }
    for (bool to_file : {false, true}) {
        Downloader downloader(NetworkOptions{});
        const auto url = server.url() + "/repodata.json";
        auto request = to_file ? TransferRequest::to_file(url, temp.path() / "large.json") : TransferRequest::to_memory(url);
        request.compute_sha256 = true;
        std::vector<TransferRequest> requests;
        requests.push_back(std::move(request));
        const double seconds = timed_run(downloader, std::move(requests));
        std::printf("one %zu MB file (sha256) over HTTP to %-7s %6.2f s %7.0f MB/s\n", large_mb,
                    to_file ? "a file:" : "memory:", seconds, static_cast<double>(large_mb) / seconds);
    }
    std::printf("reproduce: cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON && "
                "cmake --build build-bench --target net_download_bench && build-bench/bench/net_download_bench %zu %zu\n",
                count, large_mb);
    return 0;
}
