// The deprecated info/files, info/has_prefix and info/no_link files of old packages.
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "envctl/extract/package_info.hpp"
#include "envctl/extract/package_path.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::extract {

namespace {

Error line_error(std::string_view package, std::string_view file, std::size_t line, std::string message) {
    return Error{ErrorKind::Integrity, std::move(message), Location{fmt::format("{}/{}", package, file), line, 0}, {}};
}

// Calls `visit(line_number, trimmed_line)` for every non-empty line.
template <class Visit>
Status for_each_line(std::string_view text, Visit visit) {
    std::size_t number = 0;
    for (const auto line : split(text, '\n')) {
        ++number;
        const auto trimmed = trim(line);
        if (trimmed.empty()) continue;
        if (auto ok = visit(number, trimmed); !ok) return ok;
    }
    return {};
}

// Whitespace-separated fields; a field starting with " or ' runs to the matching quote.
Result<std::vector<std::string>> quoted_fields(std::string_view line) {
    std::vector<std::string> fields;
    std::size_t i = 0;
    while (i < line.size()) {
        if (line[i] == ' ' || line[i] == '\t') {
            ++i;
            continue;
        }
        if (line[i] == '"' || line[i] == '\'') {
            const auto close = line.find(line[i], i + 1);
            if (close == std::string_view::npos) return fail(ErrorKind::Integrity, "unterminated quote");
            fields.emplace_back(line.substr(i + 1, close - i - 1));
            i = close + 1;
        } else {
            const auto end = line.find_first_of(" \t", i);
            const auto stop = end == std::string_view::npos ? line.size() : end;
            fields.emplace_back(line.substr(i, stop - i));
            i = stop;
        }
    }
    return fields;
}

}  // namespace

Result<std::vector<std::string>> parse_path_list(std::string_view text, std::string_view package, std::string_view file) {
    std::vector<std::string> paths;
    auto ok = for_each_line(text, [&](std::size_t number, std::string_view line) -> Status {
        auto path = normalize_package_path(line);
        if (!path || path->empty())
            return fail(line_error(package, file, number,
                                   fmt::format("bad path '{}': {}", printable_path(line),
                                               path ? "names the package root" : path.error().message)));
        paths.push_back(std::move(*path));
        return {};
    });
    if (!ok) return fail(ok.error());
    return paths;
}

Result<std::vector<HasPrefixEntry>> parse_has_prefix(std::string_view text, std::string_view package) {
    constexpr std::string_view file = "info/has_prefix";
    std::vector<HasPrefixEntry> entries;
    auto ok = for_each_line(text, [&](std::size_t number, std::string_view line) -> Status {
        auto fields = quoted_fields(line);
        if (!fields) return fail(line_error(package, file, number, fields.error().message));
        HasPrefixEntry entry;
        std::string raw_path;
        if (fields->size() == 1) {
            entry.placeholder = std::string(default_prefix_placeholder);
            raw_path = (*fields)[0];
        } else if (fields->size() == 3) {
            entry.placeholder = (*fields)[0];
            if ((*fields)[1] == "binary") entry.mode = FileMode::Binary;
            else if ((*fields)[1] != "text")
                return fail(line_error(package, file, number,
                                       fmt::format("mode must be text or binary, not '{}'", printable_path((*fields)[1]))));
            raw_path = (*fields)[2];
        } else {
            return fail(line_error(package, file, number,
                                   fmt::format("expected 'placeholder mode path' or a single path, got {} fields",
                                               fields->size())));
        }
        if (entry.placeholder.empty()) return fail(line_error(package, file, number, "the placeholder is empty"));
        auto path = normalize_package_path(raw_path);
        if (!path || path->empty())
            return fail(line_error(package, file, number,
                                   fmt::format("bad path '{}': {}", printable_path(raw_path),
                                               path ? "names the package root" : path.error().message)));
        entry.path = std::move(*path);
        entries.push_back(std::move(entry));
        return {};
    });
    if (!ok) return fail(ok.error());
    return entries;
}

Result<PackageContents> contents_from_legacy(std::string_view files, const std::optional<std::string>& has_prefix,
                                             const std::optional<std::string>& no_link, std::string_view package) {
    auto paths = parse_path_list(files, package, "info/files");
    if (!paths) return fail(paths.error());
    std::unordered_map<std::string, HasPrefixEntry> prefixed;
    if (has_prefix) {
        auto entries = parse_has_prefix(*has_prefix, package);
        if (!entries) return fail(entries.error());
        for (auto& entry : *entries) prefixed.insert_or_assign(entry.path, std::move(entry));
    }
    std::unordered_set<std::string> copied;
    if (no_link) {
        auto entries = parse_path_list(*no_link, package, "info/no_link");
        if (!entries) return fail(entries.error());
        copied.insert(entries->begin(), entries->end());
    }
    PackageContents contents;
    contents.source = ContentsSource::LegacyFiles;
    std::unordered_set<std::string> seen;
    for (auto& path : *paths) {
        if (!seen.insert(path).second) continue;  // old packages sometimes list a path twice
        if (path == "conda-meta" || path.starts_with("conda-meta/"))
            return fail(Error{ErrorKind::Integrity,
                              fmt::format("'{}' is inside conda-meta/, which belongs to the environment", path),
                              Location{fmt::format("{}/info/files", package)}, {}});
        PathEntry entry;
        if (const auto it = prefixed.find(path); it != prefixed.end()) {
            entry.prefix_placeholder = it->second.placeholder;
            entry.file_mode = it->second.mode;
        }
        entry.no_link = copied.count(path) != 0;
        entry.path = std::move(path);
        contents.paths.push_back(std::move(entry));
    }
    return contents;
}

}  // namespace envctl::extract
