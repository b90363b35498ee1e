#pragma once
// Reading a key's value from a YAML node (config files), next to parse_text().
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "envctl/config/registry.hpp"

namespace envctl::config::detail {

// nullopt for a null value ("key:" with nothing after it), which sets nothing. Errors carry
// `file` and the node's line and column.
Result<std::optional<Value>> parse_node(const KeyInfo& key, const YAML::Node& node, const Environment* environment,
                                        const std::string& file);

// The node as a Value, for keys of the given type (used when writing files).
YAML::Node to_node(const Value& value);

// Config files are UTF-8 (YAML requires Unicode; yaml-cpp reads stray bytes inconsistently).
// The position of the first invalid byte, or nullopt when `text` is valid UTF-8.
std::optional<Location> invalid_utf8(std::string_view text, const std::string& file);

}  // namespace envctl::config::detail
