#pragma once
// environment.yml files (CEP 24), as conda, mamba and conda-lock read them:
//   name, prefix, channels (with `nodefaults`), dependencies (match specs, a `pip:` list,
//   mamba's `sel(<expr>): spec` entries, conda-lock's `# [<expr>]` line selectors),
//   variables, platforms (conda-lock/pixi), category.
// Unknown top-level keys are warnings (conda's behaviour); everything else that does not fit
// is an error naming the file, line and column and what was expected.
// specs/environment-yml.md describes the accepted subset.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "envctl/conda/match_spec.hpp"
#include "envctl/spec/diagnostic.hpp"
#include "envctl/spec/selector.hpp"
#include "envctl/util/result.hpp"

namespace envctl::spec {

struct CondaDependency {
    conda::MatchSpec spec;
    std::string text;                          // as written
    std::optional<PlatformSelector> selector;  // only for the platforms it selects
    Location location;
};

// A line of the `pip:` list, kept verbatim for the PyPI requirement parser.
struct PipLine {
    std::string text;
    Location location;
};

struct EnvironmentSpec {
    std::string source;  // the display name given to the parser (usually the path)
    std::string name;    // empty when not given
    std::string prefix;  // empty when not given
    std::vector<std::string> channels;  // as written, in order, without `nodefaults`
    bool nodefaults = false;            // `nodefaults` was listed: do not append the default channels
    std::vector<CondaDependency> dependencies;
    std::vector<PipLine> pip;
    std::vector<std::pair<std::string, std::string>> variables;  // in file order
    std::vector<std::string> platforms;  // subdirs to solve for; empty: the caller decides
    std::string category;                // conda-lock's free-form label
    std::vector<Warning> warnings;

    // The conda dependencies that apply when solving for `subdir` (selectors evaluated).
    std::vector<conda::MatchSpec> dependencies_for(std::string_view subdir) const;
};

// Pure: parses YAML text; `display_name` is used in locations and messages.
Result<EnvironmentSpec> parse_environment_yaml(std::string_view text, std::string_view display_name);
// Reads the file, then parse_environment_yaml() with the path as display name.
Result<EnvironmentSpec> parse_environment_file(const std::filesystem::path& file);

}  // namespace envctl::spec
