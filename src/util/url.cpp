#include "envctl/util/url.hpp"

#include <regex>

namespace envctl {

std::optional<UrlParts> parse_url(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
    UrlParts parts;
    parts.scheme = std::string(url.substr(0, scheme_end));
    auto rest = url.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?");
    auto authority = rest.substr(0, authority_end);
    rest = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        const auto userinfo = authority.substr(0, at);
        const auto colon = userinfo.find(':');
        parts.user = std::string(userinfo.substr(0, colon));
        if (colon != std::string_view::npos) parts.password = std::string(userinfo.substr(colon + 1));
        authority = authority.substr(at + 1);
    }
    parts.host = std::string(authority);
    const auto query_start = rest.find('?');
    parts.path = std::string(rest.substr(0, query_start));
    if (query_start != std::string_view::npos) parts.query = std::string(rest.substr(query_start + 1));
    return parts;
}

std::string format_url(const UrlParts& parts) {
    std::string out = parts.scheme + "://";
    if (!parts.user.empty() || !parts.password.empty()) {
        out += parts.user;
        if (!parts.password.empty()) out += ":" + parts.password;
        out += "@";
    }
    out += parts.host + parts.path;
    if (!parts.query.empty()) out += "?" + parts.query;
    return out;
}

namespace {
// Position and length of a "/t/<token>" segment in a URL path, if any.
std::optional<std::pair<std::size_t, std::size_t>> token_segment(std::string_view path) {
    const auto start = path.find("/t/");
    if (start == std::string_view::npos) return std::nullopt;
    const auto token_start = start + 3;
    const auto token_end = std::min(path.find('/', token_start), path.size());
    if (token_end == token_start) return std::nullopt;
    return std::pair{start, token_end - start};
}
}  // namespace

UrlCredentials credentials_of(std::string_view url) {
    UrlCredentials credentials;
    auto parts = parse_url(url);
    if (!parts) return credentials;
    credentials.user = parts->user;
    credentials.password = parts->password;
    if (auto segment = token_segment(parts->path))
        credentials.token = parts->path.substr(segment->first + 3, segment->second - 3);
    return credentials;
}

std::string strip_credentials(std::string_view url) {
    auto parts = parse_url(url);
    if (!parts) return std::string(url);
    parts->user.clear();
    parts->password.clear();
    if (auto segment = token_segment(parts->path)) parts->path.erase(segment->first, segment->second);
    return format_url(*parts);
}

std::string redact_url(std::string_view url) {
    auto parts = parse_url(url);
    if (!parts) return std::string(url);
    if (!parts->user.empty() || !parts->password.empty()) {
        parts->user = "***";
        parts->password.clear();
    }
    if (auto segment = token_segment(parts->path))
        parts->path.replace(segment->first, segment->second, "/t/<TOKEN>");
    return format_url(*parts);
}

std::string redact_text(std::string_view text) {
    static const std::regex userinfo(R"(([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@)");
    static const std::regex token(R"(/t/[^/\s]+)");
    std::string out = std::regex_replace(std::string(text), userinfo, "$1***@");
    return std::regex_replace(out, token, "/t/<TOKEN>");
}

std::string join_url(std::string_view base, std::string_view path) {
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    std::string out(base);
    out += '/';
    out += path;
    return out;
}

}  // namespace envctl
