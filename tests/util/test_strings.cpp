#include <catch2/catch.hpp>

#include "envctl/util/strings.hpp"

using namespace envctl;

TEST_CASE("trim and split") {
    CHECK(trim("  a b \t\n") == "a b");
    CHECK(split("a,,b", ',') == std::vector<std::string_view>{"a", "", "b"});
    CHECK(split_whitespace("  a \t b  ") == std::vector<std::string_view>{"a", "b"});
    CHECK(join({"x", "y", "z"}, ", ") == "x, y, z");
}

TEST_CASE("glob matching as conda uses it") {
    CHECK(glob_match("py*", "python"));
    CHECK(glob_match("*_cpu_*", "py311_cpu_0"));
    CHECK(glob_match("h?c", "hac"));
    CHECK_FALSE(glob_match("py*", "numpy"));
    CHECK_FALSE(glob_match("a*b", "a"));
    CHECK(glob_match("*", ""));
}
