// The downloader's response header parsing: arbitrary header lines never crash it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "../../src/net/http.hpp"
#include "envctl/util/strings.hpp"

using namespace envctl::net::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    ResponseHeaders headers;
    for (auto line : envctl::split(text, '\n')) add_header_line(headers, line);
    (void)parse_content_range_start(text);
    (void)parse_retry_after(text);
    (void)proxy_for(text, {{"https", "http://p"}, {"http://h", "http://q"}});
    return 0;
}
