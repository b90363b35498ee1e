#pragma once
// URL helpers. Credentials (user:password@ and conda's /t/<token>/ path segment) must never reach
// logs, errors, JSON, lockfiles or cache paths: use redact_url() for anything shown to users and
// strip_credentials() for anything stored or compared.
#include <optional>
#include <string>
#include <string_view>

namespace envctl {

struct UrlCredentials {
    std::string user;
    std::string password;
    std::string token;  // from a /t/<token>/ path segment
    bool empty() const { return user.empty() && password.empty() && token.empty(); }
};

// "scheme://[user[:password]@]host[:port]/path?query" split into parts; nullopt when there is no
// "scheme://". Percent-encoding is left as it is.
struct UrlParts {
    std::string scheme;
    std::string user;
    std::string password;
    std::string host;  // including ":port" when present
    std::string path;  // starts with "/" or is empty
    std::string query; // without the leading "?"
};
std::optional<UrlParts> parse_url(std::string_view url);
std::string format_url(const UrlParts& parts);

UrlCredentials credentials_of(std::string_view url);
// The URL without user:password@ and without the /t/<token> segment.
std::string strip_credentials(std::string_view url);
// The URL with secrets replaced: "https://***@host/t/<TOKEN>/path".
std::string redact_url(std::string_view url);
// Redacts every URL-looking credential inside free text (error messages from libraries).
std::string redact_text(std::string_view text);

// Joins a base URL and a relative path with exactly one "/".
std::string join_url(std::string_view base, std::string_view path);

}  // namespace envctl
