#pragma once
// Typed access to the fields of a JSON object from a package's info/ files, with errors
// that name the package, the file and the entry (internal to the extract module).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "envctl/util/result.hpp"

namespace envctl::extract {

// Parses `text` as a JSON object; syntax errors carry line and column.
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view package, std::string_view file);

class JsonFields {
public:
    JsonFields(const nlohmann::json& object, std::string_view package, std::string_view file, std::string where = {});

    const nlohmann::json* find(const char* key) const;
    Result<std::string> required_string(const char* key) const;
    // Absent or null gives `fallback`.
    Result<std::string> optional_string(const char* key, std::string_view fallback) const;
    Result<bool> optional_bool(const char* key, bool fallback) const;
    // A non-negative integer; with allow_fraction a fractional number is truncated.
    Result<std::optional<std::uint64_t>> optional_unsigned(const char* key, bool allow_fraction = false) const;
    // Absent or null gives an empty list.
    Result<std::vector<std::string>> string_list(const char* key) const;

    // Fields of a nested object; `where` (e.g. "paths[3]") prefixes its messages.
    JsonFields nested(const nlohmann::json& object, std::string where) const;
    // An Integrity error located in this file.
    Error error(std::string message) const;

private:
    const nlohmann::json& object_;
    std::string package_;
    std::string file_;
    std::string where_;
};

}  // namespace envctl::extract
