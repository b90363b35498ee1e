#include "curl_errors.hpp"

#include <fmt/format.h>

#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::net::detail {

bool is_retryable_curl_error(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
        case CURLE_QUIC_CONNECT_ERROR:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_BAD_CONTENT_ENCODING:
        case CURLE_AGAIN:
            return true;
        default:
            return false;
    }
}

std::string describe_curl_error(CURLcode code, std::string_view detail) {
    std::string text = curl_easy_strerror(code);
    detail = trim(detail);
    if (code == CURLE_FILE_COULDNT_READ_FILE) text = "the file was not found or cannot be read";
    if (code == CURLE_PARTIAL_FILE) text = "the body was truncated (the connection closed early)";
    if (code == CURLE_OPERATION_TIMEDOUT) text = "timed out";
    if (!detail.empty() && detail != text) text += fmt::format(" ({})", detail);
    return redact_text(text);
}

}  // namespace envctl::net::detail
