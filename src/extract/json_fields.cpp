#include "json_fields.hpp"

#include <cmath>

#include <fmt/format.h>

namespace envctl::extract {

using nlohmann::json;

namespace {

Location location_in(std::string_view package, std::string_view file, std::string_view text, std::size_t byte) {
    Location where{fmt::format("{}/{}", package, file), 1, 1};
    for (std::size_t i = 0; i + 1 < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++where.line;
            where.column = 1;
        } else {
            ++where.column;
        }
    }
    return where;
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error ..." -> "syntax error ...";
// "[json.exception.out_of_range.406] number overflow ..." -> "number overflow ...".
std::string parse_error_reason(const std::string& what) {
    const auto column = what.find("column ");
    if (const auto colon = column == std::string::npos ? column : what.find(": ", column); colon != std::string::npos)
        return what.substr(colon + 2);
    const auto bracket = what.find("] ");
    return bracket == std::string::npos ? what : what.substr(bracket + 2);
}

}  // namespace

Result<json> parse_json_object(std::string_view text, std::string_view package, std::string_view file) {
    json document;
    try {
        document = json::parse(text.begin(), text.end());
    } catch (const json::parse_error& error) {
        return fail(Error{ErrorKind::Integrity, fmt::format("invalid JSON: {}", parse_error_reason(error.what())),
                          location_in(package, file, text, error.byte), {}});
    } catch (const json::exception& error) {  // e.g. out_of_range for a number that overflows
        return fail(Error{ErrorKind::Integrity, fmt::format("invalid JSON: {}", parse_error_reason(error.what())),
                          Location{fmt::format("{}/{}", package, file)}, {}});
    }
    if (!document.is_object())
        return fail(Error{ErrorKind::Integrity, "expected a JSON object", Location{fmt::format("{}/{}", package, file)}, {}});
    return document;
}

JsonFields::JsonFields(const json& object, std::string_view package, std::string_view file, std::string where)
    : object_(object), package_(package), file_(file), where_(std::move(where)) {}

const json* JsonFields::find(const char* key) const {
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
}

Result<std::string> JsonFields::required_string(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) return fail(error(fmt::format("'{}' is missing", key)));
    if (!value->is_string()) return fail(error(fmt::format("'{}' must be a string, not {}", key, value->dump())));
    return value->get<std::string>();
}

Result<std::string> JsonFields::optional_string(const char* key, std::string_view fallback) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return std::string(fallback);
    if (!value->is_string()) return fail(error(fmt::format("'{}' must be a string, not {}", key, value->dump())));
    return value->get<std::string>();
}

Result<bool> JsonFields::optional_bool(const char* key, bool fallback) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return fallback;
    if (!value->is_boolean()) return fail(error(fmt::format("'{}' must be true or false, not {}", key, value->dump())));
    return value->get<bool>();
}

Result<std::optional<std::uint64_t>> JsonFields::optional_unsigned(const char* key, bool allow_fraction) const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return std::optional<std::uint64_t>{};
    if (value->is_number_unsigned()) return std::optional<std::uint64_t>{value->get<std::uint64_t>()};
    if (value->is_number_float()) {
        const double number = value->get<double>();
        const bool integral = std::floor(number) == number;
        if (number >= 0 && number < 1.8e19 && (integral || allow_fraction))
            return std::optional<std::uint64_t>{static_cast<std::uint64_t>(number)};
    }
    return fail(error(fmt::format("'{}' must be a non-negative integer, not {}", key, value->dump())));
}

Result<std::vector<std::string>> JsonFields::string_list(const char* key) const {
    const json* value = find(key);
    std::vector<std::string> out;
    if (value == nullptr || value->is_null()) return out;
    if (!value->is_array()) return fail(error(fmt::format("'{}' must be a list of strings", key)));
    for (std::size_t i = 0; i < value->size(); ++i) {
        const auto& item = (*value)[i];
        if (!item.is_string())
            return fail(error(fmt::format("'{}'[{}] must be a string, not {}", key, i, item.dump())));
        out.push_back(item.get<std::string>());
    }
    return out;
}

JsonFields JsonFields::nested(const json& object, std::string where) const {
    return JsonFields(object, package_, file_, where_.empty() ? std::move(where) : fmt::format("{}.{}", where_, where));
}

Error JsonFields::error(std::string message) const {
    if (!where_.empty()) message = fmt::format("{}: {}", where_, message);
    return Error{ErrorKind::Integrity, std::move(message), Location{fmt::format("{}/{}", package_, file_)}, {}};
}

}  // namespace envctl::extract
