// PEP 503 HTML and PEP 691 JSON project pages: links made absolute, hashes, requires-python,
// yanked (PEP 592) and core metadata (PEP 658/714) attributes, and malformed pages.
#include <catch2/catch.hpp>

#include "envctl/pip/simple_index.hpp"

using namespace envctl;

TEST_CASE("simple index: URL arithmetic") {
    CHECK(pip::project_page_url("https://pypi.org/simple", "requests") == "https://pypi.org/simple/requests/");
    CHECK(pip::project_page_url("https://pypi.org/simple/", "requests") == "https://pypi.org/simple/requests/");
    const std::string base = "http://h:8/simple/pkg/";
    CHECK(pip::resolve_url(base, "../../files/p-1.whl") == "http://h:8/files/p-1.whl");
    CHECK(pip::resolve_url(base, "p-1.whl#sha256=00") == "http://h:8/simple/pkg/p-1.whl#sha256=00");
    CHECK(pip::resolve_url(base, "/abs/p.whl") == "http://h:8/abs/p.whl");
    CHECK(pip::resolve_url(base, "//cdn.example/p.whl") == "http://cdn.example/p.whl");
    CHECK(pip::resolve_url(base, "https://other/x/./y/../p.whl") == "https://other/x/p.whl");
    CHECK(pip::resolve_url(base, "?q=1") == "http://h:8/simple/pkg/?q=1");
    CHECK(pip::resolve_url("http://h", "p.whl") == "http://h/p.whl");
    CHECK(pip::percent_decode("a%2Bb%2b%zz%4") == "a+b+%zz%4");
}

TEST_CASE("simple index: PEP 503 HTML page") {
    const std::string html = R"(<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for demo</title></head>
<body><h1>Links for demo</h1>
<!-- <a href="commented-1.0-py3-none-any.whl">no</a> -->
<a href="../../files/demo-1.0-py3-none-any.whl#sha256=ABCDEF01" data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a><br/>
<a href='demo-1.1.tar.gz#md5=00ff'>demo-1.1.tar.gz</a>
<A HREF=demo-2.0rc1-py3-none-any.whl data-yanked="broken &amp; bad" data-core-metadata="sha256=beef">x</A>
<a href="demo-2.0-py3-none-any.whl" data-dist-info-metadata="true" data-yanked>y</a>
<a href="demo%2Bx-3.0-py3-none-any.whl" data-core-metadata="false">z</a>
<a>no href</a><a href="">empty</a>
</body></html>)";
    auto page = pip::parse_project_html(html, "http://127.0.0.1:1/simple/demo/", "Demo");
    REQUIRE(page);
    CHECK(page->name == "demo");
    REQUIRE(page->files.size() == 5);
    const auto& first = page->files[0];
    CHECK(first.filename == "demo-1.0-py3-none-any.whl");
    CHECK(first.url == "http://127.0.0.1:1/files/demo-1.0-py3-none-any.whl");
    CHECK(first.sha256() == "abcdef01");
    CHECK(first.requires_python == std::optional<std::string>(">=3.8"));
    CHECK_FALSE(first.yanked);
    CHECK_FALSE(first.has_metadata);
    CHECK(page->files[1].hashes.at("md5") == "00ff");
    CHECK(page->files[1].sha256().empty());
    CHECK(page->files[2].yanked);
    CHECK(page->files[2].yanked_reason == "broken & bad");
    CHECK(page->files[2].has_metadata);
    CHECK(page->files[2].metadata_sha256() == "beef");
    CHECK(page->files[2].url == "http://127.0.0.1:1/simple/demo/demo-2.0rc1-py3-none-any.whl");
    CHECK(page->files[3].yanked);
    CHECK(page->files[3].yanked_reason.empty());
    CHECK(page->files[3].has_metadata);
    CHECK(page->files[4].filename == "demo+x-3.0-py3-none-any.whl");
    CHECK_FALSE(page->files[4].has_metadata);
}

TEST_CASE("simple index: <base href> changes where links point") {
    const std::string html = R"(<html><head><base href="https://files.example/packages/"></head>
<body><a href="demo-1.0-py3-none-any.whl">d</a></body></html>)";
    auto page = pip::parse_project_html(html, "https://index.example/simple/demo/", "demo");
    REQUIRE(page);
    REQUIRE(page->files.size() == 1);
    CHECK(page->files[0].url == "https://files.example/packages/demo-1.0-py3-none-any.whl");
}

TEST_CASE("simple index: broken HTML never fails, it yields what it can") {
    for (const auto* html : {"", "<", "<a href=", "<a href='x.whl", "<!-- never closed", "<a href=\"a.whl\"<a href=\"b.whl\">",
                             "&#xffffffff;<a href=\"&#99999999;.whl\">"}) {
        INFO(html);
        auto page = pip::parse_project_html(html, "http://h/simple/p/", "p");
        CHECK(page);
    }
    auto two = pip::parse_project_html("<a href=\"a.whl\"<a href=\"b.whl\">", "http://h/simple/p/", "p");
    REQUIRE(two);
    CHECK(two->files.size() == 2);
}

TEST_CASE("simple index: PEP 691 JSON page") {
    const std::string json = R"({
  "meta": {"api-version": "1.1", "_last-serial": 3},
  "name": "demo",
  "versions": ["1.0", "2.0"],
  "files": [
    {"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",
     "hashes": {"sha256": "ABCD", "md5": "12"}, "requires-python": ">=3.8", "core-metadata": {"sha256": "EF01"}},
    {"filename": "demo-2.0-py3-none-any.whl", "url": "https://cdn.example/demo-2.0-py3-none-any.whl",
     "hashes": {}, "yanked": "security issue", "dist-info-metadata": true},
    {"filename": "demo-2.1-py3-none-any.whl", "url": "demo-2.1-py3-none-any.whl", "hashes": {}, "yanked": false,
     "core-metadata": false, "requires-python": "  "}
  ]})";
    auto page = pip::parse_project_json(json, "http://127.0.0.1:1/simple/demo/", "demo");
    REQUIRE(page);
    REQUIRE(page->files.size() == 3);
    CHECK(page->files[0].url == "http://127.0.0.1:1/files/demo-1.0-py3-none-any.whl");
    CHECK(page->files[0].sha256() == "abcd");
    CHECK(page->files[0].metadata_sha256() == "ef01");
    CHECK(page->files[0].has_metadata);
    CHECK(page->files[0].requires_python == std::optional<std::string>(">=3.8"));
    CHECK(page->files[1].yanked);
    CHECK(page->files[1].yanked_reason == "security issue");
    CHECK(page->files[1].has_metadata);
    CHECK_FALSE(page->files[2].yanked);
    CHECK_FALSE(page->files[2].has_metadata);
    CHECK_FALSE(page->files[2].requires_python);
}

TEST_CASE("simple index: invalid JSON pages name what is wrong") {
    const auto check = [](const char* json, const char* expected) {
        auto page = pip::parse_project_json(json, "http://h/simple/p/", "p");
        INFO(json);
        REQUIRE_FALSE(page);
        CHECK(page.error().kind == ErrorKind::Input);
        CHECK(page.error().message.find(expected) != std::string::npos);
    };
    check("not json", "not a JSON object");
    check("[]", "not a JSON object");
    check(R"({"files": []})", "api-version");
    check(R"({"meta": {"api-version": "2.0"}, "files": []})", "api-version 2.0");
    check(R"({"meta": {"api-version": "1.0"}, "files": {}})", "'files'");
    check(R"({"meta": {"api-version": "1.0"}, "files": [{"filename": "a.whl"}]})", "'url'");
    check(R"({"meta": {"api-version": "1.0"}, "files": [{"filename": "../a.whl", "url": "a.whl"}]})", "plain file name");
    check(R"({"meta": {"api-version": "1.0"}, "files": [{"url": "a.whl", "hashes": []}]})", "'hashes'");
    check(R"({"meta": {"api-version": "1.0"}, "files": [{"url": "a.whl", "core-metadata": 3}]})", "core-metadata");
}

TEST_CASE("simple index: the content type chooses the parser") {
    const std::string json = R"({"meta": {"api-version": "1.0"}, "files": [{"filename": "a-1-py3-none-any.whl", "url": "a-1-py3-none-any.whl", "hashes": {}}]})";
    auto as_json = pip::parse_project_page(json, "application/vnd.pypi.simple.v1+json; charset=utf-8", "http://h/simple/a/", "a");
    REQUIRE(as_json);
    CHECK(as_json->files.size() == 1);
    auto plain_json = pip::parse_project_page(json, "Application/JSON", "http://h/simple/a/", "a");
    REQUIRE(plain_json);
    CHECK(plain_json->files.size() == 1);
    auto as_html = pip::parse_project_page("<a href=\"a-1-py3-none-any.whl\">a</a>", "text/html", "http://h/simple/a/", "a");
    REQUIRE(as_html);
    CHECK(as_html->files.size() == 1);
}
