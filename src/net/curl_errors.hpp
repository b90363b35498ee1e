#pragma once
// How libcurl's result codes read to users and which of them are worth retrying.
#include <curl/curl.h>

#include <string>
#include <string_view>

namespace envctl::net::detail {

// Connection failures, timeouts, truncated or garbled transfers: transient, retried.
bool is_retryable_curl_error(CURLcode code);
// libcurl's text for `code` plus its detail message, with credentials redacted.
std::string describe_curl_error(CURLcode code, std::string_view detail);

}  // namespace envctl::net::detail
