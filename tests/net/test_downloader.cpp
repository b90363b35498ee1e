// The downloader against a real loopback channel-server with injected faults.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "../support/channel_server.hpp"
#include "envctl/net/downloader.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::net;
namespace fs = std::filesystem;

namespace {

#define REQUIRE_CHANNEL_SERVER(tool)                      \
    const auto tool = testing::channel_server_tool();     \
    if (!tool) {                                          \
        WARN(testing::missing_tools_message());           \
        return;                                           \
    }

std::string pattern(std::size_t size, unsigned seed = 1) {
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761u + 1;
    for (auto& c : out) {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return out;
}

struct Workspace {
    TemporaryDirectory temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-net-test").value();
    fs::path served = temp.path() / "served";
    fs::path out = temp.path() / "out";

    Workspace() {
        fs::create_directories(served);
        fs::create_directories(out);
    }
    std::string put(const std::string& name, const std::string& content) {
        fs::create_directories((served / name).parent_path());
        REQUIRE(write_file_atomic(served / name, content));
        return content;
    }
    testing::ChannelServer serve(const fs::path& tool, std::vector<std::string> args = {}) {
        return testing::ChannelServer(tool, served, temp.path() / "server", args);
    }
    // Everything in `out` (to check that no temporary or partial file is left behind).
    std::vector<std::string> out_files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::recursive_directory_iterator(out)) names.push_back(entry.path().filename().string());
        return names;
    }
};

NetworkOptions test_options() {
    NetworkOptions options;
    options.user_agent = "envctl/test";
    options.backoff_factor = 0.01;
    options.max_backoff_secs = 0.05;
    options.read_timeout_secs = 10;
    return options;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a 200 gives validators, and a conditional request with them gives a 304") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("linux-64/repodata.json", R"({"packages": {}})");
    auto server = work.serve(*tool);
    Downloader downloader(test_options());
    const auto url = server.url() + "/linux-64/repodata.json";

    auto first = downloader.fetch(TransferRequest::to_memory(url));
    REQUIRE(first);
    CHECK(first->status == 200);
    CHECK(first->body == content);
    CHECK(first->bytes == content.size());
    CHECK_FALSE(first->etag.empty());
    CHECK_FALSE(first->last_modified.empty());
    CHECK(first->content_type == "application/json");
    CHECK(first->final_url == url);

    auto request = TransferRequest::to_file(url, work.out / "repodata.json");
    request.if_none_match = first->etag;
    auto second = downloader.fetch(request);
    REQUIRE(second);
    CHECK(second->not_modified);
    CHECK(second->status == 304);
    CHECK(second->etag == first->etag);
    CHECK(second->body.empty());
    CHECK(work.out_files().empty());  // a 304 leaves the destination alone

    request.if_none_match.clear();
    request.if_modified_since = first->last_modified;
    auto third = downloader.fetch(request);
    REQUIRE(third);
    CHECK(third->not_modified);

    const auto log = server.wait_for_requests(3);
    REQUIRE(log.size() == 3);
    CHECK(log[1]["if_none_match"] == first->etag);
    CHECK(log[1]["status"] == 304);
    CHECK(log[2]["status"] == 304);
    CHECK(log[0]["user_agent"] == "envctl/test");
}

TEST_CASE("50 files download in parallel, verified, into their final names") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    std::vector<std::string> contents;
    for (int i = 0; i < 50; ++i) contents.push_back(work.put(fmt::format("pkgs/p{}.conda", i), pattern(1000 + 997 * i, i)));
    auto server = work.serve(*tool);
    std::vector<TransferRequest> requests;
    for (int i = 0; i < 50; ++i) {
        auto request = TransferRequest::to_file(fmt::format("{}/pkgs/p{}.conda", server.url(), i),
                                                work.out / fmt::format("cache/p{}.conda", i));
        request.expected_sha256 = sha256_hex(contents[i]);
        request.expected_size = contents[i].size();
        requests.push_back(std::move(request));
    }
    std::vector<std::size_t> completed;
    std::uint64_t last_overall = 0;
    Callbacks callbacks;
    callbacks.on_complete = [&](std::size_t index, Result<TransferResult>& result) {
        REQUIRE(result);
        CHECK(fs::exists(result->file));  // already in place when the callback runs
        completed.push_back(index);
    };
    callbacks.on_progress = [&](const Progress& progress) {
        CHECK(progress.count == 50);
        last_overall = std::max(last_overall, progress.overall_done);
    };
    Downloader downloader(test_options());
    auto results = downloader.run(std::move(requests), callbacks);
    REQUIRE(results.size() == 50);
    CHECK(completed.size() == 50);
    for (int i = 0; i < 50; ++i) {
        INFO(i);
        REQUIRE(results[i]);
        CHECK(results[i]->sha256 == sha256_hex(contents[i]));
        CHECK(read_file(work.out / fmt::format("cache/p{}.conda", i)).value() == contents[i]);
    }
    CHECK(work.out_files().size() == 51);  // the 50 files and their folder, no temporaries
}

TEST_CASE("transient failures are retried until they succeed") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("noarch/repodata.json", pattern(5000));
    auto server = work.serve(*tool, {"--fail-first", "2"});
    Downloader downloader(test_options());
    auto result = downloader.fetch(TransferRequest::to_memory(server.url() + "/noarch/repodata.json"));
    REQUIRE(result);
    CHECK(result->body == content);
    CHECK(result->attempts == 3);
    const auto log = server.wait_for_requests(3);
    REQUIRE(log.size() == 3);
    CHECK(log[0]["status"] == 503);
    CHECK(log[2]["status"] == 200);
}

TEST_CASE("too many failures give a network error that says what was tried") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    work.put("noarch/repodata.json", "{}");
    auto server = work.serve(*tool, {"--fail-first", "10", "--fail-status", "500"});
    auto options = test_options();
    options.max_retries = 2;
    Downloader downloader(options);
    auto result = downloader.fetch(TransferRequest::to_file(server.url() + "/noarch/repodata.json", work.out / "r.json"));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Network);
    CHECK(contains(result.error().message, "/noarch/repodata.json"));
    CHECK(contains(result.error().message, "3 attempts"));
    CHECK(contains(result.error().message, "HTTP 500"));
    CHECK(work.out_files().empty());
}

TEST_CASE("a 404 fails at once with a clear message") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    work.put("noarch/repodata.json", "{}");
    auto server = work.serve(*tool, {"--fail-first", "5", "--fail-status", "404"});
    Downloader downloader(test_options());
    auto result = downloader.fetch(TransferRequest::to_memory(server.url() + "/noarch/repodata.json"));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Network);
    CHECK(contains(result.error().message, "HTTP 404 Not Found (the URL was not found)"));
    CHECK(contains(result.error().message, server.url() + "/noarch/repodata.json"));
    CHECK(server.wait_for_requests(1).size() == 1);

    auto missing = downloader.fetch(TransferRequest::to_memory(server.url() + "/no/such/file.json"));
    REQUIRE_FALSE(missing);
    CHECK(contains(missing.error().message, "not found"));
}

TEST_CASE("a truncated body is resumed with Range and never accepted short") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("linux-64/big.conda", pattern(3000, 7));

    SECTION("resumed to completion") {
        auto server = work.serve(*tool, {"--truncate-after", "1000"});
        auto request = TransferRequest::to_file(server.url() + "/linux-64/big.conda", work.out / "big.conda");
        request.expected_sha256 = sha256_hex(content);
        Downloader downloader(test_options());
        auto result = downloader.fetch(request);
        REQUIRE(result);
        CHECK(result->resumed);
        CHECK(result->attempts == 3);
        CHECK(read_file(work.out / "big.conda").value() == content);
        const auto log = server.wait_for_requests(3);
        REQUIRE(log.size() == 3);
        CHECK(log[1]["range"] == "bytes=1000-");
        CHECK(log[2]["range"] == "bytes=2000-");
        CHECK(log[2]["status"] == 206);
    }
    SECTION("into memory and into a sink") {
        auto server = work.serve(*tool, {"--truncate-after", "1000"});
        Downloader downloader(test_options());
        auto in_memory = downloader.fetch(TransferRequest::to_memory(server.url() + "/linux-64/big.conda"));
        REQUIRE(in_memory);
        CHECK(in_memory->body == content);
        std::string streamed;
        auto sink = TransferRequest::to_sink(server.url() + "/linux-64/big.conda",
                                             StreamSink{[&](std::string_view bytes) -> Status {
                                                            streamed.append(bytes);
                                                            return {};
                                                        },
                                                        nullptr});
        REQUIRE(downloader.fetch(sink));
        CHECK(streamed == content);
    }
    SECTION("given up: nothing under the final name") {
        auto server = work.serve(*tool, {"--truncate-after", "500"});
        auto options = test_options();
        options.max_retries = 2;
        Downloader downloader(options);
        auto result = downloader.fetch(TransferRequest::to_file(server.url() + "/linux-64/big.conda", work.out / "big.conda"));
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == ErrorKind::Network);
        CHECK(contains(result.error().message, "truncated"));
        CHECK(contains(result.error().message, "3 attempts"));
        CHECK(work.out_files().empty());
    }
}

TEST_CASE("a body that changed on the server restarts from zero instead of resuming") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("linux-64/a.conda", pattern(4000, 3));
    auto server = work.serve(*tool, {"--truncate-after", "1500"});
    std::string streamed;
    int restarts = 0;
    bool touched = false;
    StreamSink sink{[&](std::string_view bytes) -> Status {
                        streamed.append(bytes);
                        if (!touched && streamed.size() >= 1500) {
                            // A new mtime gives a new ETag, so the resume's If-Range no longer matches.
                            touched = true;
                            fs::last_write_time(work.served / "linux-64/a.conda",
                                                fs::file_time_type::clock::now() - std::chrono::hours(1));
                        }
                        return {};
                    },
                    [&]() -> Status {
                        ++restarts;
                        streamed.clear();
                        return {};
                    }};
    auto request = TransferRequest::to_sink(server.url() + "/linux-64/a.conda", sink);
    request.expected_sha256 = sha256_hex(content);
    auto options = test_options();
    options.max_retries = 5;
    Downloader downloader(options);
    auto result = downloader.fetch(request);
    REQUIRE(result);
    CHECK(streamed == content);
    CHECK(restarts == 1);
    CHECK(result->attempts == 4);  // 0-1500, whole file again (200) to 1500, 1500-3000, 3000-4000
    const auto log = server.wait_for_requests(4);
    REQUIRE(log.size() == 4);
    CHECK(log[1]["range"] == "bytes=1500-");
    CHECK(log[1]["status"] == 200);
    CHECK(log[2]["status"] == 206);
    CHECK(log[3]["status"] == 206);
}

TEST_CASE("a corrupted body is an integrity error naming the expected sha256") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("linux-64/pkg.tar.bz2", pattern(10000, 5));
    auto server = work.serve(*tool, {"--corrupt"});
    auto request = TransferRequest::to_file(server.url() + "/linux-64/pkg.tar.bz2", work.out / "pkg.tar.bz2");
    request.expected_sha256 = sha256_hex(content);
    Downloader downloader(test_options());
    auto result = downloader.fetch(request);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Integrity);
    CHECK(contains(result.error().message, sha256_hex(content)));
    CHECK(contains(result.error().message, "sha256 mismatch"));
    CHECK(contains(result.error().message, "/linux-64/pkg.tar.bz2"));
    CHECK(work.out_files().empty());

    auto md5_request = TransferRequest::to_memory(server.url() + "/linux-64/pkg.tar.bz2");
    md5_request.expected_md5 = md5_hex(content);
    auto md5_result = downloader.fetch(md5_request);
    REQUIRE_FALSE(md5_result);
    CHECK(contains(md5_result.error().message, "md5 mismatch"));
}

TEST_CASE("an unexpected size is an integrity error before the body is read") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    work.put("linux-64/pkg.conda", pattern(2000));
    auto server = work.serve(*tool);
    auto request = TransferRequest::to_file(server.url() + "/linux-64/pkg.conda", work.out / "pkg.conda");
    request.expected_size = 1999;
    Downloader downloader(test_options());
    auto result = downloader.fetch(request);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Integrity);
    CHECK(contains(result.error().message, "2000 bytes, expected 1999"));
    CHECK(work.out_files().empty());
}

TEST_CASE("a hanging server fails after the read timeout") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    work.put("noarch/repodata.json", "{}");
    auto server = work.serve(*tool, {"--hang"});
    auto options = test_options();
    options.read_timeout_secs = 1;
    options.max_retries = 1;
    Downloader downloader(options);
    auto result = downloader.fetch(TransferRequest::to_file(server.url() + "/noarch/repodata.json", work.out / "r.json"));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Network);
    CHECK(contains(result.error().message, "timed out"));
    CHECK(contains(result.error().message, "2 attempts"));
    CHECK(work.out_files().empty());
}

TEST_CASE("token URLs work and the token never appears in results or errors") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("linux-64/repodata.json", "{}");
    const std::string token = "tk-9f8e7d6c5b4a";
    auto server = work.serve(*tool, {"--token", token});
    Downloader downloader(test_options());
    const auto base = server.url() + "/t/" + token;
    auto ok = downloader.fetch(TransferRequest::to_memory(base + "/linux-64/repodata.json"));
    REQUIRE(ok);
    CHECK(ok->body == content);
    CHECK_FALSE(contains(ok->url, token));
    CHECK_FALSE(contains(ok->final_url, token));
    CHECK(contains(ok->url, "/t/<TOKEN>/"));

    auto missing = downloader.fetch(TransferRequest::to_memory(base + "/linux-64/missing.json"));
    REQUIRE_FALSE(missing);
    CHECK_FALSE(contains(missing.error().to_string(), token));
    for (const auto& hint : missing.error().hints) CHECK_FALSE(contains(hint, token));

    auto wrong = downloader.fetch(TransferRequest::to_memory(server.url() + "/t/wrong-token/linux-64/repodata.json"));
    REQUIRE_FALSE(wrong);
    CHECK(contains(wrong.error().message, "HTTP 403"));
    CHECK(contains(wrong.error().message, "credentials are missing or wrong"));
    CHECK_FALSE(contains(wrong.error().message, "wrong-token"));
}

TEST_CASE("basic auth from URL credentials and from a netrc file") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    const auto content = work.put("noarch/repodata.json", "{\"a\": 1}");
    auto server = work.serve(*tool, {"--basic-auth", "alice:s3cr3t-pw"});
    const auto path = "127.0.0.1:" + std::to_string(server.port()) + "/noarch/repodata.json";

    SECTION("without credentials: 401 with a clear message") {
        Downloader downloader(test_options());
        auto result = downloader.fetch(TransferRequest::to_memory("http://" + path));
        REQUIRE_FALSE(result);
        CHECK(contains(result.error().message, "HTTP 401"));
        CHECK(contains(result.error().message, "credentials are missing or wrong"));
        CHECK_FALSE(result.error().hints.empty());
    }
    SECTION("in the URL") {
        Downloader downloader(test_options());
        auto result = downloader.fetch(TransferRequest::to_memory("http://alice:s3cr3t-pw@" + path));
        REQUIRE(result);
        CHECK(result->body == content);
        CHECK_FALSE(contains(result->url, "s3cr3t-pw"));
        CHECK_FALSE(contains(result->final_url, "s3cr3t-pw"));
        auto wrong = downloader.fetch(TransferRequest::to_memory("http://alice:bad-pw-123@" + path));
        REQUIRE_FALSE(wrong);
        CHECK(contains(wrong.error().message, "HTTP 401"));
        CHECK_FALSE(contains(wrong.error().to_string(), "bad-pw-123"));
    }
    SECTION("in a netrc file") {
        auto options = test_options();
        options.netrc_file = work.temp.path() / "netrc";
        REQUIRE(write_file_atomic(options.netrc_file, "machine 127.0.0.1 login alice password s3cr3t-pw\n"));
        Downloader downloader(options);
        auto result = downloader.fetch(TransferRequest::to_memory("http://" + path));
        REQUIRE(result);
        CHECK(result->body == content);
    }
}

TEST_CASE("file:// URLs go through the same path") {
    Workspace work;
    const auto content = work.put("channel/noarch/repodata.json", pattern(70000, 9));
    Downloader downloader(test_options());
    const auto url = "file://" + (work.served / "channel/noarch/repodata.json").string();
    auto in_memory = downloader.fetch(TransferRequest::to_memory(url));
    REQUIRE(in_memory);
    CHECK(in_memory->status == 200);
    CHECK(in_memory->body == content);
    CHECK_FALSE(in_memory->last_modified.empty());

    auto request = TransferRequest::to_file(url, work.out / "copy.json");
    request.expected_sha256 = sha256_hex(content);
    auto to_file = downloader.fetch(request);
    REQUIRE(to_file);
    CHECK(read_file(work.out / "copy.json").value() == content);

    auto missing = downloader.fetch(TransferRequest::to_memory("file://" + (work.served / "nope.json").string()));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::Network);
    CHECK(contains(missing.error().message, "not found"));
}

TEST_CASE("offline mode refuses the network at once but reads file:// URLs") {
    Workspace work;
    work.put("repodata.json", "{}");
    auto options = test_options();
    options.offline = true;
    Downloader downloader(options);
    auto online = downloader.fetch(TransferRequest::to_memory("https://conda.anaconda.org/conda-forge/noarch/repodata.json"));
    REQUIRE_FALSE(online);
    CHECK(online.error().kind == ErrorKind::Network);
    CHECK(contains(online.error().message, "offline mode is on"));
    CHECK(contains(online.error().message, "https://conda.anaconda.org/conda-forge/noarch/repodata.json"));
    CHECK(downloader.fetch(TransferRequest::to_memory("file://" + (work.served / "repodata.json").string())));
}

TEST_CASE("bad URLs are input errors") {
    Downloader downloader(test_options());
    auto result = downloader.fetch(TransferRequest::to_memory("ftp://example.com/x"));
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Input);
    CHECK_FALSE(downloader.fetch(TransferRequest::to_memory("not a url")));
}

TEST_CASE("cancellation stops every transfer and removes temporary files") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    for (int i = 0; i < 4; ++i) work.put(fmt::format("f{}.conda", i), pattern(200000, i));
    auto server = work.serve(*tool, {"--slow-bytes-per-sec", "20000"});
    auto options = test_options();
    options.max_parallel = 2;
    Downloader downloader(options);
    CancellationToken token;
    std::vector<TransferRequest> requests;
    for (int i = 0; i < 4; ++i)
        requests.push_back(TransferRequest::to_file(fmt::format("{}/f{}.conda", server.url(), i), work.out / fmt::format("f{}.conda", i)));
    Callbacks callbacks;
    callbacks.cancel = &token;
    std::size_t completions = 0;
    callbacks.on_progress = [&](const Progress& progress) {
        if (progress.done > 0) token.cancel();
    };
    callbacks.on_complete = [&](std::size_t, Result<TransferResult>& result) {
        ++completions;
        REQUIRE_FALSE(result);
        CHECK(is_cancellation(result.error()));
    };
    auto results = downloader.run(std::move(requests), callbacks);
    CHECK(completions == 4);
    for (auto& result : results) {
        REQUIRE_FALSE(result);
        CHECK(is_cancellation(result.error()));
    }
    CHECK(work.out_files().empty());
}

TEST_CASE("callbacks can add requests while the run goes on, and take bodies") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    work.put("index.json", "[\"a.json\", \"b.json\"]");
    work.put("a.json", "A");
    work.put("b.json", "B");
    auto server = work.serve(*tool);
    Downloader downloader(test_options());
    std::map<std::size_t, std::string> taken;
    Callbacks callbacks;
    callbacks.on_complete = [&](std::size_t index, Result<TransferResult>& result) {
        REQUIRE(result);
        taken[index] = std::move(result->body);
        if (index == 0) {
            CHECK(downloader.add(TransferRequest::to_memory(server.url() + "/a.json")) == 1);
            CHECK(downloader.add(TransferRequest::to_memory(server.url() + "/b.json")) == 2);
        }
    };
    std::vector<TransferRequest> requests;
    requests.push_back(TransferRequest::to_memory(server.url() + "/index.json"));
    auto results = downloader.run(std::move(requests), callbacks);
    REQUIRE(results.size() == 3);
    CHECK(taken[1] == "A");
    CHECK(taken[2] == "B");
    CHECK(results[1]->body.empty());  // moved out by the callback
    CHECK_THROWS_AS(downloader.add(TransferRequest::to_memory("file:///x")), std::logic_error);
}

TEST_CASE("a failing sink aborts its transfer with the sink's error") {
    REQUIRE_CHANNEL_SERVER(tool);
    Workspace work;
    work.put("repodata.json.zst", pattern(100000));
    auto server = work.serve(*tool);
    Downloader downloader(test_options());
    auto request = TransferRequest::to_sink(server.url() + "/repodata.json.zst",
                                            StreamSink{[](std::string_view) -> Status {
                                                           return fail(ErrorKind::Input, "not a zstd frame");
                                                       },
                                                       nullptr});
    auto result = downloader.fetch(request);
    REQUIRE_FALSE(result);
    CHECK(result.error().kind == ErrorKind::Input);
    CHECK(result.error().message == "not a zstd frame");
    CHECK(server.wait_for_requests(1).size() == 1);
}
