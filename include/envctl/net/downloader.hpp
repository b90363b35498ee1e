#pragma once
// The downloader: batches of HTTP(S) and file:// transfers driven by one libcurl multi handle.
//
// Threading: a Downloader is used by one thread at a time (it is movable, not shareable).
// run() drives every transfer on the calling thread; on_progress and on_complete are called on
// that thread, between transfers' I/O, so they must be quick (hand heavy work, e.g. extraction,
// to another thread). Different Downloaders may run concurrently on different threads.
// CancellationToken::cancel() may be called from any thread (and from a signal handler).
//
// Credentials: URLs may carry user:password@ or a /t/<token>/ segment, and ~/.netrc entries are
// used; none of them ever appears in an error, a log line or a returned value (URLs there are
// passed through redact_url()).
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::net {

struct NetworkOptions {
    std::string user_agent = "envctl";
    // Transfers in flight at once (also the cap on connections); more are queued.
    std::size_t max_parallel = 8;
    // Retries after the first attempt, for connection errors, timeouts, truncated bodies and
    // HTTP 408/429/5xx. The n-th retry waits backoff_factor * 2^(n-1) seconds (at most
    // max_backoff_secs, or what Retry-After asks up to that cap) plus up to 25% random jitter.
    int max_retries = 3;
    double backoff_factor = 1.0;
    double max_backoff_secs = 60.0;
    double connect_timeout_secs = 9.15;
    // A transfer slower than low_speed_limit bytes/s for read_timeout_secs (whole seconds,
    // rounded up) is aborted as a timeout, so a hanging server fails in bounded time.
    double read_timeout_secs = 60.0;
    std::size_t low_speed_limit = 1;
    double total_timeout_secs = 0;  // per attempt; 0: no limit
    // Offline: every URL other than file:// fails at once with a Network error.
    bool offline = false;
    bool verify_tls = true;
    std::filesystem::path ca_bundle;     // empty: libcurl's default CA store
    std::filesystem::path ca_directory;  // empty: none
    // "https" (scheme) or "https://host" (scheme and host, checked first) -> proxy URL.
    // Empty map: libcurl's environment variables (http_proxy, https_proxy, no_proxy, ...).
    std::map<std::string, std::string> proxy_servers;
    std::filesystem::path netrc_file;  // empty or missing file: no netrc
    bool fsync_files = true;           // fsync file destinations before renaming them into place
    // Keep connections open for later transfers (HTTP keep-alive, HTTP/2). Turn off only for
    // servers that stall reused connections: ../shared/tools/channel-server writes headers and
    // body in two packets without TCP_NODELAY, so each response on a reused connection waits
    // ~40 ms for the client's delayed ACK, while a new loopback connection costs ~0.1 ms.
    bool reuse_connections = true;
};

// A consumer of body bytes as they arrive (decompressors, parsers).
struct StreamSink {
    // Called with consecutive body bytes. An error aborts the transfer with that error, unretried.
    std::function<Status(std::string_view bytes)> write;
    // Called when a retry has to start the body again from byte 0 (the server could not resume
    // with Range): forget everything written so far. When unset, such a retry fails instead.
    std::function<Status()> restart;
};

struct ToMemory {};
// Written to a temporary sibling of `path`, renamed to `path` only when complete and verified.
// Parent directories are created. On failure or cancellation nothing is left behind.
struct ToFile {
    std::filesystem::path path;
};
struct ToSink {
    StreamSink sink;
};
using Destination = std::variant<ToMemory, ToFile, ToSink>;

struct TransferRequest {
    std::string url;  // http://, https:// or file://
    Destination destination = ToMemory{};
    // Conditional request: validators of a cached copy. A 304 answer gives not_modified = true
    // and leaves a file destination untouched.
    std::string if_none_match;      // an ETag
    std::string if_modified_since;  // a Last-Modified value
    // Integrity, checked while the bytes arrive; a mismatch is an ErrorKind::Integrity error.
    std::optional<std::uint64_t> expected_size;
    std::string expected_sha256;  // hex; empty: not checked
    std::string expected_md5;     // hex; empty: not checked
    bool compute_sha256 = false;  // fill TransferResult::sha256 even without expected_sha256
    // Extra request headers, "Name: value" (e.g. "Accept: application/vnd.pypi.simple.v1+json").
    std::vector<std::string> headers;
    // Accept gzip/deflate/br/zstd Content-Encoding (decoded before any check or sink).
    bool accept_compressed = true;

    static TransferRequest to_memory(std::string url);
    static TransferRequest to_file(std::string url, std::filesystem::path path);
    static TransferRequest to_sink(std::string url, StreamSink sink);
};

struct TransferResult {
    std::string url;        // the requested URL, redacted
    std::string final_url;  // after redirects, redacted
    long status = 0;        // last HTTP status: 200, 206 after a resume, 304; file:// reports 200
    bool not_modified = false;
    std::string etag;
    std::string last_modified;  // for file:// the file's mtime, in HTTP date format
    std::string cache_control;
    std::string content_type;
    std::uint64_t bytes = 0;        // size of the whole (decoded) body
    std::string body;               // ToMemory only
    std::filesystem::path file;     // ToFile only: the final path
    std::string sha256;             // lowercase hex, when expected or compute_sha256
    int attempts = 0;               // attempts made, including retries
    bool resumed = false;           // some attempt continued a partial body with Range
    double seconds = 0;             // from the first attempt to completion
};

// Body bytes so far for one transfer and for the whole run.
struct Progress {
    std::size_t index = 0;              // the request's index in run()
    std::uint64_t done = 0;
    std::uint64_t total = 0;            // 0: unknown
    std::uint64_t overall_done = 0;
    std::uint64_t overall_total = 0;    // sum of the totals known so far
    std::size_t finished = 0;           // transfers completed (successfully or not)
    std::size_t count = 0;              // transfers in the run
};

class CancellationToken {
public:
    void cancel() noexcept { cancelled_.store(true, std::memory_order_relaxed); }
    bool cancelled() const noexcept { return cancelled_.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> cancelled_{false};
};

// The message of the error given to transfers stopped by a CancellationToken starts with this.
inline constexpr std::string_view cancelled_message_prefix = "cancelled";
bool is_cancellation(const Error& error);

struct Callbacks {
    // At most about ten times a second per run, and once when each transfer completes.
    std::function<void(const Progress&)> on_progress;
    // Once per request, as soon as it completes, on run()'s thread. It may move from `result`
    // (e.g. take the body); run() returns whatever is left. It may call Downloader::add().
    std::function<void(std::size_t index, Result<TransferResult>& result)> on_complete;
    // Checked by the loop at least every 100 ms; cancelled transfers remove their temp files
    // and complete with an ErrorKind::Network error (is_cancellation() is true).
    const CancellationToken* cancel = nullptr;
};

class Downloader {
public:
    explicit Downloader(NetworkOptions options);
    Downloader(Downloader&&) noexcept;
    Downloader& operator=(Downloader&&) noexcept;
    Downloader(const Downloader&) = delete;
    Downloader& operator=(const Downloader&) = delete;
    ~Downloader();

    // Runs every request, at most options().max_parallel at a time, and returns one result per
    // request in request order (including those added by callbacks, after the initial ones).
    // Connections are kept open between runs.
    std::vector<Result<TransferResult>> run(std::vector<TransferRequest> requests, const Callbacks& callbacks = {});
    // During run(), from a callback: queues another request and returns its index.
    std::size_t add(TransferRequest request);
    // One transfer.
    Result<TransferResult> fetch(TransferRequest request, const Callbacks& callbacks = {});

    const NetworkOptions& options() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One GET into memory with a fresh Downloader.
Result<TransferResult> fetch_to_memory(const NetworkOptions& options, std::string url);

}  // namespace envctl::net
