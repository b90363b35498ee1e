// Parsers for info/index.json, info/paths.json and info/link.json, and the assembly of a
// PackageInfo from all info/ files.
#include "envctl/extract/package_info.hpp"

#include <algorithm>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/extract/package_path.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "json_fields.hpp"

namespace envctl::extract {

using nlohmann::json;

std::string_view noarch_name(NoarchType noarch) {
    switch (noarch) {
        case NoarchType::Generic: return "generic";
        case NoarchType::Python: return "python";
        case NoarchType::None: break;
    }
    return "";
}

std::string_view path_type_name(PathType type) {
    switch (type) {
        case PathType::Softlink: return "softlink";
        case PathType::Directory: return "directory";
        case PathType::Hardlink: break;
    }
    return "hardlink";
}

std::string_view file_mode_name(FileMode mode) { return mode == FileMode::Binary ? "binary" : "text"; }

std::string_view link_action_name(LinkAction action) {
    switch (action) {
        case LinkAction::PreLink: return "pre-link";
        case LinkAction::PostLink: return "post-link";
        case LinkAction::PreUnlink: return "pre-unlink";
        case LinkAction::PostUnlink: return "post-unlink";
    }
    return "";
}

namespace {

std::vector<std::string> split_features(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    for (const char c : text) {
        if (c == ' ' || c == ',' || c == '\t') {
            if (!current.empty()) out.push_back(std::exchange(current, {}));
        } else {
            current += c;
        }
    }
    if (!current.empty()) out.push_back(current);
    return out;
}

// track_features and features: a space- or comma-separated string, or a list of strings.
Result<std::vector<std::string>> feature_list(JsonFields& fields, const char* key) {
    const json* value = fields.find(key);
    if (value == nullptr || value->is_null()) return std::vector<std::string>{};
    if (value->is_string()) return split_features(value->get_ref<const std::string&>());
    auto list = fields.string_list(key);
    if (!list) return fail(list.error());
    std::vector<std::string> out;
    for (const auto& item : *list)
        for (auto& part : split_features(item)) out.push_back(std::move(part));
    return out;
}

Result<NoarchType> noarch_of(JsonFields& fields) {
    const json* value = fields.find("noarch");
    if (value == nullptr || value->is_null()) {
        // Very old packages say "noarch_python": true instead.
        const json* legacy = fields.find("noarch_python");
        return legacy != nullptr && legacy->is_boolean() && legacy->get<bool>() ? NoarchType::Python : NoarchType::None;
    }
    if (value->is_boolean()) return value->get<bool>() ? NoarchType::Generic : NoarchType::None;
    if (value->is_string()) {
        const auto& text = value->get_ref<const std::string&>();
        if (text.empty()) return NoarchType::None;
        if (text == "generic") return NoarchType::Generic;
        if (text == "python") return NoarchType::Python;
    }
    return fail(fields.error(fmt::format("'noarch' must be \"generic\" or \"python\", not {}", value->dump())));
}

Result<PathEntry> path_entry(const json& item, std::size_t index, JsonFields& document) {
    const auto where = fmt::format("paths[{}]", index);
    if (!item.is_object()) return fail(document.error(fmt::format("{} must be an object", where)));
    JsonFields fields = document.nested(item, where);
    PathEntry entry;
    auto raw_path = fields.required_string("_path");
    if (!raw_path) return fail(raw_path.error());
    auto path = normalize_package_path(*raw_path);
    if (!path || path->empty())
        return fail(fields.error(fmt::format("'_path' {}: {}", json(*raw_path).dump(),
                                             path ? "names the package root" : path.error().message)));
    if (*path == "conda-meta" || path->starts_with("conda-meta/"))
        return fail(fields.error(fmt::format("'_path' {} is inside conda-meta/, which belongs to the environment",
                                             json(*raw_path).dump())));
    entry.path = std::move(*path);

    auto type = fields.optional_string("path_type", "hardlink");
    if (!type) return fail(type.error());
    if (*type == "hardlink") entry.type = PathType::Hardlink;
    else if (*type == "softlink") entry.type = PathType::Softlink;
    else if (*type == "directory") entry.type = PathType::Directory;
    else return fail(fields.error(fmt::format("'path_type' must be hardlink, softlink or directory, not \"{}\"", *type)));

    auto sha256 = fields.optional_string("sha256", "");
    if (!sha256) return fail(sha256.error());
    if (!sha256->empty() && !is_hex_digest(*sha256, 32))
        return fail(fields.error(fmt::format("'sha256' must be 64 hex digits, not \"{}\"", *sha256)));
    entry.sha256 = to_lower(*sha256);

    auto size = fields.optional_unsigned("size_in_bytes");
    if (!size) return fail(size.error());
    entry.size = *size;

    auto placeholder = fields.optional_string("prefix_placeholder", "");
    if (!placeholder) return fail(placeholder.error());
    entry.prefix_placeholder = std::move(*placeholder);

    auto mode = fields.optional_string("file_mode", "text");
    if (!mode) return fail(mode.error());
    if (*mode == "binary") entry.file_mode = FileMode::Binary;
    else if (*mode != "text") return fail(fields.error(fmt::format("'file_mode' must be text or binary, not \"{}\"", *mode)));

    auto no_link = fields.optional_bool("no_link", false);
    if (!no_link) return fail(no_link.error());
    entry.no_link = *no_link;
    return entry;
}

}  // namespace

Result<IndexJson> parse_index_json(std::string_view text, std::string_view package) {
    auto document = parse_json_object(text, package, "info/index.json");
    if (!document) return fail(document.error());
    JsonFields fields(*document, package, "info/index.json");
    IndexJson index;
    for (auto [key, target] : {std::pair{"name", &index.name}, {"version", &index.version}, {"build", &index.build}}) {
        auto value = fields.required_string(key);
        if (!value) return fail(value.error());
        if (value->empty()) return fail(fields.error(fmt::format("'{}' must not be empty", key)));
        *target = std::move(*value);
    }
    auto build_number = fields.optional_unsigned("build_number");
    if (!build_number) return fail(build_number.error());
    index.build_number = build_number->value_or(0);
    for (auto [key, target] : {std::pair{"depends", &index.depends}, {"constrains", &index.constrains}}) {
        auto value = fields.string_list(key);
        if (!value) return fail(value.error());
        *target = std::move(*value);
    }
    for (auto [key, target] : {std::pair{"subdir", &index.subdir}, {"license", &index.license},
                               {"python_site_packages_path", &index.python_site_packages_path}}) {
        auto value = fields.optional_string(key, "");
        if (!value) return fail(value.error());
        *target = std::move(*value);
    }
    auto noarch = noarch_of(fields);
    if (!noarch) return fail(noarch.error());
    index.noarch = *noarch;
    auto timestamp = fields.optional_unsigned("timestamp", /*allow_fraction=*/true);
    if (!timestamp) return fail(timestamp.error());
    index.timestamp = *timestamp;
    auto track_features = feature_list(fields, "track_features");
    if (!track_features) return fail(track_features.error());
    index.track_features = std::move(*track_features);
    auto features = feature_list(fields, "features");
    if (!features) return fail(features.error());
    index.features = std::move(*features);
    index.raw_json = std::string(text);
    return index;
}

Result<PackageContents> parse_paths_json(std::string_view text, std::string_view package) {
    auto document = parse_json_object(text, package, "info/paths.json");
    if (!document) return fail(document.error());
    JsonFields fields(*document, package, "info/paths.json");
    auto version = fields.optional_unsigned("paths_version");
    if (!version) return fail(version.error());
    if (*version != 1u)
        return fail(fields.error(*version ? fmt::format("unsupported paths_version {} (envctl reads version 1)", **version)
                                          : std::string("'paths_version' is missing")));
    const json* paths = fields.find("paths");
    if (paths == nullptr || !paths->is_array()) return fail(fields.error("'paths' must be a list"));
    PackageContents contents;
    contents.source = ContentsSource::PathsJson;
    contents.paths.reserve(paths->size());
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < paths->size(); ++i) {
        auto entry = path_entry((*paths)[i], i, fields);
        if (!entry) return fail(entry.error());
        if (!seen.insert(entry->path).second)
            return fail(fields.error(fmt::format("paths[{}]: '{}' is listed twice", i, entry->path)));
        contents.paths.push_back(std::move(*entry));
    }
    return contents;
}

Result<EntryPoint> parse_entry_point(std::string_view text) {
    const auto equals = text.find('=');
    if (equals == std::string_view::npos)
        return fail(ErrorKind::Integrity, fmt::format("entry point \"{}\" is not 'name = module:function'", text));
    EntryPoint point;
    point.command = std::string(trim(text.substr(0, equals)));
    auto target = trim(text.substr(equals + 1));
    if (const auto extras = target.find('['); extras != std::string_view::npos) target = trim(target.substr(0, extras));
    const auto colon = target.find(':');
    if (colon == std::string_view::npos)
        return fail(ErrorKind::Integrity, fmt::format("entry point \"{}\" has no ':function' part", text));
    point.module = std::string(trim(target.substr(0, colon)));
    point.function = std::string(trim(target.substr(colon + 1)));
    const auto bad_name = [](std::string_view name) {
        return name.empty() || name == "." || name == ".." ||
               std::any_of(name.begin(), name.end(), [](char c) {
                   return c == '/' || c == '\\' || static_cast<unsigned char>(c) <= ' ' || c == 0x7F;
               });
    };
    if (bad_name(point.command))
        return fail(ErrorKind::Integrity, fmt::format("entry point \"{}\": the command name is not a plain file name", text));
    if (bad_name(point.module) || bad_name(point.function))
        return fail(ErrorKind::Integrity, fmt::format("entry point \"{}\": module or function is malformed", text));
    return point;
}

Result<LinkJson> parse_link_json(std::string_view text, std::string_view package) {
    auto document = parse_json_object(text, package, "info/link.json");
    if (!document) return fail(document.error());
    JsonFields fields(*document, package, "info/link.json");
    LinkJson link;
    const json* noarch = fields.find("noarch");
    if (noarch == nullptr || noarch->is_null()) return link;
    if (!noarch->is_object()) return fail(fields.error("'noarch' must be an object"));
    JsonFields noarch_fields = fields.nested(*noarch, "noarch");
    auto type = noarch_fields.optional_string("type", "");
    if (!type) return fail(type.error());
    if (*type == "python") link.noarch = NoarchType::Python;
    else if (*type == "generic") link.noarch = NoarchType::Generic;
    else if (!type->empty()) return fail(noarch_fields.error(fmt::format("'type' must be generic or python, not \"{}\"", *type)));
    auto entry_points = noarch_fields.string_list("entry_points");
    if (!entry_points) return fail(entry_points.error());
    for (std::size_t i = 0; i < entry_points->size(); ++i) {
        auto point = parse_entry_point((*entry_points)[i]);
        if (!point) return fail(noarch_fields.error(fmt::format("entry_points[{}]: {}", i, point.error().message)));
        link.entry_points.push_back(std::move(*point));
    }
    return link;
}

std::vector<LinkScript> find_link_scripts(const PackageContents& contents, std::string_view package_name) {
    std::vector<LinkScript> scripts;
    for (const auto action : {LinkAction::PreLink, LinkAction::PostLink, LinkAction::PreUnlink, LinkAction::PostUnlink}) {
        const auto path = fmt::format("bin/.{}-{}.sh", package_name, link_action_name(action));
        const bool shipped = std::any_of(contents.paths.begin(), contents.paths.end(),
                                         [&](const PathEntry& entry) { return entry.path == path; });
        if (shipped) scripts.push_back(LinkScript{action, path});
    }
    return scripts;
}

const std::vector<std::string_view>& info_file_paths() {
    static const std::vector<std::string_view> paths = {"info/index.json", "info/paths.json", "info/files",
                                                        "info/has_prefix", "info/no_link",    "info/link.json"};
    return paths;
}

std::optional<std::string>* info_file_slot(InfoFiles& files, std::string_view path) {
    if (path == "info/index.json") return &files.index_json;
    if (path == "info/paths.json") return &files.paths_json;
    if (path == "info/files") return &files.files;
    if (path == "info/has_prefix") return &files.has_prefix;
    if (path == "info/no_link") return &files.no_link;
    if (path == "info/link.json") return &files.link_json;
    return nullptr;
}

Result<PackageInfo> parse_package_info(const InfoFiles& files, std::string_view package) {
    if (!files.index_json)
        return fail(Error{ErrorKind::Integrity, "the package has no info/index.json; it is not a conda package",
                          Location{fmt::format("{}/info/index.json", package)}, {}});
    PackageInfo info;
    auto index = parse_index_json(*files.index_json, package);
    if (!index) return fail(index.error());
    info.index = std::move(*index);

    if (files.paths_json) {
        auto contents = parse_paths_json(*files.paths_json, package);
        if (!contents) return fail(contents.error());
        info.contents = std::move(*contents);
    } else if (files.files) {
        auto contents = contents_from_legacy(*files.files, files.has_prefix, files.no_link, package);
        if (!contents) return fail(contents.error());
        info.contents = std::move(*contents);
    } else {
        info.contents.source = ContentsSource::LegacyFiles;
        info.warnings.push_back("the package has neither info/paths.json nor info/files, so it installs no files");
    }

    if (files.link_json) {
        auto link = parse_link_json(*files.link_json, package);
        if (!link) return fail(link.error());
        if (link->noarch != NoarchType::None && link->noarch != info.index.noarch)
            info.warnings.push_back(fmt::format("info/link.json says noarch {} but info/index.json says \"{}\"",
                                                noarch_name(link->noarch), noarch_name(info.index.noarch)));
        info.link = std::move(*link);
    }
    info.link_scripts = find_link_scripts(info.contents, info.index.name);
    return info;
}

std::string noarch_python_path(std::string_view path, std::string_view site_packages) {
    constexpr std::string_view site_prefix = "site-packages/";
    constexpr std::string_view scripts_prefix = "python-scripts/";
    if (path.starts_with(site_prefix)) return fmt::format("{}/{}", site_packages, path.substr(site_prefix.size()));
    if (path.starts_with(scripts_prefix)) return fmt::format("bin/{}", path.substr(scripts_prefix.size()));
    return std::string(path);
}

}  // namespace envctl::extract
