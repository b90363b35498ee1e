#include <catch2/catch.hpp>

#include <string>

#include "envctl/link/prefix_replace.hpp"

using namespace envctl;
using namespace envctl::link;
using namespace std::string_literals;

TEST_CASE("text placeholders are replaced everywhere") {
    CHECK(replace_text_placeholder("a=/opt/ph/x b=/opt/ph", "/opt/ph", "/p") == "a=/p/x b=/p");
    CHECK(replace_text_placeholder("nothing here", "/opt/ph", "/p") == "nothing here");
    CHECK(replace_text_placeholder("", "/opt/ph", "/p").empty());
    // A longer prefix is fine in text mode.
    CHECK(replace_text_placeholder("/opt/ph", "/opt/ph", "/a/much/longer/prefix") == "/a/much/longer/prefix");
}

TEST_CASE("binary placeholders keep the string length, padding with NULs") {
    const std::string placeholder = "/opt/placeholder_placeholder";
    const std::string data = "head\0RPATH="s + placeholder + "/lib:" + placeholder + "/lib64\0tail"s;
    auto replaced = replace_binary_placeholder(data, placeholder, "/env");
    REQUIRE(replaced);
    CHECK(replaced->size() == data.size());
    const std::string expected_string = "RPATH=/env/lib:/env/lib64";
    const auto start = replaced->find("RPATH=");
    REQUIRE(start != std::string::npos);
    CHECK(replaced->substr(start, expected_string.size()) == expected_string);
    // The rest of the old string is NULs up to the original terminator, then "tail" follows.
    const auto old_end = data.find('\0', start);
    for (auto i = start + expected_string.size(); i < old_end; ++i) CHECK((*replaced)[i] == '\0');
    CHECK(replaced->substr(replaced->size() - 4) == "tail");
    CHECK(replaced->substr(0, 5) == "head\0"s);
}

TEST_CASE("binary placeholder at the end of the data without a terminator") {
    const std::string data = "x\0/opt/placeholder/bin"s;
    auto replaced = replace_binary_placeholder(data, "/opt/placeholder", "/e");
    REQUIRE(replaced);
    CHECK(replaced->size() == data.size());
    CHECK(*replaced == "x\0/e/bin"s + std::string(14, '\0'));
}

TEST_CASE("a prefix longer than a binary placeholder is an error") {
    auto replaced = replace_binary_placeholder("a\0/opt/ph\0"s, "/opt/ph", "/a/prefix/that/is/longer");
    REQUIRE_FALSE(replaced);
    CHECK(replaced.error().kind == ErrorKind::Input);
    CHECK(replaced.error().message.find("longer than") != std::string::npos);
    // ...but only when the placeholder occurs at all.
    CHECK(replace_binary_placeholder("no placeholder", "/opt/ph", "/a/prefix/that/is/longer"));
}

TEST_CASE("long shebangs become /usr/bin/env") {
    const std::string prefix = "/tmp/" + std::string(150, 'p');
    const std::string script = "#!" + prefix + "/bin/python3.11 -E\nprint(1)\n";
    auto fixed = fix_long_shebang(script, prefix);
    REQUIRE(fixed);
    CHECK(*fixed == "#!/usr/bin/env python3.11 -E\nprint(1)\n");
    CHECK_FALSE(fix_long_shebang("#!/usr/bin/python3\nx\n", "/usr"));
    CHECK_FALSE(fix_long_shebang("echo no shebang\n", prefix));
}

TEST_CASE("shebangs with a blank in the prefix become /usr/bin/env") {
    const std::string prefix = "/tmp/my env";
    auto fixed = fix_long_shebang("#!/tmp/my env/bin/perl -w\nprint 1;\n", prefix);
    REQUIRE(fixed);
    CHECK(*fixed == "#!/usr/bin/env perl -w\nprint 1;\n");
}

TEST_CASE("entry point scripts") {
    const auto script = python_entry_point_script("/env/bin/python", "demo.cli", "main");
    CHECK(script.starts_with("#!/env/bin/python\n"));
    CHECK(script.find("from demo.cli import main\n") != std::string::npos);
    CHECK(script.find("sys.exit(main())") != std::string::npos);
    const auto dotted = python_entry_point_script("/env/bin/python", "demo", "app.run");
    CHECK(dotted.find("from demo import app\n") != std::string::npos);
    CHECK(dotted.find("sys.exit(app.run())") != std::string::npos);
    const std::string long_python = "/" + std::string(200, 'x') + "/bin/python";
    CHECK(python_entry_point_shebang(long_python).starts_with("#!/bin/sh\n'''exec' \"" + long_python + "\""));
}
