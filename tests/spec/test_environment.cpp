#include <catch2/catch.hpp>

#include <filesystem>
#include <iostream>

#include "envctl/spec/environment.hpp"

using namespace envctl;
using namespace envctl::spec;
namespace fs = std::filesystem;

namespace {

EnvironmentSpec parse_environment(std::string_view yaml) {
    auto spec = parse_environment_yaml(yaml, "environment.yml");
    if (!spec) FAIL(spec.error().to_string());
    return *spec;
}

Error parse_error(std::string_view yaml) {
    auto spec = parse_environment_yaml(yaml, "environment.yml");
    REQUIRE_FALSE(spec.has_value());
    CHECK(spec.error().kind == ErrorKind::Input);
    return spec.error();
}

std::vector<std::string> names(const std::vector<conda::MatchSpec>& specs) {
    std::vector<std::string> out;
    for (const auto& spec : specs) out.emplace_back(*spec.exact_name());
    return out;
}

fs::path envfiles() { return fs::path(ENVCTL_SHARED_DIR) / "fixtures" / "envfiles"; }

}  // namespace

TEST_CASE("a full environment file") {
    const auto spec = parse_environment(R"(name: ml
channels:
  - pytorch
  - conda-forge
  - nodefaults
dependencies:
  - python=3.11
  - numpy >=1.26,<2
  - conda-forge::cuda-python
  - pip
  - pip:
      - torch==2.2.0
      - "-e ."
      - --index-url https://pypi.example.com/simple
variables:
  MY_VAR: "My Value"
  NUMBER: 3
  EMPTY:
platforms:
  - linux-64
  - osx-arm64
category: dev
prefix: /opt/envs/ml
)");
    CHECK(spec.source == "environment.yml");
    CHECK(spec.name == "ml");
    CHECK(spec.prefix == "/opt/envs/ml");
    CHECK(spec.category == "dev");
    CHECK(spec.channels == std::vector<std::string>{"pytorch", "conda-forge"});
    CHECK(spec.nodefaults);
    REQUIRE(spec.dependencies.size() == 4);
    CHECK(spec.dependencies[0].spec.str() == "python=3.11");
    CHECK(spec.dependencies[0].text == "python=3.11");
    CHECK(spec.dependencies[0].location.line == 7);
    CHECK(spec.dependencies[0].location.column == 5);
    CHECK(spec.dependencies[1].spec.version.str() == ">=1.26,<2");
    CHECK(spec.dependencies[2].spec.channel == "conda-forge");
    REQUIRE(spec.pip.size() == 3);
    CHECK(spec.pip[0].text == "torch==2.2.0");
    CHECK(spec.pip[1].text == "-e .");
    CHECK(spec.pip[2].text == "--index-url https://pypi.example.com/simple");
    CHECK(spec.pip[0].location.line == 12);
    CHECK(spec.variables == std::vector<std::pair<std::string, std::string>>{{"MY_VAR", "My Value"}, {"NUMBER", "3"}, {"EMPTY", ""}});
    CHECK(spec.platforms == std::vector<std::string>{"linux-64", "osx-arm64"});
    CHECK(spec.warnings.empty());
}

TEST_CASE("selectors: mamba's sel() keys and conda-lock's comments") {
    const auto spec = parse_environment(R"(dependencies:
  - sel(win): pywin32
  - sel(unix): readline
  - sel(linux): patchelf
  - sel(osx): libcxx
  - python
  - cudatoolkit  # [linux64 or win64]
  - "quoted # [win]"
)");
    REQUIRE(spec.dependencies.size() == 7);
    CHECK(spec.dependencies[0].selector->str() == "win");
    CHECK(spec.dependencies[5].selector->str() == "linux64 or win64");
    CHECK_FALSE(spec.dependencies[4].selector.has_value());
    CHECK(names(spec.dependencies_for("linux-64")) == std::vector<std::string>{"readline", "patchelf", "python", "cudatoolkit", "quoted"});
    CHECK(names(spec.dependencies_for("osx-arm64")) == std::vector<std::string>{"readline", "libcxx", "python", "quoted"});
    CHECK(names(spec.dependencies_for("win-64")) == std::vector<std::string>{"pywin32", "python", "cudatoolkit", "quoted"});
}

TEST_CASE("unknown keys are warnings with suggestions") {
    const auto spec = parse_environment("names: nlp\nchanels:\n  - anaconda\ndependecies:\n  - nltk\nprefis: /x\nfoo: 1\n");
    REQUIRE(spec.warnings.size() == 5);
    CHECK(spec.warnings[0].message == "unknown key 'names' ignored (did you mean 'name'?)");
    CHECK(spec.warnings[0].location.line == 1);
    CHECK(spec.warnings[1].message == "unknown key 'chanels' ignored (did you mean 'channels'?)");
    CHECK(spec.warnings[2].to_string() == "environment.yml:4:1: unknown key 'dependecies' ignored (did you mean 'dependencies'?)");
    CHECK(spec.warnings[4].message == "unknown key 'foo' ignored");
    CHECK(spec.dependencies.empty());
}

TEST_CASE("environment names conda would refuse are warnings") {
    CHECK(parse_environment("name: test env with spaces\ndependencies: [python]\n").warnings.size() == 1);
    CHECK(parse_environment("name: base\n").warnings.size() == 1);
    CHECK(parse_environment("name: good-name\n").warnings.empty());
}

TEST_CASE("schema and syntax errors name file, line, column and what was expected") {
    struct Case {
        const char* yaml;
        std::size_t line;
        const char* fragment;
    };
    const std::vector<Case> cases = {
        {"", 0, "the file is empty"},
        {"- numpy\n", 1, "expected a mapping"},
        {"name: [a, b]\n", 1, "expected 'name' (a string), found a list"},
        {"channels: conda-forge\n", 1, "expected 'channels' to be a list"},
        {"channels:\n  - [a]\n", 2, "expected a channel name or URL"},
        {"dependencies: numpy\n", 1, "expected 'dependencies' to be a list"},
        {"dependencies:\n  - numpy\n  - numpy >=1..0\n", 3, "invalid dependency: invalid match spec 'numpy >=1..0'"},
        {"dependencies:\n  -\n", 0, "empty dependency entry"},  // yaml-cpp marks a null at the next token
        {"dependencies:\n  - [a, b]\n", 2, "found a list"},
        {"dependencies:\n  - npm:\n      - left-pad\n", 2, "unknown dependency section 'npm'"},
        {"dependencies:\n  - pip: requests\n", 2, "expected the 'pip' section to be a list"},
        {"dependencies:\n  - pip:\n      - {a: b}\n", 3, "expected a pip requirement"},
        {"dependencies:\n  - sel(windows): pywin32\n", 2, "unknown variable 'windows'"},
        {"dependencies:\n  - numpy  # [linux and]\n", 2, "invalid selector 'linux and'"},
        {"variables: [A]\n", 1, "expected 'variables' to be a mapping"},
        {"variables:\n  A: [1]\n", 2, "the value of variable 'A'"},
        {"platforms:\n  - linux-64\n  - noarch\n", 3, "unknown platform 'noarch'"},
        {"platforms:\n  - linux-64\n  - linux-64\n", 3, "listed twice"},
        {"platforms: [linux_64]\n", 1, "unknown platform 'linux_64'"},
        {"name: a\nname: b\n", 2, "duplicate key 'name'"},
        {"dependencies:\n  - numpy\n - scipy\n", 3, "invalid YAML"},
        {"name: a: b\n", 1, "invalid YAML"},
        {"dependencies: [numpy\n", 2, "invalid YAML"},
    };
    for (const auto& item : cases) {
        INFO(item.yaml);
        const auto error = parse_error(item.yaml);
        CHECK_THAT(error.message, Catch::Contains(item.fragment));
        REQUIRE(error.location.has_value());
        CHECK(error.location->file == "environment.yml");
        if (item.line) {
            CHECK(error.location->line == item.line);
            CHECK(error.location->column > 0);
            CHECK_THAT(error.to_string(), Catch::StartsWith("environment.yml:" + std::to_string(item.line) + ":"));
        }
    }
}

TEST_CASE("parse_environment_file reads and names the file") {
    const auto missing = parse_environment_file("/nonexistent/environment.yml");
    REQUIRE_FALSE(missing.has_value());
    CHECK_THAT(missing.error().to_string(), Catch::Contains("/nonexistent/environment.yml"));
}

TEST_CASE("every environment file of the shared fixtures parses") {
    if (!fs::is_directory(envfiles())) {
        WARN("skipped: " << envfiles() << " is absent (the shared fixtures are not checked out)");
        return;
    }
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(envfiles())) {
        const auto extension = entry.path().extension();
        if (extension != ".yml" && extension != ".yaml") continue;
        ++files;
        INFO(entry.path());
        const auto spec = parse_environment_file(entry.path());
        if (!spec) FAIL(spec.error().to_string());
        for (const auto& warning : spec->warnings) std::cout << "  " << warning.to_string() << "\n";
        const auto name = entry.path().filename().string();
        if (name == "invalid_keys.yml") {
            CHECK(spec->warnings.size() == 4);
        } else if (name == "env-requires-pip-install-with-spaces.yaml") {
            CHECK(spec->warnings.size() == 1);
        } else {
            CHECK(spec->warnings.empty());
        }
        if (name == "env_2.yaml") CHECK(names(spec->dependencies_for("osx-64")) == std::vector<std::string>{"test1-unix", "test1-osx", "test4"});
        if (name == "conda_lock_dev.environment.yaml") {
            CHECK(spec->nodefaults);
            CHECK(spec->category == "dev");
            CHECK(spec->pip.size() == 1);
        }
        if (name == "environment.yml" && spec->name == "python") CHECK(spec->platforms.size() == 6);
        if (name == "env_template.yml") CHECK(spec->pip.size() == 6);
        if (name == "environment_host_port.yml") CHECK(spec->dependencies.at(0).spec.channel == "https://104.17.92.24:443");
    }
    CHECK(files >= 35);
}
