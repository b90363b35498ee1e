#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "envctl/extract/package_path.hpp"

using namespace envctl;
using namespace envctl::extract;

TEST_CASE("package paths are normalised to one canonical form") {
    CHECK(normalize_package_path("lib/libz.so").value() == "lib/libz.so");
    CHECK(normalize_package_path("./lib//data.txt").value() == "lib/data.txt");
    CHECK(normalize_package_path("bin/").value() == "bin");
    CHECK(normalize_package_path("a/./b/.").value() == "a/b");
    CHECK(normalize_package_path("./").value().empty());
    CHECK(normalize_package_path("caf\xc3\xa9/\xe6\x97\xa5.txt").value() == "caf\xc3\xa9/\xe6\x97\xa5.txt");
}

TEST_CASE("package paths that leave the root or are not text are refused") {
    for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../x", "a/../../x", "a/..", "..",
                                  std::string("a\0b", 3), "a\nb", "a\x7f", "caf\xe9", "\xc0\xaf", "\xed\xa0\x80"}) {
        INFO(printable_path(bad));
        const auto result = normalize_package_path(bad);
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == ErrorKind::Integrity);
    }
}

TEST_CASE("symlink targets must stay inside the package") {
    CHECK(check_symlink_target("lib/libz.so", "libz.so.1"));
    CHECK(check_symlink_target("lib/terminfo", "../share/terminfo"));
    CHECK(check_symlink_target("libexec/greetings", "../bin/hello"));
    CHECK(check_symlink_target("a/b/c", "../../x/./y"));
    CHECK(check_symlink_target("top", "."));
    CHECK_FALSE(check_symlink_target("top", ".."));
    CHECK_FALSE(check_symlink_target("lib/x", "../../etc/passwd"));
    CHECK_FALSE(check_symlink_target("lib/x", "a/../../../etc"));
    CHECK_FALSE(check_symlink_target("lib/x", "/etc"));
    CHECK_FALSE(check_symlink_target("lib/x", ""));
    CHECK_FALSE(check_symlink_target("lib/x", "caf\xe9"));
}

TEST_CASE("printable_path escapes what a terminal should not see") {
    CHECK(printable_path("caf\xe9\n") == "caf\\xe9\\x0a");
    CHECK(printable_path("caf\xc3\xa9") == "caf\xc3\xa9");
    CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong
}
