// Typed values: parsing (text and YAML), expansion, validation, merging and display.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "envctl/config/registry.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"
#include "values.hpp"

namespace envctl::config {

namespace {

using T = ValueType;

std::optional<bool> parse_bool(std::string_view text) {
    const auto lower = to_lower(trim(text));
    if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
    if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
    return std::nullopt;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    text = trim(text);
    if (text.starts_with('+')) text.remove_prefix(1);
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

std::optional<double> parse_number(std::string_view text) {
    text = trim(text);
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc{} || ptr != end) return std::nullopt;
    return value;
}

Error value_error(const KeyInfo& key, std::string expected, std::string_view got) {
    return Error{ErrorKind::Input, fmt::format("{}: expected {}, got '{}'", key.name, expected, redact_url(got)),
                 std::nullopt, {}};
}

bool expands_home(ValueType type) {
    return type == T::Path || type == T::PathList || type == T::TextList || type == T::SslVerify;
}

// One string item (a scalar, a list item or a map value), expanded and checked for its type.
Result<std::string> convert_string(const KeyInfo& key, std::string_view raw, const Environment* environment) {
    std::string text(trim(raw));
    if (environment) {
        text = expand_variables(text, *environment);
        if (expands_home(key.type)) text = expand_home(text, *environment);
    }
    const bool url_like = key.type == T::Url || key.type == T::UrlList || key.type == T::UrlMap;
    const bool unexpanded = !environment && text.find('$') != std::string::npos;
    if (url_like && !unexpanded && text.find("://") == std::string::npos)
        return fail(value_error(key, "a URL (scheme://...)", text));
    if (text.empty()) return fail(value_error(key, fmt::format("a non-empty {}", key.type_name()), text));
    return text;
}

Result<Value> convert_scalar(const KeyInfo& key, std::string_view text, const Environment* environment) {
    switch (key.type) {
        case T::Bool:
            if (auto value = parse_bool(text)) return Value{*value};
            return fail(value_error(key, "true or false", text));
        case T::Integer:
            if (auto value = parse_integer(text); value && *value >= key.minimum) return Value{*value};
            return fail(value_error(key, fmt::format("an integer >= {}", key.minimum), text));
        case T::Ttl:
            if (auto value = parse_integer(text); value && *value >= 0) return Value{*value};
            if (auto flag = parse_bool(text)) return Value{std::int64_t{*flag ? 1 : 0}};
            return fail(value_error(key, "a number of seconds >= 0, or true/false", text));
        case T::Number:
            if (auto value = parse_number(text); value && *value >= 0) return Value{*value};
            return fail(value_error(key, "a number >= 0", text));
        case T::Choice: {
            auto lower = to_lower(trim(text));
            // conda still accepts booleans for channel_priority: true is flexible, false disabled.
            if (key.name == "channel_priority" && parse_bool(lower))
                lower = channel_priority_name(*parse_bool(lower) ? ChannelPriority::Flexible : ChannelPriority::Disabled);
            if (std::find(key.choices.begin(), key.choices.end(), lower) != key.choices.end()) return Value{lower};
            std::vector<std::string> names(key.choices.begin(), key.choices.end());
            return fail(value_error(key, "one of " + join(names, ", "), text));
        }
        case T::SslVerify: {
            if (auto flag = parse_bool(text)) return Value{*flag};
            if (to_lower(trim(text)) == "truststore") return Value{true};
            auto path = convert_string(key, text, environment);
            if (!path) return fail(path.error());
            return Value{std::move(*path)};
        }
        case T::Text:
        case T::Url:
        case T::Path: {
            auto converted = convert_string(key, text, environment);
            if (!converted) return fail(converted.error());
            return Value{std::move(*converted)};
        }
        default:
            return fail(ErrorKind::Internal, fmt::format("{}: not a scalar key", key.name));
    }
}

Result<std::vector<std::string>> convert_list(const KeyInfo& key, const std::vector<std::string>& items,
                                              const Environment* environment) {
    std::vector<std::string> out;
    for (const auto& item : items) {
        auto converted = convert_string(key, item, environment);
        if (!converted) return fail(converted.error());
        if (std::find(out.begin(), out.end(), *converted) == out.end()) out.push_back(std::move(*converted));
    }
    return out;
}

Result<std::map<std::string, std::string>> convert_map(const KeyInfo& key,
                                                       const std::vector<std::pair<std::string, std::string>>& entries,
                                                       const Environment* environment) {
    std::map<std::string, std::string> out;
    for (const auto& [name, value] : entries) {
        if (trim(name).empty()) return fail(value_error(key, "name=URL entries", fmt::format("{}={}", name, value)));
        auto converted = convert_string(key, value, environment);
        if (!converted) return fail(converted.error());
        out[std::string(trim(name))] = std::move(*converted);
    }
    return out;
}

Error at_node(Error error, const YAML::Node& node, const std::string& file) {
    const auto mark = node.Mark();
    if (mark.line < 0) return Error{std::move(error).at(Location{file, 0, 0})};
    return std::move(error).at(Location{file, static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1});
}

}  // namespace

std::string_view channel_priority_name(ChannelPriority priority) {
    switch (priority) {
        case ChannelPriority::Strict: return "strict";
        case ChannelPriority::Flexible: return "flexible";
        case ChannelPriority::Disabled: return "disabled";
    }
    return "flexible";
}

std::optional<ChannelPriority> parse_channel_priority(std::string_view text) {
    const auto lower = to_lower(trim(text));
    if (lower == "strict") return ChannelPriority::Strict;
    if (lower == "flexible" || lower == "true") return ChannelPriority::Flexible;
    if (lower == "disabled" || lower == "false") return ChannelPriority::Disabled;
    return std::nullopt;
}

std::string expand_home(std::string_view text, const Environment& environment) {
    if (text == "~") return environment.home.string();
    if (text.starts_with("~/")) return (environment.home / std::string(text.substr(2))).string();
    return std::string(text);
}

std::string expand_variables(std::string_view text, const Environment& environment) {
    std::string out;
    std::size_t i = 0;
    auto is_name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    while (i < text.size()) {
        if (text[i] != '$') {
            out += text[i++];
            continue;
        }
        std::size_t name_start = i + 1;
        std::size_t name_end = name_start;
        std::size_t after = 0;
        if (name_start < text.size() && text[name_start] == '{') {
            const auto close = text.find('}', name_start);
            if (close == std::string_view::npos) {
                out += text[i++];
                continue;
            }
            ++name_start;
            name_end = close;
            after = close + 1;
        } else {
            while (name_end < text.size() && is_name_char(text[name_end])) ++name_end;
            after = name_end;
        }
        const auto name = text.substr(name_start, name_end - name_start);
        const auto found = environment.variables.find(std::string(name));
        if (name.empty() || found == environment.variables.end()) {
            out.append(text.substr(i, after - i));  // unset: left as written
        } else {
            out += found->second;
        }
        i = after;
    }
    return out;
}

Result<std::string> parse_item(const KeyInfo& key, std::string_view text, const Environment* environment) {
    return convert_string(key, text, environment);
}

Result<Value> parse_text(const KeyInfo& key, std::string_view text, const Environment* environment) {
    text = trim(text);
    if (key.is_list()) {
        std::vector<std::string> items;
        if (text.starts_with('[')) {
            try {
                const auto node = YAML::Load(std::string(text));
                if (!node.IsSequence()) return fail(value_error(key, "a list", text));
                for (const auto& item : node) {
                    if (!item.IsScalar()) return fail(value_error(key, "a list of plain values", text));
                    items.push_back(item.Scalar());
                }
            } catch (const YAML::Exception&) {
                return fail(value_error(key, "a list ([a, b] or a,b)", text));
            }
        } else {
            for (auto item : split(text, ',')) {
                if (!trim(item).empty()) items.emplace_back(trim(item));
            }
        }
        auto list = convert_list(key, items, environment);
        if (!list) return fail(list.error());
        return Value{std::move(*list)};
    }
    if (key.is_map()) {
        std::vector<std::pair<std::string, std::string>> entries;
        if (text.starts_with('{')) {
            try {
                const auto node = YAML::Load(std::string(text));
                if (!node.IsMap()) return fail(value_error(key, "a map", text));
                for (const auto& entry : node) {
                    if (!entry.second.IsScalar()) return fail(value_error(key, "name: URL entries", text));
                    entries.emplace_back(entry.first.Scalar(), entry.second.Scalar());
                }
            } catch (const YAML::Exception&) {
                return fail(value_error(key, "a map ({name: url} or name=url,...)", text));
            }
        } else {
            for (auto entry : split(text, ',')) {
                if (trim(entry).empty()) continue;
                const auto equals = entry.find('=');
                if (equals == std::string_view::npos) return fail(value_error(key, "name=URL entries", entry));
                entries.emplace_back(std::string(entry.substr(0, equals)), std::string(entry.substr(equals + 1)));
            }
        }
        auto map = convert_map(key, entries, environment);
        if (!map) return fail(map.error());
        return Value{std::move(*map)};
    }
    return convert_scalar(key, text, environment);
}

namespace detail {

Result<std::optional<Value>> parse_node(const KeyInfo& key, const YAML::Node& node, const Environment* environment,
                                        const std::string& file) {
    if (!node || node.IsNull()) return std::optional<Value>{};
    auto located = [&](Error error, const YAML::Node& where) { return fail(at_node(std::move(error), where, file)); };
    if (key.is_list()) {
        std::vector<std::string> items;
        if (node.IsScalar()) {
            items.push_back(node.Scalar());  // a single value stands for a one-item list
        } else if (node.IsSequence()) {
            for (const auto& item : node) {
                if (!item.IsScalar()) return located(value_error(key, "a list of plain values", "a nested value"), item);
                items.push_back(item.Scalar());
            }
        } else {
            return located(value_error(key, "a list", "a map"), node);
        }
        auto list = convert_list(key, items, environment);
        if (!list) return located(list.error(), node);
        return std::optional<Value>{std::move(*list)};
    }
    if (key.is_map()) {
        if (!node.IsMap()) return located(value_error(key, "a map of name: URL", node.IsScalar() ? node.Scalar() : "a list"), node);
        std::vector<std::pair<std::string, std::string>> entries;
        for (const auto& entry : node) {
            if (!entry.first.IsScalar() || !entry.second.IsScalar())
                return located(value_error(key, "name: URL entries", "a nested value"), entry.first);
            entries.emplace_back(entry.first.Scalar(), entry.second.Scalar());
        }
        auto map = convert_map(key, entries, environment);
        if (!map) return located(map.error(), node);
        return std::optional<Value>{std::move(*map)};
    }
    if (!node.IsScalar()) return located(value_error(key, std::string("a ") + std::string(key.type_name()), "a list or map"), node);
    auto value = convert_scalar(key, node.Scalar(), environment);
    if (!value) return located(value.error(), node);
    return std::optional<Value>{std::move(*value)};
}

YAML::Node to_node(const Value& value) {
    return std::visit(
        [](const auto& held) -> YAML::Node {
            using V = std::decay_t<decltype(held)>;
            YAML::Node node;
            if constexpr (std::is_same_v<V, bool>) {
                node = held ? "true" : "false";
            } else if constexpr (std::is_same_v<V, std::int64_t>) {
                node = std::to_string(held);
            } else if constexpr (std::is_same_v<V, double>) {
                node = fmt::format("{}", held);
            } else if constexpr (std::is_same_v<V, std::string>) {
                node = held;
            } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                node = YAML::Node(YAML::NodeType::Sequence);
                for (const auto& item : held) node.push_back(item);
            } else {
                node = YAML::Node(YAML::NodeType::Map);
                for (const auto& [name, item] : held) node[name] = item;
            }
            return node;
        },
        value);
}

std::optional<Location> invalid_utf8(std::string_view text, const std::string& file) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length = 1;
        std::uint32_t code = byte;
        if (byte >= 0x80) {
            if ((byte & 0xE0) == 0xC0) {
                length = 2, code = byte & 0x1F;
            } else if ((byte & 0xF0) == 0xE0) {
                length = 3, code = byte & 0x0F;
            } else if ((byte & 0xF8) == 0xF0) {
                length = 4, code = byte & 0x07;
            } else {
                return Location{file, line, column};
            }
            if (i + length > text.size()) return Location{file, line, column};
            for (std::size_t k = 1; k < length; ++k) {
                const auto next = static_cast<unsigned char>(text[i + k]);
                if ((next & 0xC0) != 0x80) return Location{file, line, column};
                code = (code << 6) | (next & 0x3F);
            }
            static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
            if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                return Location{file, line, column};
        }
        if (byte == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
        i += length;
    }
    return std::nullopt;
}

}  // namespace detail

namespace {
Value to_value(bool field) { return field; }
Value to_value(int field) { return std::int64_t{field}; }
Value to_value(double field) { return field; }
Value to_value(const std::string& field) { return field; }
Value to_value(const std::filesystem::path& field) { return field.string(); }
Value to_value(const std::vector<std::string>& field) { return field; }
Value to_value(const std::vector<std::filesystem::path>& field) {
    std::vector<std::string> out;
    out.reserve(field.size());
    for (const auto& path : field) out.push_back(path.string());
    return out;
}
Value to_value(const std::map<std::string, std::string>& field) { return field; }
Value to_value(const SslVerify& field) {
    if (!field.ca_bundle.empty()) return field.ca_bundle.string();
    return field.enabled;
}
Value to_value(ChannelPriority field) { return std::string(channel_priority_name(field)); }

void store(bool& field, const Value& value) { field = std::get<bool>(value); }
void store(int& field, const Value& value) { field = static_cast<int>(std::get<std::int64_t>(value)); }
void store(double& field, const Value& value) {
    field = std::holds_alternative<std::int64_t>(value) ? static_cast<double>(std::get<std::int64_t>(value))
                                                        : std::get<double>(value);
}
void store(std::string& field, const Value& value) { field = std::get<std::string>(value); }
void store(std::filesystem::path& field, const Value& value) { field = std::get<std::string>(value); }
void store(std::vector<std::string>& field, const Value& value) { field = std::get<std::vector<std::string>>(value); }
void store(std::vector<std::filesystem::path>& field, const Value& value) {
    field.clear();
    for (const auto& item : std::get<std::vector<std::string>>(value)) field.emplace_back(item);
}
void store(std::map<std::string, std::string>& field, const Value& value) {
    field = std::get<std::map<std::string, std::string>>(value);
}
void store(SslVerify& field, const Value& value) {
    if (const auto* flag = std::get_if<bool>(&value)) {
        field = SslVerify{*flag, {}};
    } else {
        field = SslVerify{true, std::get<std::string>(value)};
    }
}
void store(ChannelPriority& field, const Value& value) {
    field = parse_channel_priority(std::get<std::string>(value)).value_or(ChannelPriority::Flexible);
}
}  // namespace

Value value_of(const Config& config, const KeyInfo& key) {
    return std::visit([&config](auto member) { return to_value(config.*member); }, key.field);
}

void assign(Config& config, const KeyInfo& key, const Value& value) {
    std::visit([&](auto member) { store(config.*member, value); }, key.field);
}

Value combine(const Value& higher, const Value& lower) {
    if (const auto* high_list = std::get_if<std::vector<std::string>>(&higher)) {
        const auto* low_list = std::get_if<std::vector<std::string>>(&lower);
        if (!low_list) return higher;
        auto out = *high_list;
        for (const auto& item : *low_list)
            if (std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
        return out;
    }
    if (const auto* high_map = std::get_if<std::map<std::string, std::string>>(&higher)) {
        const auto* low_map = std::get_if<std::map<std::string, std::string>>(&lower);
        if (!low_map) return higher;
        auto out = *low_map;
        for (const auto& [name, item] : *high_map) out[name] = item;
        return out;
    }
    return higher;
}

Value redacted(const Value& value) {
    return std::visit(
        [](const auto& held) -> Value {
            using V = std::decay_t<decltype(held)>;
            if constexpr (std::is_same_v<V, std::string>) {
                return redact_url(held);
            } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                std::vector<std::string> out;
                out.reserve(held.size());
                for (const auto& item : held) out.push_back(redact_url(item));
                return out;
            } else if constexpr (std::is_same_v<V, std::map<std::string, std::string>>) {
                std::map<std::string, std::string> out;
                for (const auto& [name, item] : held) out[name] = redact_url(item);
                return out;
            } else {
                return held;
            }
        },
        value);
}

std::string format_value(const Value& value) {
    return std::visit(
        [](const auto& held) -> std::string {
            using V = std::decay_t<decltype(held)>;
            if constexpr (std::is_same_v<V, bool>) {
                return held ? "true" : "false";
            } else if constexpr (std::is_same_v<V, std::int64_t> || std::is_same_v<V, double>) {
                return fmt::format("{}", held);
            } else if constexpr (std::is_same_v<V, std::string>) {
                return held;
            } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                return "[" + join(held, ", ") + "]";
            } else {
                std::vector<std::string> entries;
                entries.reserve(held.size());
                for (const auto& [name, item] : held) entries.push_back(fmt::format("{}: {}", name, item));
                return "{" + join(entries, ", ") + "}";
            }
        },
        value);
}

}  // namespace envctl::config
