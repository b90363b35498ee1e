// In-place edits of a YAML config file. Only the lines of the edited top-level key change, so
// comments and the layout of the other keys survive; anything unusual (a flow-style document)
// is re-emitted whole. The result is parsed again and checked before it is written.
#include "envctl/config/edit.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "values.hpp"

namespace envctl::config {

namespace fs = std::filesystem;

namespace {

Result<YAML::Node> parse_document(std::string_view text, std::string_view file_name) {
    if (auto where = detail::invalid_utf8(text, std::string(file_name)))
        return fail(Error{ErrorKind::Input, "not valid UTF-8 text", std::move(where), {}});
    try {
        auto root = YAML::Load(std::string(text));
        if (root && !root.IsNull() && !root.IsMap())
            return fail(Error{ErrorKind::Input, "expected a mapping of `key: value` lines at the top level",
                              Location{std::string(file_name), static_cast<std::size_t>(root.Mark().line) + 1, 0},
                              {}});
        // YAML keys are unique; yaml-cpp keeps duplicates, which no edit can write back faithfully.
        std::set<std::string> keys;
        if (root && root.IsMap())
            for (const auto& entry : root) {
                if (!entry.first.IsScalar() || keys.insert(entry.first.Scalar()).second) continue;
                return fail(Error{ErrorKind::Input, fmt::format("the key '{}' appears twice", entry.first.Scalar()),
                                  Location{std::string(file_name), static_cast<std::size_t>(entry.first.Mark().line) + 1, 0},
                                  {"keep one of them"}});
            }
        return root;
    } catch (const YAML::ParserException& error) {
        return fail(Error{ErrorKind::Input, fmt::format("invalid YAML: {}", error.msg),
                          Location{std::string(file_name), static_cast<std::size_t>(error.mark.line) + 1, 0},
                          {}});
    }
}

std::string render_entry(std::string_view key, const Value& value) {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << std::string(key) << YAML::Value << detail::to_node(value) << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    for (auto line : split(text, '\n')) lines.emplace_back(line);
    if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final newline
    return lines;
}

// Line-level edit of a block-style mapping; nullopt when the document is not one.
std::optional<std::string> edit_lines(std::string_view text, const YAML::Node& root, std::string_view key,
                                      const std::optional<Value>& value) {
    if (root && root.IsMap() && root.Style() == YAML::EmitterStyle::Flow) return std::nullopt;
    auto lines = lines_of(text);
    std::vector<std::pair<std::string, std::size_t>> starts;  // top-level key -> 0-based line
    if (root && root.IsMap()) {
        for (const auto& entry : root) {
            if (entry.first.Mark().column != 0) return std::nullopt;
            starts.emplace_back(entry.first.Scalar(), static_cast<std::size_t>(entry.first.Mark().line));
        }
    }
    std::sort(starts.begin(), starts.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    const std::string replacement = value ? render_entry(key, *value) : std::string();
    auto found = std::find_if(starts.begin(), starts.end(), [key](const auto& start) { return start.first == key; });
    if (found == starts.end()) {
        if (!value) return std::string(text);
        std::string out(text);
        if (!out.empty() && out.back() != '\n') out += '\n';
        return out + replacement;
    }
    const std::size_t first = found->second;
    std::size_t end = std::next(found) == starts.end() ? lines.size() : std::next(found)->second;
    // Blank lines and column-0 comments before the next key belong to that key.
    while (end > first + 1 && (trim(lines[end - 1]).empty() || lines[end - 1].starts_with('#'))) --end;
    std::string out;
    for (std::size_t i = 0; i < first; ++i) out += lines[i] + "\n";
    out += replacement;
    for (std::size_t i = end; i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
}

std::string reemit(YAML::Node root, std::string_view key, const std::optional<Value>& value) {
    if (!root || !root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
    if (value)
        root[std::string(key)] = detail::to_node(*value);
    else
        root.remove(std::string(key));
    YAML::Emitter out;
    out << root;
    return std::string(out.c_str()) + "\n";
}

// Whether `text` holds exactly `value` under `key` (or no key when value is nullopt).
bool holds(std::string_view text, std::string_view key, const std::optional<Value>& value) {
    try {
        const auto root = YAML::Load(std::string(text));
        const KeyInfo* info = find_key(key);
        const auto node = root && root.IsMap() ? root[std::string(key)] : YAML::Node();
        if (!value) return !node;
        if (!info || !node) return false;
        auto parsed = detail::parse_node(*info, node, nullptr, "");
        return parsed && *parsed && **parsed == *value;
    } catch (const YAML::Exception&) {
        return false;
    }
}

}  // namespace

Result<std::string> edited_text(std::string_view text, std::string_view key, const std::optional<Value>& value,
                                std::string_view file_name) {
    auto root = parse_document(text, file_name);
    if (!root) return fail(root.error());
    if (auto edited = edit_lines(text, *root, key, value); edited && holds(*edited, key, value)) return *edited;
    auto rewritten = reemit(*root, key, value);
    if (!holds(rewritten, key, value))
        return fail(ErrorKind::Internal, fmt::format("{}: could not write {} back", file_name, key));
    return rewritten;
}

Result<std::optional<Value>> read_file_value(const fs::path& file, const KeyInfo& key) {
    std::error_code error;
    if (!fs::exists(file, error)) return std::optional<Value>{};
    auto text = read_file(file);
    if (!text) return fail(text.error());
    auto root = parse_document(*text, file.string());
    if (!root) return fail(root.error());
    if (!*root || !root->IsMap()) return std::optional<Value>{};
    return detail::parse_node(key, (*root)[std::string(key.name)], nullptr, file.string());
}

Status write_file_value(const fs::path& file, const KeyInfo& key, const Value& value) {
    std::string text;
    std::error_code error;
    if (fs::exists(file, error)) {
        auto read = read_file(file);
        if (!read) return fail(read.error());
        text = std::move(*read);
    } else if (file.has_parent_path()) {
        if (auto made = ensure_directory(file.parent_path()); !made) return made;
    }
    auto edited = edited_text(text, key.name, value, file.string());
    if (!edited) return fail(edited.error());
    return write_file_atomic(file, *edited);
}

Result<bool> remove_file_key(const fs::path& file, std::string_view key) {
    std::error_code error;
    if (!fs::exists(file, error)) return false;
    auto text = read_file(file);
    if (!text) return fail(text.error());
    auto root = parse_document(*text, file.string());
    if (!root) return fail(root.error());
    if (!*root || !root->IsMap() || !(*root)[std::string(key)]) return false;
    auto edited = edited_text(*text, key, std::nullopt, file.string());
    if (!edited) return fail(edited.error());
    if (auto written = write_file_atomic(file, *edited); !written) return fail(written.error());
    return true;
}

}  // namespace envctl::config
