// conda-meta records, history and state.
#include "envctl/link/conda_meta.hpp"

#include <algorithm>
#include <ctime>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::link {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string PrefixRecord::file_name() const { return record.dist_name() + ".json"; }

json prefix_record_json(const PrefixRecord& prefix_record) {
    json out = conda::to_json(prefix_record.record);
    json files = json::array();
    json paths = json::array();
    for (const auto& path : prefix_record.paths) {
        files.push_back(path.path);
        json entry = json::object();
        entry["_path"] = path.path;
        entry["path_type"] = path.path_type;
        if (!path.sha256.empty()) entry["sha256"] = path.sha256;
        if (!path.sha256_in_prefix.empty()) entry["sha256_in_prefix"] = path.sha256_in_prefix;
        if (path.size) entry["size_in_bytes"] = *path.size;
        if (!path.prefix_placeholder.empty()) {
            entry["prefix_placeholder"] = path.prefix_placeholder;
            entry["file_mode"] = path.file_mode.empty() ? "text" : path.file_mode;
        }
        if (path.no_link) entry["no_link"] = true;
        paths.push_back(std::move(entry));
    }
    out["files"] = std::move(files);
    out["paths_data"] = json{{"paths", std::move(paths)}, {"paths_version", 1}};
    out["link"] = json{{"source", prefix_record.extracted_package_dir.string()},
                       {"type", static_cast<int>(prefix_record.link_type)}};
    out["requested_spec"] = prefix_record.requested_spec;
    out["requested_specs"] = prefix_record.requested_spec.empty() ? json::array() : json::array({prefix_record.requested_spec});
    out["extracted_package_dir"] = prefix_record.extracted_package_dir.string();
    out["package_tarball_full_path"] = prefix_record.package_tarball_full_path.string();
    return out;
}

namespace {

std::string string_field(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Error record_error(std::string_view file, std::string message) {
    return Error{ErrorKind::Input, fmt::format("{}: {}", file, message), Location{std::string(file), 0, 0}, {}};
}

}  // namespace

Result<PrefixRecord> parse_prefix_record(std::string_view text, std::string_view file) {
    const auto document = json::parse(text, nullptr, false);
    if (!document.is_object()) return fail(record_error(file, "not a JSON object"));
    auto record = conda::record_from_json(document, file);
    if (!record) return fail(std::move(record.error()));
    PrefixRecord out;
    out.record = std::move(*record);
    out.requested_spec = string_field(document, "requested_spec");
    out.extracted_package_dir = string_field(document, "extracted_package_dir");
    out.package_tarball_full_path = string_field(document, "package_tarball_full_path");
    if (const auto link = document.find("link"); link != document.end() && link->is_object()) {
        const auto type = link->find("type");
        if (type != link->end() && type->is_number_integer()) {
            const auto value = type->get<int>();
            if (value >= 1 && value <= 4) out.link_type = static_cast<LinkType>(value);
        }
        if (out.extracted_package_dir.empty()) out.extracted_package_dir = string_field(*link, "source");
    }
    const auto paths_data = document.find("paths_data");
    if (paths_data != document.end() && paths_data->is_object() && paths_data->contains("paths") &&
        (*paths_data)["paths"].is_array()) {
        for (const auto& item : (*paths_data)["paths"]) {
            if (!item.is_object()) return fail(record_error(file, "paths_data.paths holds a value that is not an object"));
            InstalledPath path;
            path.path = string_field(item, "_path");
            if (path.path.empty()) return fail(record_error(file, "paths_data.paths holds an entry without _path"));
            if (auto type = string_field(item, "path_type"); !type.empty()) path.path_type = std::move(type);
            path.sha256 = string_field(item, "sha256");
            path.sha256_in_prefix = string_field(item, "sha256_in_prefix");
            if (const auto size = item.find("size_in_bytes"); size != item.end() && size->is_number_unsigned())
                path.size = size->get<std::uint64_t>();
            path.prefix_placeholder = string_field(item, "prefix_placeholder");
            path.file_mode = string_field(item, "file_mode");
            if (const auto no_link = item.find("no_link"); no_link != item.end() && no_link->is_boolean())
                path.no_link = no_link->get<bool>();
            out.paths.push_back(std::move(path));
        }
    } else if (const auto files = document.find("files"); files != document.end() && files->is_array()) {
        for (const auto& item : *files) {
            if (!item.is_string()) return fail(record_error(file, "files holds a value that is not a string"));
            InstalledPath path;
            path.path = item.get<std::string>();
            out.paths.push_back(std::move(path));
        }
    }
    return out;
}

Result<std::vector<PrefixRecord>> read_prefix_records(const fs::path& prefix) {
    std::vector<PrefixRecord> records;
    const auto meta = prefix / "conda-meta";
    std::error_code error;
    if (!fs::is_directory(meta, error)) return records;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(meta, error)) {
        const auto name = entry.path().filename().string();
        if (name.ends_with(".json") && !name.starts_with(".") && entry.is_regular_file()) files.push_back(entry.path());
    }
    if (error) return fail(ErrorKind::Io, fmt::format("cannot list {}: {}", meta.string(), error.message()));
    std::sort(files.begin(), files.end());
    for (const auto& file : files) {
        auto text = read_file(file);
        if (!text) return fail(std::move(text.error()));
        auto record = parse_prefix_record(*text, file.string());
        if (!record) return fail(std::move(record.error()));
        records.push_back(std::move(*record));
    }
    std::sort(records.begin(), records.end(),
              [](const PrefixRecord& a, const PrefixRecord& b) { return a.record.name < b.record.name; });
    return records;
}

bool is_environment(const fs::path& prefix) {
    std::error_code error;
    return fs::exists(prefix / "conda-meta" / "history", error);
}

namespace {

// Python's repr of a list of strings, as conda writes specs: ['a', "b'c"].
std::string python_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        const char quote = items[i].find('\'') != std::string::npos && items[i].find('"') == std::string::npos ? '"' : '\'';
        out += quote;
        for (const char c : items[i]) {
            if (c == quote || c == '\\') out += '\\';
            out += c;
        }
        out += quote;
    }
    return out + "]";
}

// The quoted strings of a python list repr (or a JSON list).
std::vector<std::string> parse_python_list(std::string_view text) {
    std::vector<std::string> items;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char quote = text[i];
        if (quote != '\'' && quote != '"') continue;
        std::string item;
        std::size_t j = i + 1;
        for (; j < text.size() && text[j] != quote; ++j) {
            if (text[j] == '\\' && j + 1 < text.size()) ++j;
            item += text[j];
        }
        items.push_back(std::move(item));
        i = j;
    }
    return items;
}

}  // namespace

std::string history_block(const HistoryEntry& entry) {
    std::string out = fmt::format("==> {} <==\n# cmd: {}\n# envctl version: {}\n", entry.timestamp, entry.command,
                                  entry.tool_version);
    for (const auto& dist : entry.unlinked) out += fmt::format("-{}\n", dist);
    for (const auto& dist : entry.linked) out += fmt::format("+{}\n", dist);
    if (!entry.update_specs.empty()) out += fmt::format("# update specs: {}\n", python_list(entry.update_specs));
    if (!entry.remove_specs.empty()) out += fmt::format("# remove specs: {}\n", python_list(entry.remove_specs));
    return out;
}

std::string history_dist(const conda::PackageRecord& record) {
    std::string channel = record.channel;
    while (channel.ends_with('/')) channel.pop_back();
    if (channel.empty()) return record.dist_name();
    return fmt::format("{}/{}::{}", channel, record.subdir.empty() ? "noarch" : record.subdir, record.dist_name());
}

std::string history_timestamp_now() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S", &local);
    return buffer;
}

Result<std::vector<std::string>> requested_specs_from_history(const fs::path& prefix) {
    const auto file = prefix / "conda-meta" / "history";
    std::error_code error;
    if (!fs::exists(file, error)) return std::vector<std::string>{};
    auto text = read_file(file);
    if (!text) return fail(std::move(text.error()));
    std::map<std::string, std::string> by_name;
    std::vector<std::string> order;
    for (const auto raw_line : split(*text, '\n')) {
        const auto line = trim(raw_line);
        const bool update = line.starts_with("# update specs:");
        const bool remove = line.starts_with("# remove specs:");
        if (!update && !remove) continue;
        for (auto& spec_text : parse_python_list(line.substr(line.find(':') + 1))) {
            auto spec = conda::MatchSpec::parse(spec_text);
            if (!spec) continue;  // an old or foreign spec we cannot read: not ours to keep
            const auto name = spec->exact_name();
            if (!name) continue;
            const std::string key(*name);
            if (remove) {
                by_name.erase(key);
                continue;
            }
            if (!by_name.contains(key)) order.push_back(key);
            by_name[key] = spec_text;
        }
    }
    std::vector<std::string> specs;
    for (const auto& name : order) {
        const auto it = by_name.find(name);
        if (it == by_name.end()) continue;
        specs.push_back(it->second);
        by_name.erase(it);  // a name removed and requested again appears twice in `order`
    }
    return specs;
}

std::string state_json(const std::vector<std::pair<std::string, std::string>>& env_vars) {
    nlohmann::ordered_json vars = nlohmann::ordered_json::object();
    for (const auto& [name, value] : env_vars) vars[name] = value;
    nlohmann::ordered_json document = nlohmann::ordered_json::object();
    document["env_vars"] = std::move(vars);
    return document.dump(2) + "\n";
}

}  // namespace envctl::link
