#pragma once
// Pure HTTP helpers of the downloader: response headers, status classification, backoff,
// proxy choice. No libcurl here, so they are unit-tested directly.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>

namespace envctl::net::detail {

struct ResponseHeaders {
    std::string etag;
    std::string last_modified;
    std::string cache_control;
    std::string content_type;
    std::string content_encoding;
    std::string accept_ranges;
    std::optional<std::uint64_t> content_length;
    std::optional<std::uint64_t> range_start;  // from Content-Range
    std::optional<double> retry_after_secs;

    bool encoded() const { return !content_encoding.empty() && content_encoding != "identity"; }
};

// Feeds one raw header line (with or without CRLF). A status line ("HTTP/...") starts a new
// response (after a redirect or a 100 Continue) and clears what was collected.
void add_header_line(ResponseHeaders& headers, std::string_view line);

// "bytes 100-999/1000" -> 100.
std::optional<std::uint64_t> parse_content_range_start(std::string_view value);
// Retry-After as delta-seconds (HTTP dates are ignored).
std::optional<double> parse_retry_after(std::string_view value);

const char* reason_phrase(long status);
// 408, 429 and 5xx: worth retrying.
bool is_retryable_status(long status);
// "HTTP 404 Not Found" plus what it means for the user.
std::string describe_status(long status);

// Seconds to wait before retry number `retry` (1-based).
double backoff_delay(int retry, double factor, double max_secs, std::optional<double> retry_after,
                     std::mt19937_64& random);

// The proxy for `url` from conda-style proxy_servers ("scheme://host" first, then "scheme"),
// or empty when none applies.
std::string proxy_for(std::string_view url, const std::map<std::string, std::string>& proxy_servers);

// RFC 7231 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string http_date(std::int64_t unix_seconds);

}  // namespace envctl::net::detail
