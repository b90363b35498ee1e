#pragma once
// Writing YAML scalars by hand, so that output is byte-stable and readable by YAML 1.1 parsers
// (PyYAML in conda-lock) and YAML 1.2 parsers (yaml-cpp in micromamba) alike.
#include <string>
#include <string_view>

namespace envctl::lock {

// `text` as a plain scalar when every YAML 1.1/1.2 reader takes it as that string, else
// double-quoted with escapes.
std::string yaml_scalar(std::string_view text);

}  // namespace envctl::lock
