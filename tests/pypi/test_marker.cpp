#include <catch2/catch.hpp>

#include "envctl/pypi/marker.hpp"

using namespace envctl::pypi;

namespace {
MarkerEnvironment target(std::string_view subdir, std::string_view python) {
    return MarkerEnvironment::for_target(subdir, python).value();
}
bool eval(std::string_view marker, const MarkerEnvironment& env) { return Marker::parse(marker).value().evaluate(env); }
}  // namespace

TEST_CASE("marker environments for conda subdirs") {
    const auto on_linux = target("linux-64", "3.11");
    CHECK(on_linux.os_name == "posix");
    CHECK(on_linux.sys_platform == "linux");
    CHECK(on_linux.platform_system == "Linux");
    CHECK(on_linux.platform_machine == "x86_64");
    CHECK(on_linux.python_version == "3.11");
    CHECK(on_linux.python_full_version == "3.11.0");
    CHECK(on_linux.implementation_name == "cpython");
    CHECK(on_linux.platform_python_implementation == "CPython");
    const auto mac = target("osx-arm64", "3.12.4");
    CHECK(mac.sys_platform == "darwin");
    CHECK(mac.platform_system == "Darwin");
    CHECK(mac.platform_machine == "arm64");
    CHECK(mac.python_full_version == "3.12.4");
    const auto windows = target("win-64", "3.10.11");
    CHECK(windows.sys_platform == "win32");
    CHECK(windows.platform_system == "Windows");
    CHECK(windows.platform_machine == "AMD64");
    CHECK(windows.os_name == "nt");
    CHECK(target("linux-aarch64", "3.9").platform_machine == "aarch64");
    CHECK(target("win-arm64", "3.12").platform_machine == "ARM64");
    const auto candidate = target("linux-64", "3.13.0rc2");
    CHECK(candidate.python_full_version == "3.13.0rc2");
    CHECK(candidate.implementation_version == "3.13.0c2");

    CHECK_THAT(MarkerEnvironment::for_target("noarch", "3.11").error().message, Catch::Contains("'noarch'"));
    CHECK_THAT(MarkerEnvironment::for_target("linux-64", "3").error().message, Catch::Contains("invalid Python version"));
    CHECK_FALSE(MarkerEnvironment::for_target("linux-64", "three"));
}

TEST_CASE("markers evaluate per target") {
    const auto on_linux = target("linux-64", "3.11");
    const auto mac = target("osx-arm64", "3.8.10");
    const auto windows = target("win-64", "3.10");

    CHECK(eval("python_version >= \"3.8\"", on_linux));
    // PEP 440 comparison, not string comparison ("3.11" < "3.9" as strings).
    CHECK(eval("python_version > \"3.9\"", on_linux));
    CHECK_FALSE(eval("python_version > \"3.9\"", mac));
    CHECK(eval("python_version < '3.10'", mac));
    CHECK(eval("'3.9' <= python_version", on_linux));
    CHECK(eval("python_version ~= \"3.8\"", on_linux));
    CHECK(eval("python_version == \"3.*\"", on_linux));
    CHECK_FALSE(eval("python_version == \"3.1\"", on_linux));
    CHECK(eval("python_version === \"3.11\"", on_linux));
    CHECK(eval("python_full_version >= \"3.8.10\"", mac));
    CHECK_FALSE(eval("python_full_version >= \"3.11.4\"", on_linux));

    CHECK(eval("sys_platform == \"linux\"", on_linux));
    CHECK(eval("sys_platform == 'win32' and platform_machine == 'AMD64'", windows));
    CHECK(eval("platform_machine in \"x86_64 AMD64\"", windows));
    CHECK_FALSE(eval("platform_machine in \"x86_64 AMD64\"", mac));
    CHECK(eval("platform_machine not in \"x86_64 AMD64\"", mac));
    CHECK(eval("'lin' in sys_platform", on_linux));
    CHECK(eval("os_name == \"nt\" or sys_platform == \"darwin\"", mac));
    CHECK(eval("platform_system != \"Windows\"", on_linux));
    CHECK(eval("implementation_name == \"cpython\" and platform_python_implementation == 'CPython'", windows));
    // Legacy spellings.
    CHECK(eval("python_implementation == 'CPython'", on_linux));
    CHECK(eval("os.name == 'posix' and sys.platform == 'linux' and platform.machine == 'x86_64'", on_linux));
    // Values that are not versions compare as strings; ~= has no string meaning.
    CHECK_FALSE(eval("platform_release >= \"5\"", on_linux));
    CHECK(eval("platform_release == ''", on_linux));
    CHECK(eval("sys_platform > \"darwin\"", on_linux));
    CHECK_FALSE(eval("'abc' ~= platform_system", on_linux));
}

TEST_CASE("marker precedence: and binds tighter than or") {
    MarkerEnvironment env;
    env.os_name = "c";
    // (a and b) or c
    CHECK(eval("os_name=='a' and os_name=='b' or os_name=='c'", env));
    // a and (b or c)
    CHECK_FALSE(eval("os_name=='a' and (os_name=='b' or os_name=='c')", env));
    env.os_name = "a";
    // a or (b and c)
    CHECK(eval("os_name=='a' or os_name=='b' and os_name=='c'", env));
    // (a or b) and c
    CHECK_FALSE(eval("(os_name=='a' or os_name=='b') and os_name=='c'", env));
    CHECK(eval("((((os_name == 'a'))))", env));
}

TEST_CASE("extra markers evaluate for each requested extra") {
    auto env = target("linux-64", "3.11");
    CHECK_FALSE(eval("extra == \"test\"", env));
    CHECK(eval("extra == \"\"", env));
    env.extras = {"Test_Extra", "docs"};
    CHECK(eval("extra == \"test-extra\"", env));
    CHECK(eval("extra == 'test.extra' and python_version >= '3'", env));
    CHECK(eval("extra == 'DOCS'", env));
    CHECK_FALSE(eval("extra == 'gpu'", env));
    CHECK(eval("\"test-extra\" in extras", env));
    CHECK(eval("'gpu' not in extras", env));
    env.dependency_groups = {"dev"};
    CHECK(eval("'dev' in dependency_groups", env));
    CHECK(Marker::parse("extra == 'x'").value().uses(MarkerVariable::Extra));
    CHECK_FALSE(Marker::parse("os_name == 'x'").value().uses(MarkerVariable::Extra));
}

TEST_CASE("markers print canonically") {
    CHECK(Marker::parse("os_name=='a' and (os_name=='b' or os_name=='c')").value().to_string() ==
          "os_name == \"a\" and (os_name == \"b\" or os_name == \"c\")");
    CHECK(Marker::parse("python_implementation=='CPython'").value().to_string() ==
          "platform_python_implementation == \"CPython\"");
    CHECK(Marker::parse("os_name == 'a\"b'").value().to_string() == "os_name == 'a\"b'");
    CHECK(Marker::parse("  'x'   not    in extras").value().to_string() == "\"x\" not in extras");
    CHECK(Marker::parse("python_version<'3'or os_name=='nt'").value().to_string() ==
          "python_version < \"3\" or os_name == \"nt\"");
    const auto marker = Marker::parse("(a_var == 'x')");
    CHECK_FALSE(marker);
    // Printing then parsing gives the same marker.
    const auto original = Marker::parse("(os_name == 'a' or os_name == 'b') and extra != 'c' or 'x' in extras");
    CHECK(Marker::parse(original->to_string()).value() == *original);
}

TEST_CASE("invalid markers point at the column") {
    const std::tuple<std::string_view, std::string_view, std::size_t> cases[] = {
        {"python_version >= ", "expected a marker variable", 19},
        {"foo == \"x\"", "unknown marker variable 'foo'", 1},
        {"python_version = \"3\"", "expected a comparison operator", 16},
        {"(os_name == \"nt\"", "expected ')' to close the '(' at column 1", 17},
        {"os_name == \"nt", "unterminated string", 12},
        {"os_name == \"nt\" and", "expected a marker variable", 20},
        {"os_name == \"nt\" xor os_name == 'a'", "expected 'and', 'or' or the end", 17},
        {"extras == 'x'", "'extras' is a set", 1},
        {"'x' == extras", "only works with 'in' and 'not in'", 5},
        {"python_version ~= '3'", "two release segments", 19},
        {"os_name not 'x'", "expected 'in' after 'not'", 13},
        {"", "expected a marker expression", 1},
        {"3.8 < python_version", "unknown marker variable '3.8'", 1},
    };
    for (const auto& [text, reason, column] : cases) {
        INFO(text);
        auto marker = Marker::parse(text);
        REQUIRE_FALSE(marker);
        CHECK_THAT(marker.error().message, Catch::Contains(std::string(reason)));
        REQUIRE(marker.error().location);
        CHECK(marker.error().location->column == column);
    }
    std::string deep(500, '(');
    CHECK_THAT(Marker::parse(deep).error().message, Catch::Contains("nest too deeply"));
}
