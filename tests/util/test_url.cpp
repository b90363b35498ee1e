#include <catch2/catch.hpp>

#include "envctl/util/url.hpp"

using namespace envctl;

TEST_CASE("credentials are stripped and redacted") {
    const std::string url = "https://user:s3cret@host.example:8443/t/tk-123/conda-forge/linux-64/repodata.json";
    CHECK(strip_credentials(url) == "https://host.example:8443/conda-forge/linux-64/repodata.json");
    CHECK(redact_url(url) == "https://***@host.example:8443/t/<TOKEN>/conda-forge/linux-64/repodata.json");
    const auto credentials = credentials_of(url);
    CHECK(credentials.user == "user");
    CHECK(credentials.password == "s3cret");
    CHECK(credentials.token == "tk-123");
    CHECK(redact_text("GET https://u:p@h/t/abc/x failed") == "GET https://***@h/t/<TOKEN>/x failed");
}

TEST_CASE("URLs without credentials are unchanged") {
    for (const std::string url : {"https://conda.anaconda.org/conda-forge", "file:///tmp/channel", "http://127.0.0.1:8080/x?y=1"}) {
        CHECK(strip_credentials(url) == url);
        CHECK(redact_url(url) == url);
        CHECK(credentials_of(url).empty());
    }
    CHECK_FALSE(parse_url("/just/a/path").has_value());
    CHECK(join_url("http://h/a/", "/b") == "http://h/a/b");
}
