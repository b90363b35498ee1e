// Pure helpers of the downloader: header parsing, status texts, backoff, proxy choice.
#include <catch2/catch.hpp>

#include "../../src/net/http.hpp"

using namespace envctl::net::detail;

TEST_CASE("response headers are collected per response") {
    ResponseHeaders headers;
    add_header_line(headers, "HTTP/1.1 301 Moved Permanently\r\n");
    add_header_line(headers, "ETag: \"old\"\r\n");
    add_header_line(headers, "HTTP/1.1 206 Partial Content\r\n");  // after a redirect: a new response
    CHECK(headers.etag.empty());
    add_header_line(headers, "etag: \"abc\"\r\n");
    add_header_line(headers, "Content-Length:  1000 \r\n");
    add_header_line(headers, "Content-Range: bytes 500-1499/1500\r\n");
    add_header_line(headers, "Accept-Ranges: Bytes\r\n");
    add_header_line(headers, "Cache-Control: public, max-age=1200\r\n");
    add_header_line(headers, "Content-Encoding: gzip\r\n");
    add_header_line(headers, "Retry-After: 7\r\n");
    add_header_line(headers, "\r\n");
    CHECK(headers.etag == "\"abc\"");
    CHECK(headers.content_length == 1000u);
    CHECK(headers.range_start == 500u);
    CHECK(headers.accept_ranges == "bytes");
    CHECK(headers.cache_control == "public, max-age=1200");
    CHECK(headers.encoded());
    CHECK(headers.retry_after_secs == 7.0);

    add_header_line(headers, "HTTP/2 200\r\n");
    add_header_line(headers, "content-length: nope\r\n");
    add_header_line(headers, "content-encoding: identity\r\n");
    CHECK_FALSE(headers.content_length);
    CHECK_FALSE(headers.encoded());
    CHECK_FALSE(parse_content_range_start("bytes */1000"));
    CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
}

TEST_CASE("statuses read clearly and only transient ones are retried") {
    CHECK(describe_status(404) == "HTTP 404 Not Found (the URL was not found)");
    CHECK(describe_status(401) == "HTTP 401 Unauthorized (credentials are missing or wrong)");
    CHECK(describe_status(403) == "HTTP 403 Forbidden (credentials are missing or wrong)");
    CHECK(describe_status(599) == "HTTP 599");
    for (long status : {408L, 429L, 500L, 502L, 503L, 504L}) CHECK(is_retryable_status(status));
    for (long status : {400L, 401L, 403L, 404L, 410L, 416L}) CHECK_FALSE(is_retryable_status(status));
}

TEST_CASE("backoff doubles, honours Retry-After and is capped") {
    std::mt19937_64 random(42);
    for (int i = 0; i < 100; ++i) {
        const double first = backoff_delay(1, 1.0, 60, std::nullopt, random);
        const double third = backoff_delay(3, 1.0, 60, std::nullopt, random);
        CHECK(first >= 1.0);
        CHECK(first <= 1.25);
        CHECK(third >= 4.0);
        CHECK(third <= 5.0);
        CHECK(backoff_delay(20, 1.0, 60, std::nullopt, random) <= 75.0);
        CHECK(backoff_delay(1, 1.0, 60, 30.0, random) >= 30.0);
        CHECK(backoff_delay(1, 0.0, 60, std::nullopt, random) == 0.0);
    }
}

TEST_CASE("proxies are chosen like conda's proxy_servers") {
    const std::map<std::string, std::string> proxies = {
        {"http", "http://proxy:3128"},
        {"https", "http://secure-proxy:3128"},
        {"https://internal.example", "http://internal-proxy:8080"},
    };
    CHECK(proxy_for("http://conda.anaconda.org/x", proxies) == "http://proxy:3128");
    CHECK(proxy_for("https://conda.anaconda.org/x", proxies) == "http://secure-proxy:3128");
    CHECK(proxy_for("https://internal.example/x", proxies) == "http://internal-proxy:8080");
    CHECK(proxy_for("https://internal.example:8443/x", proxies) == "http://internal-proxy:8080");
    CHECK(proxy_for("file:///tmp/x", proxies).empty());
    CHECK(proxy_for("https://a.example/x", {}).empty());
}

TEST_CASE("HTTP dates") {
    CHECK(http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
}
