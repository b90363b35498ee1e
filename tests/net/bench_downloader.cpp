// Download throughput against the loopback channel-server. Hidden ([.benchmark]): it prints
// figures and asserts only correctness. Run it with bench/net-download (see there).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "../support/channel_server.hpp"
#include "envctl/net/downloader.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::net;
namespace fs = std::filesystem;

namespace {

std::size_t env_size(const char* name, std::size_t fallback) {
    const char* value = std::getenv(name);
    return value && *value ? std::strtoull(value, nullptr, 10) : fallback;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

TEST_CASE("benchmark: many small files and one large file from loopback", "[.benchmark]") {
    const auto tool = testing::channel_server_tool();
    if (!tool) {
        WARN(testing::missing_tools_message());
        return;
    }
    const std::size_t count = env_size("ENVCTL_BENCH_FILES", 1000);
    const std::size_t large_mb = env_size("ENVCTL_BENCH_LARGE_MB", 256);
    auto temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-net-bench").value();
    const auto served = temp.path() / "served";
    std::vector<std::string> digests;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string content(1000 + (i * 37) % 3000, static_cast<char>('a' + i % 26));
        REQUIRE(ensure_directory(served / "shards"));
        REQUIRE(write_file_atomic(served / "shards" / fmt::format("{}.msgpack.zst", i), content));
        digests.push_back(sha256_hex(content));
    }
    {
        std::string large(large_mb << 20, 'x');
        for (std::size_t i = 0; i < large.size(); i += 4096) large[i] = static_cast<char>(i >> 12);
        REQUIRE(write_file_atomic(served / "repodata.json", large));
    }
    testing::ChannelServer server(*tool, served, temp.path() / "server");

    for (auto [parallel, reuse] : {std::pair{8, true}, {16, true}, {32, true}, {8, false}, {16, false}}) {
        for (bool to_files : {false, true}) {
            NetworkOptions options;
            options.max_parallel = static_cast<std::size_t>(parallel);
            options.reuse_connections = reuse;
            options.fsync_files = false;
            Downloader downloader(options);
            std::vector<TransferRequest> requests;
            for (std::size_t i = 0; i < count; ++i) {
                const auto url = fmt::format("{}/shards/{}.msgpack.zst", server.url(), i);
                auto request = to_files ? TransferRequest::to_file(url, temp.path() / "out" / fmt::format("{}", i))
                                        : TransferRequest::to_memory(url);
                request.expected_sha256 = digests[i];
                requests.push_back(std::move(request));
            }
            const auto start = std::chrono::steady_clock::now();
            auto results = downloader.run(std::move(requests));
            const double seconds = seconds_since(start);
            for (const auto& result : results) REQUIRE(result);
            std::printf("%zu small files (1-4 KB, sha256 checked) to %s, %d parallel, %s: %.2f s (%.0f files/s)\n", count,
                        to_files ? "files" : "memory", parallel, reuse ? "connections reused" : "a connection each",
                        seconds, static_cast<double>(count) / seconds);
        }
    }
    {
        Downloader downloader(NetworkOptions{});
        std::vector<TransferRequest> requests;
        for (std::size_t i = 0; i < count; ++i) {
            auto request = TransferRequest::to_memory(fmt::format("file://{}/shards/{}.msgpack.zst", served.string(), i));
            request.expected_sha256 = digests[i];
            requests.push_back(std::move(request));
        }
        const auto start = std::chrono::steady_clock::now();
        auto results = downloader.run(std::move(requests));
        const double seconds = seconds_since(start);
        for (const auto& result : results) REQUIRE(result);
        std::printf("%zu small files over file:// (the downloader's own cost): %.2f s (%.0f files/s)\n", count, seconds,
                    static_cast<double>(count) / seconds);
    }
    for (bool to_file : {true, false, true, false}) {
        NetworkOptions options;
        Downloader downloader(options);
        const auto url = server.url() + "/repodata.json";
        auto request = to_file ? TransferRequest::to_file(url, temp.path() / "large.json") : TransferRequest::to_memory(url);
        request.compute_sha256 = true;
        const auto start = std::chrono::steady_clock::now();
        auto result = downloader.fetch(request);
        const double seconds = seconds_since(start);
        REQUIRE(result);
        REQUIRE(result->bytes == (large_mb << 20));
        std::printf("one %zu MB file to %s with sha256: %.2f s (%.0f MB/s)\n", large_mb, to_file ? "a file" : "memory",
                    seconds, static_cast<double>(large_mb) / seconds);
    }
}
