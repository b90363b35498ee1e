// Arbitrary bytes as a PyPI project page (PEP 503 HTML and PEP 691 JSON), plus the URL
// arithmetic applied to its links: no crashes, no hangs; file URLs never keep a fragment.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/pip/simple_index.hpp"

using namespace envctl;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

void check_page(const Result<pip::ProjectPage>& page) {
    if (!page) return;
    for (const auto& file : page->files) {
        check(file.url.find('#') == std::string::npos, "a file URL keeps its fragment");
        for (const auto& [algorithm, digest] : file.hashes) check(!algorithm.empty(), "a hash without an algorithm");
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    constexpr std::string_view page_url = "https://pypi.example/simple/demo/";
    check_page(pip::parse_project_html(text, page_url, "demo"));
    check_page(pip::parse_project_json(text, page_url, "demo"));
    check_page(pip::parse_project_page(text, "text/html", page_url, "demo"));
    // The text as a link reference and as a base URL, and its percent-decoding.
    (void)pip::resolve_url(page_url, text);
    (void)pip::resolve_url(text, "../other/file-1.0.tar.gz#sha256=00");
    (void)pip::percent_decode(text);
    (void)pip::project_page_url("https://pypi.example/simple", text);
    return 0;
}
