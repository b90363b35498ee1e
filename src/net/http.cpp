#include "http.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::net::detail {

namespace {
std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    text = trim(text);
    std::uint64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc{} || ptr != end || text.empty()) return std::nullopt;
    return value;
}
}  // namespace

void add_header_line(ResponseHeaders& headers, std::string_view line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
        headers = ResponseHeaders{};
        return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const auto name = to_lower(trim(line.substr(0, colon)));
    const auto value = std::string(trim(line.substr(colon + 1)));
    if (name == "etag")
        headers.etag = value;
    else if (name == "last-modified")
        headers.last_modified = value;
    else if (name == "cache-control")
        headers.cache_control = value;
    else if (name == "content-type")
        headers.content_type = value;
    else if (name == "content-encoding")
        headers.content_encoding = to_lower(value);
    else if (name == "accept-ranges")
        headers.accept_ranges = to_lower(value);
    else if (name == "content-length")
        headers.content_length = parse_unsigned(value);
    else if (name == "content-range")
        headers.range_start = parse_content_range_start(value);
    else if (name == "retry-after")
        headers.retry_after_secs = parse_retry_after(value);
}

std::optional<std::uint64_t> parse_content_range_start(std::string_view value) {
    value = trim(value);
    if (!value.starts_with("bytes ")) return std::nullopt;
    value.remove_prefix(6);
    const auto dash = value.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    return parse_unsigned(value.substr(0, dash));
}

std::optional<double> parse_retry_after(std::string_view value) {
    if (auto seconds = parse_unsigned(value)) return static_cast<double>(*seconds);
    return std::nullopt;
}

const char* reason_phrase(long status) {
    switch (status) {
        case 200: return "OK";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 407: return "Proxy Authentication Required";
        case 408: return "Request Timeout";
        case 410: return "Gone";
        case 416: return "Range Not Satisfiable";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "";
    }
}

bool is_retryable_status(long status) {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::string describe_status(long status) {
    std::string text = fmt::format("HTTP {}", status);
    if (const char* phrase = reason_phrase(status); *phrase) text += fmt::format(" {}", phrase);
    if (status == 401 || status == 403)
        text += " (credentials are missing or wrong)";
    else if (status == 404 || status == 410)
        text += " (the URL was not found)";
    else if (status == 407)
        text += " (the proxy needs credentials, or they are wrong)";
    return text;
}

double backoff_delay(int retry, double factor, double max_secs, std::optional<double> retry_after,
                     std::mt19937_64& random) {
    double delay = factor * std::ldexp(1.0, std::max(retry, 1) - 1);
    if (retry_after) delay = std::max(delay, *retry_after);
    delay = std::clamp(delay, 0.0, max_secs);
    std::uniform_real_distribution<double> jitter(0.0, 0.25 * delay);
    return delay + jitter(random);
}

std::string proxy_for(std::string_view url, const std::map<std::string, std::string>& proxy_servers) {
    const auto parts = parse_url(url);
    if (!parts) return {};
    const auto scheme = to_lower(parts->scheme);
    const auto host = to_lower(parts->host);
    if (auto found = proxy_servers.find(scheme + "://" + host); found != proxy_servers.end()) return found->second;
    if (auto colon = host.rfind(':'); colon != std::string::npos) {
        if (auto found = proxy_servers.find(scheme + "://" + host.substr(0, colon)); found != proxy_servers.end())
            return found->second;
    }
    if (auto found = proxy_servers.find(scheme); found != proxy_servers.end()) return found->second;
    if (auto found = proxy_servers.find("all"); found != proxy_servers.end()) return found->second;
    return {};
}

std::string http_date(std::int64_t unix_seconds) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto time = static_cast<std::time_t>(unix_seconds);
    std::tm utc{};
    gmtime_r(&time, &utc);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", days[utc.tm_wday], utc.tm_mday, months[utc.tm_mon],
                       utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

}  // namespace envctl::net::detail
