#include <catch2/catch.hpp>

#include <map>

#include "envctl/pypi/requirements_file.hpp"

using namespace envctl::pypi;

namespace {
std::vector<RequirementsItem> P(std::string_view line) { return parse_requirements_line(line).value(); }
template <class T>
const T& only(const std::vector<RequirementsItem>& items) {
    REQUIRE(items.size() == 1);
    REQUIRE(std::holds_alternative<T>(items.front()));
    return std::get<T>(items.front());
}
const std::string sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
}  // namespace

TEST_CASE("requirements text splits into logical lines") {
    const std::string text =
        "# a comment\n"
        "numpy>=1.20  # trailing comment\r\n"
        "\n"
        "requests[security] \\\n"
        "    >=2.8 \\\n"
        "    ; python_version >= '3.8'\n"
        "   # indented comment \\\n"
        "pandas\\\n"
        "# comment ends the continuation\n"
        "https://host/pkg-1.0-py3-none-any.whl#sha256=" + sha + "\n"
        "scipy \\";
    const auto lines = split_requirements_lines(text);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0] == LogicalLine{2, "numpy>=1.20"});
    CHECK(lines[1] == LogicalLine{4, "requests[security]     >=2.8     ; python_version >= '3.8'"});
    CHECK(lines[2] == LogicalLine{8, "pandas"});
    CHECK(lines[3].line == 10);
    CHECK(lines[3].text == "https://host/pkg-1.0-py3-none-any.whl#sha256=" + sha);
    CHECK(lines[4] == LogicalLine{11, "scipy"});
    CHECK(split_requirements_lines("").empty());
    CHECK(split_requirements_lines("\n\n#x\n   \n").empty());
    CHECK(split_requirements_lines("a\rb\r\nc").size() == 3);
}

TEST_CASE("environment variables expand like pip") {
    const std::map<std::string, std::string> env = {{"TOKEN", "s3cret"}, {"HOST", "pypi.example"}};
    auto lookup = [&](std::string_view name) -> std::optional<std::string> {
        auto it = env.find(std::string(name));
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    CHECK(expand_environment_variables("-i https://u:${TOKEN}@${HOST}/simple", lookup) ==
          "-i https://u:s3cret@pypi.example/simple");
    CHECK(expand_environment_variables("${MISSING} ${lower} $TOKEN ${", lookup) == "${MISSING} ${lower} $TOKEN ${");
}

TEST_CASE("requirement lines") {
    auto entry = only<RequirementEntry>(P("numpy>=1.20,<2 ; python_version >= '3.9'"));
    CHECK(entry.requirement.name == "numpy");
    CHECK(entry.requirement.specifier.to_string() == ">=1.20,<2");
    CHECK(entry.requirement.marker);
    CHECK(entry.hashes.empty());

    entry = only<RequirementEntry>(P("requests==2.31.0 --hash=sha256:" + sha + " --hash sha512:" + std::string(128, 'A')));
    REQUIRE(entry.hashes.size() == 2);
    CHECK(entry.hashes[0] == RequirementHash{"sha256", sha});
    CHECK(entry.hashes[1] == RequirementHash{"sha512", std::string(128, 'a')});

    entry = only<RequirementEntry>(P("pkg @ https://host/pkg-1.0-py3-none-any.whl ; os_name == 'nt'"));
    CHECK(entry.requirement.url == "https://host/pkg-1.0-py3-none-any.whl");
    entry = only<RequirementEntry>(P("foo-bar[extra]"));
    CHECK(entry.requirement.extras == std::vector<std::string>{"extra"});
}

TEST_CASE("bare wheel URLs and paths") {
    auto wheel = only<WheelReference>(P("https://files.example/p/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl"));
    CHECK(wheel.is_url);
    CHECK(wheel.wheel.normalized_name() == "numpy");
    CHECK(wheel.location == "https://files.example/p/numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.whl");

    wheel = only<WheelReference>(P("https://host/x/torch-2.1.0%2Bcu121-cp311-cp311-linux_x86_64.whl?a=b#sha256=" + sha +
                                   "; sys_platform == 'linux'"));
    CHECK(wheel.wheel.version.to_string() == "2.1.0+cu121");
    REQUIRE(wheel.hashes.size() == 1);
    CHECK(wheel.hashes[0].hex == sha);
    REQUIRE(wheel.marker);
    CHECK(wheel.marker->to_string() == "sys_platform == \"linux\"");

    wheel = only<WheelReference>(P("./dist/My_Pkg-0.1-py3-none-any.whl[Cli,gui];python_version>'3.7' --hash=sha256:" + sha));
    CHECK_FALSE(wheel.is_url);
    CHECK(wheel.location == "./dist/My_Pkg-0.1-py3-none-any.whl");
    CHECK(wheel.extras == std::vector<std::string>{"cli", "gui"});
    CHECK(wheel.marker);
    CHECK(wheel.hashes.size() == 1);
    CHECK(only<WheelReference>(P("pkg-1.0-py3-none-any.whl")).location == "pkg-1.0-py3-none-any.whl");
    CHECK(only<WheelReference>(P("file:///tmp/wheels/pkg-1.0-py3-none-any.whl")).is_url);
    CHECK(only<WheelReference>(P("C:\\wheels\\pkg-1.0-py3-none-any.whl")).wheel.name == "pkg");
}

TEST_CASE("option lines") {
    CHECK(only<IncludeRequirements>(P("-r other.txt")).path == "other.txt");
    CHECK(only<IncludeRequirements>(P("-rother.txt")).path == "other.txt");
    CHECK(only<IncludeRequirements>(P("--requirement=other.txt")).path == "other.txt");
    CHECK(only<IncludeRequirements>(P("--requirement 'my file.txt'")).path == "my file.txt");
    CHECK(only<IncludeConstraints>(P("-c constraints.txt")).path == "constraints.txt");
    CHECK(only<IncludeConstraints>(P("--constraint constraints.txt")).path == "constraints.txt");
    CHECK(only<EditableRequirement>(P("-e .")).target == ".");
    CHECK(only<EditableRequirement>(P("--editable=git+https://x/y.git#egg=y")).target == "git+https://x/y.git#egg=y");
    CHECK(only<IndexUrl>(P("-i https://pypi.example/simple")).url == "https://pypi.example/simple");
    CHECK(only<IndexUrl>(P("--index-url=https://pypi.example/simple")).url == "https://pypi.example/simple");
    CHECK(only<ExtraIndexUrl>(P("--extra-index-url https://x/simple")).url == "https://x/simple");
    CHECK(only<FindLinks>(P("-f ./wheels")).location == "./wheels");
    CHECK(only<FindLinks>(P("--find-links=https://x/links.html")).location == "https://x/links.html");
    only<NoIndex>(P("--no-index"));
    only<AllowPrereleases>(P("--pre"));
    only<PreferBinary>(P("--prefer-binary"));
    only<RequireHashes>(P("--require-hashes"));
    auto policy = only<BinaryPolicy>(P("--no-binary :all:"));
    CHECK_FALSE(policy.only_binary);
    CHECK(policy.names == std::vector<std::string>{":all:"});
    policy = only<BinaryPolicy>(P("--only-binary=NumPy,scipy_x"));
    CHECK(policy.only_binary);
    CHECK(policy.names == std::vector<std::string>{"numpy", "scipy-x"});

    const auto several = P("--pre --index-url https://a/simple --extra-index-url=https://b/simple");
    REQUIRE(several.size() == 3);
    CHECK(std::holds_alternative<AllowPrereleases>(several[0]));
    CHECK(std::get<IndexUrl>(several[1]).url == "https://a/simple");
    CHECK(std::get<ExtraIndexUrl>(several[2]).url == "https://b/simple");
}

TEST_CASE("unsupported and malformed lines are rejected clearly") {
    const std::pair<std::string, std::string_view> cases[] = {
        {"--trusted-host pypi.example", "unsupported option '--trusted-host'"},
        {"--use-feature=truststore", "unsupported option '--use-feature'"},
        {"foo --global-option=x", "unsupported option '--global-option'"},
        {"foo --pre", "option --pre cannot follow a requirement"},
        {"-r", "option -r needs a value"},
        {"--index-url=", "option --index-url needs a value"},
        {"--pre=yes", "takes no value"},
        {"--hash=sha256:" + sha, "--hash must follow a requirement"},
        {"foo --hash=md5:d41d8cd98f00b204e9800998ecf8427e", "invalid --hash"},
        {"foo --hash=sha256:abc", "expected 64 hex digits"},
        {"-r a.txt b.txt", "unexpected 'b.txt'"},
        {"-r 'a.txt", "unterminated single quote"},
        {"--no-binary 'a b'", "invalid package name 'a b'"},
        {"https://host/pkg-1.0.tar.gz", "source distribution"},
        {"./pkg-1.0.zip", "source distribution"},
        {"./my-project", "is not a wheel file (local project directories need building)"},
        {"git+https://github.com/o/r.git#egg=r", "version-control URL"},
        {"https://host/simple/", "is not a wheel file"},
        {"https://host/bad-name.whl", "invalid wheel filename"},
        {"foo >= ", "invalid requirement"},
        {"foo @ ./local.whl", "expected an absolute URL"},
        {"./x-1.0-py3-none-any.whl; os_name ==", "invalid marker"},
    };
    for (const auto& [line, reason] : cases) {
        INFO(line);
        auto parsed = parse_requirements_line(line);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(reason)));
    }
    CHECK_THAT(parse_requirements_line("--trusted-host x").error().hints.at(0), Catch::Contains("--extra-index-url"));
}
