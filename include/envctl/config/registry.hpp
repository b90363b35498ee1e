#pragma once
// The one registry of configuration keys. Loading, validation, `envctl config list/get/set`,
// ENVCTL_* variables and docs/configuration.md all derive from it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "envctl/config/config.hpp"
#include "envctl/util/result.hpp"

namespace envctl::config {

enum class ValueType {
    Bool,
    Integer,    // >= the key's minimum
    Number,     // >= 0
    Ttl,        // an integer >= 0, or a bool (false = 0, true = 1), as conda's local_repodata_ttl
    Text,
    Url,        // must contain "://"
    Path,       // ~ and $VAR expanded
    Choice,     // one of the key's choices
    SslVerify,  // a bool, or a path to a CA bundle
    TextList,
    UrlList,
    PathList,
    UrlMap,     // name -> URL
};

// How a key's values from several sources combine.
enum class Merge {
    Replace,  // the highest-precedence source wins
    Combine,  // lists: concatenated highest first, duplicates dropped; maps: union, highest wins per name
};

// The Config field a key sets.
using Field = std::variant<bool Config::*, int Config::*, double Config::*, std::string Config::*,
                           std::filesystem::path Config::*, std::vector<std::string> Config::*,
                           std::vector<std::filesystem::path> Config::*, std::map<std::string, std::string> Config::*,
                           SslVerify Config::*, ChannelPriority Config::*>;

struct KeyInfo {
    std::string_view name;
    ValueType type;
    Merge merge;
    bool condarc;  // whether conda's .condarc files may set it (the envctl file always may)
    // The default as YAML text, or, for machine-dependent defaults, a description of it.
    std::string_view default_value;
    Field field;
    std::string_view description;
    std::vector<std::string_view> choices = {};  // ValueType::Choice
    std::int64_t minimum = 0;                    // ValueType::Integer

    std::string env_var() const;  // "ENVCTL_" + upper-case name
    bool is_list() const;
    bool is_map() const;
    std::string_view type_name() const;  // "bool", "list of paths", ...
};

std::span<const KeyInfo> registry();
const KeyInfo* find_key(std::string_view name);
// The registered key closest to `name` (for "did you mean"), or empty.
std::string closest_key(std::string_view name);

// A typed value as read from a source or taken from a Config.
using Value = std::variant<bool, std::int64_t, double, std::string, std::vector<std::string>,
                           std::map<std::string, std::string>>;

// Parses a value given as text (ENVCTL_* variables, command-line overrides, `config set`):
// lists are comma-separated or YAML flow ("[a, b]"), maps "name=url,..." or "{name: url}".
// With an environment, ~ and $VAR/${VAR} are expanded as the key's type asks; without, the
// text is kept as written (for writing files back).
Result<Value> parse_text(const KeyInfo& key, std::string_view text, const Environment* environment);
// One item of a list key, or one value of a map key, taken whole (no splitting on commas).
Result<std::string> parse_item(const KeyInfo& key, std::string_view text, const Environment* environment);

Value value_of(const Config& config, const KeyInfo& key);
void assign(Config& config, const KeyInfo& key, const Value& value);
// Lists: `higher` items first, then unseen `lower` items. Maps: union, `higher` wins.
Value combine(const Value& higher, const Value& lower);
// Every string passed through redact_url(), for display.
Value redacted(const Value& value);
// A one-line rendering: scalars as text, lists "[a, b]", maps "{a: x, b: y}".
std::string format_value(const Value& value);

// ~ (alone or followed by /) becomes the home directory; $VAR and ${VAR} become the variable's
// value, and are left as written when the variable is unset (as conda does).
std::string expand_home(std::string_view text, const Environment& environment);
std::string expand_variables(std::string_view text, const Environment& environment);

// The Markdown table of every key (name, type, default, variable, .condarc, description) that
// docs/configuration.md embeds; `envctl config docs` prints it.
std::string reference_markdown();

}  // namespace envctl::config
