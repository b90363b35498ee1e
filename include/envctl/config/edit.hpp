#pragma once
// Editing one YAML config file in place (`envctl config set/remove`): only the edited key's
// lines change, so comments and the other keys stay as they were; the file is replaced
// atomically. Values are written as given, without ~ or $VAR expansion.
#include <filesystem>
#include <optional>
#include <string_view>

#include "envctl/config/registry.hpp"
#include "envctl/util/result.hpp"

namespace envctl::config {

// The key's value as written in `file` (unexpanded), or nullopt when the file or key is absent.
Result<std::optional<Value>> read_file_value(const std::filesystem::path& file, const KeyInfo& key);
// Sets `key` to `value` in `file`, creating the file and its folder when needed.
Status write_file_value(const std::filesystem::path& file, const KeyInfo& key, const Value& value);
// Removes `key` from `file`; false when it was not there.
Result<bool> remove_file_key(const std::filesystem::path& file, std::string_view key);

// The same on text, for tests: the new text of a YAML document after the edit.
Result<std::string> edited_text(std::string_view text, std::string_view key, const std::optional<Value>& value,
                                std::string_view file_name);

}  // namespace envctl::config
