#include <catch2/catch.hpp>

#include "envctl/pypi/requirement.hpp"

using namespace envctl::pypi;

namespace {
Requirement R(std::string_view text) { return Requirement::parse(text).value(); }
}  // namespace

TEST_CASE("PEP 508 grammar examples parse") {
    for (std::string_view text :
         {"A", "A.B-C_D", "aa", "name", "name<=1", "name>=3", "name>=3,", "name@http://foo.com",
          "name [fred,bar] @ http://foo.com ; python_version=='2.7'",
          "name[quux, strange];python_version<'2.7' and platform_version=='2'",
          "name; os_name=='a' or os_name=='b'", "name; os_name=='a' and os_name=='b' or os_name=='c'",
          "name; os_name=='a' and (os_name=='b' or os_name=='c')",
          "name; os_name=='a' or os_name=='b' and os_name=='c'",
          "name; (os_name=='a' or os_name=='b') and os_name=='c'"}) {
        INFO(text);
        auto requirement = Requirement::parse(text);
        CHECK(requirement);
        if (requirement) CHECK(R(requirement->to_string()) == *requirement);
    }
}

TEST_CASE("requirement parts") {
    auto r = R("Name.Two [Fred,bar, fred] @ http://foo.com/x;y ; python_version=='2.7'");
    CHECK(r.name == "Name.Two");
    CHECK(r.normalized_name() == "name-two");
    CHECK(r.extras == std::vector<std::string>{"bar", "fred"});
    CHECK(r.url == "http://foo.com/x;y");
    CHECK(r.specifier.empty());
    REQUIRE(r.marker);
    CHECK(r.marker->to_string() == "python_version == \"2.7\"");
    CHECK(r.to_string() == "Name.Two[bar,fred] @ http://foo.com/x;y ; python_version == \"2.7\"");

    r = R("requests[security] >= 2.8.1, == 2.8.* ; python_version < \"2.7\"");
    CHECK(r.name == "requests");
    CHECK(r.specifier.to_string() == ">=2.8.1,==2.8.*");
    CHECK(r.to_string() == "requests[security]>=2.8.1,==2.8.*; python_version < \"2.7\"");

    r = R("numpy (>=1.20, <2)");
    CHECK(r.specifier.to_string() == ">=1.20,<2");
    CHECK(r.to_string() == "numpy>=1.20,<2");
    r = R("pip @ file:///localbuilds/pip-1.3.1.zip");
    CHECK(r.url == "file:///localbuilds/pip-1.3.1.zip");
    CHECK(r.to_string() == "pip @ file:///localbuilds/pip-1.3.1.zip");
    r = R("foo[]");
    CHECK(r.extras.empty());
    CHECK(R("  torch==2.1.0+cu121  ").specifier.to_string() == "==2.1.0+cu121");
    CHECK(R("Foo.Bar ()").specifier.empty());
    CHECK(R("pkg @ git+https://github.com/o/r.git@v1.0").url == "git+https://github.com/o/r.git@v1.0");
    CHECK(R("pkg @ file:/abs/pkg-1.0-py3-none-any.whl").url == "file:/abs/pkg-1.0-py3-none-any.whl");
}

TEST_CASE("requirements apply per target") {
    auto on_linux = MarkerEnvironment::for_target("linux-64", "3.11").value();
    auto windows = MarkerEnvironment::for_target("win-64", "3.11").value();
    auto r = R("pywin32>=300; sys_platform == 'win32'");
    CHECK_FALSE(r.applies_to(on_linux));
    CHECK(r.applies_to(windows));
    CHECK(R("numpy").applies_to(on_linux));
    auto test_only = R("pytest; extra == 'test'");
    CHECK_FALSE(test_only.applies_to(on_linux));
    on_linux.extras = {"test"};
    CHECK(test_only.applies_to(on_linux));
}

TEST_CASE("invalid requirements point at the column") {
    const std::tuple<std::string_view, std::string_view, std::size_t> cases[] = {
        {"", "expected a package name", 1},
        {">=1.0", "expected a package name", 1},
        {"foo-", "a package name must end with a letter or digit", 4},
        {"foo >= 1.0 bar", "unexpected 'bar' after the version '1.0'", 5},
        {"foo >=1.0,<2 ; os_name ==", "expected a marker variable", 26},
        {"foo[bar", "expected ']' to close the '[' at column 4", 8},
        {"foo[bar baz]", "expected ',' or ']'", 9},
        {"foo[bar,]", "expected an extra name", 9},
        {"foo @ ", "expected a URL after '@'", 7},
        {"foo @ https://x.org/a.whl; os_name == 'nt'", "expected ';' and a marker, or the end", 28},
        {"foo @ https://x.org/a.whl extra", "expected ';' and a marker, or the end", 27},
        {"foo (>=1.0", "expected ')' to close the '(' at column 5", 11},
        {"foo >=1.0,,<2", "expected an operator", 11},
        {"foo ==1.0.*.*", "invalid version", 5},
        {"foo $", "expected a version specifier, '@ URL'", 5},
        {"foo; ", "expected a marker expression", 6},
        {"foo>=1.0+local", "local versions", 4},
        {"foo @ ./dist/foo-1.0-py3-none-any.whl", "expected an absolute URL", 7},
        {"foo @ 1.0https://x.org/a.whl", "expected an absolute URL", 7},
        {"foo ===bar)", "may not contain ';' or ')'", 5},
    };
    for (const auto& [text, reason, column] : cases) {
        INFO(text);
        auto requirement = Requirement::parse(text);
        REQUIRE_FALSE(requirement);
        CHECK_THAT(requirement.error().message, Catch::Contains(std::string(reason)));
        CHECK_THAT(requirement.error().message, Catch::Contains("invalid requirement"));
        REQUIRE(requirement.error().location);
        CHECK(requirement.error().location->column == column);
    }
}
