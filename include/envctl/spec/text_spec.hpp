#pragma once
// Text spec files (CEP 23), as `conda create --file` reads them:
//  - explicit files: an `@EXPLICIT` line, then one package URL or path per line, optionally
//    followed by `#<md5>`, `#<sha256>` or `#sha256:<sha256>`;
//  - plain spec lists: one match spec per line.
// `#` comments and blank lines are ignored; a `# platform: <subdir>` comment is recorded.
// Pure: URLs are kept as written (credentials, `~` and environment variables included) for the
// caller to expand and authenticate. specs/explicit-file.md describes the format.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/match_spec.hpp"
#include "envctl/spec/diagnostic.hpp"
#include "envctl/util/result.hpp"

namespace envctl::spec {

struct ExplicitPackage {
    std::string url;       // as written, without the #hash fragment
    std::string filename;  // last path component, e.g. "zlib-1.3.1-hb9d3cd8_2.conda"
    std::string md5;       // lowercase hex, empty when not given
    std::string sha256;    // lowercase hex, empty when not given
    Location location;
};

struct SpecLine {
    conda::MatchSpec spec;
    std::string text;
    Location location;
};

struct TextSpecFile {
    bool is_explicit = false;
    std::string platform;                   // from "# platform: linux-64"; empty when absent
    std::vector<ExplicitPackage> packages;  // explicit files, in file order
    std::vector<SpecLine> specs;            // plain spec lists
    std::vector<Warning> warnings;
};

// Whether `text` has an `@EXPLICIT` line.
bool is_explicit_text(std::string_view text);
// Errors name the file and line and say what was expected.
Result<TextSpecFile> parse_text_spec(std::string_view text, std::string_view display_name);
Result<TextSpecFile> parse_text_spec_file(const std::filesystem::path& file);

}  // namespace envctl::spec
