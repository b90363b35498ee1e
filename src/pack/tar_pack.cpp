#include "envctl/pack/tar_pack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "entries.hpp"
#include "envctl/extract/package_path.hpp"
#include "envctl/link/prefix_replace.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::pack {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// libarchive's message for the last error; it may have none (a null pointer fmt refuses).
const char* archive_message(::archive* handle) {
    const char* message = archive_error_string(handle);
    return message != nullptr ? message : "unknown archive error";
}

std::string without_trailing_slash(std::string text) {
    while (text.size() > 1 && text.ends_with('/')) text.pop_back();
    return text;
}

PackManifest manifest_of(const EnvironmentContents& contents, const std::vector<detail::Entry>& entries) {
    PackManifest manifest;
    manifest.platform = contents.platform;
    manifest.source_prefix = contents.source_prefix;
    for (const auto& package : contents.packages) manifest.packages.push_back(package.record.dist_name());
    for (const auto& entry : entries)
        if (entry.file != nullptr && entry.file->type == PackFile::Type::Regular && !entry.file->placeholder.empty())
            manifest.files.push_back({entry.path, entry.file->placeholder, entry.file->mode});
    manifest.env_vars = contents.env_vars;
    return manifest;
}

// Replaces the file's bytes, keeping its permissions; the new bytes go to a sibling renamed over it.
Status replace_file(const fs::path& file, std::string_view data) {
    std::error_code error;
    const auto permissions = fs::status(file, error).permissions();
    if (error) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", file.string(), error.message()));
    const auto temporary = temporary_sibling(file);
    {
        auto sink = FileSink::open(temporary);
        if (!sink) return fail(std::move(sink.error()));
        if (auto written = (*sink)->write(data); !written) return written;
        if (auto closed = (*sink)->close(); !closed) return closed;
    }
    fs::permissions(temporary, permissions, error);
    if (!error) fs::rename(temporary, file, error);
    if (error) {
        fs::remove(temporary, error);
        return fail(ErrorKind::Io, fmt::format("cannot replace {}: {}", file.string(), error.message()));
    }
    return {};
}

Status check_binary_room(const std::vector<PlaceholderFile>& files, std::string_view prefix) {
    for (const auto& file : files) {
        if (file.mode != extract::FileMode::Binary || file.placeholder == prefix || prefix.size() <= file.placeholder.size())
            continue;
        return fail(Error{ErrorKind::Input,
                          fmt::format("cannot relocate to {}: the path has {} characters, but {} holds a binary prefix "
                                      "placeholder of {} characters that it must fit into",
                                      prefix, prefix.size(), file.path, file.placeholder.size()),
                          {},
                          {fmt::format("unpack to a path of at most {} characters", file.placeholder.size())}});
    }
    return {};
}

struct ArchiveReader {
    ::archive* archive = archive_read_new();
    ~ArchiveReader() { archive_read_free(archive); }
    Error error(const fs::path& file) const {
        const char* message = archive_error_string(archive);
        return Error{ErrorKind::Integrity,
                     fmt::format("cannot read {}: {}", file.string(), message != nullptr ? message : "not a tar archive"), {}, {}};
    }
};

Result<std::string> read_entry_data(::archive* archive, const fs::path& file) {
    std::string data;
    char buffer[65536];
    while (true) {
        const auto n = archive_read_data(archive, buffer, sizeof buffer);
        if (n < 0) return fail(ErrorKind::Integrity, fmt::format("cannot read {}: {}", file.string(), archive_message(archive)));
        if (n == 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
    }
    return data;
}

}  // namespace

std::string manifest_json(const PackManifest& manifest) {
    json files = json::array();
    for (const auto& file : manifest.files)
        files.push_back({{"path", file.path}, {"placeholder", file.placeholder}, {"mode", extract::file_mode_name(file.mode)}});
    json env_vars = json::object();
    for (const auto& [name, value] : manifest.env_vars) env_vars[name] = value;
    json document = {{"envctl_pack", manifest.version}, {"platform", manifest.platform},
                     {"source_prefix", manifest.source_prefix}, {"packages", manifest.packages},
                     {"files", files}, {"env_vars", env_vars}};
    return document.dump(2) + "\n";
}

Result<PackManifest> parse_manifest(std::string_view text, std::string_view file) {
    const auto document = json::parse(text, nullptr, false);
    auto bad = [&](std::string what) {
        return fail(Error{ErrorKind::Input, fmt::format("{}: {}", file, what), Location{std::string(file), 0, 0}, {}});
    };
    if (!document.is_object()) return bad("not a JSON object");
    PackManifest manifest;
    try {
        manifest.version = document.at("envctl_pack").get<int>();
        if (manifest.version != 1) return bad(fmt::format("pack format version {} is not supported (expected 1)", manifest.version));
        manifest.platform = document.value("platform", "");
        manifest.source_prefix = document.value("source_prefix", "");
        manifest.packages = document.value("packages", std::vector<std::string>{});
        for (const auto& entry : document.at("files")) {
            PlaceholderFile placeholder;
            placeholder.path = entry.at("path").get<std::string>();
            placeholder.placeholder = entry.at("placeholder").get<std::string>();
            const auto mode = entry.at("mode").get<std::string>();
            if (mode != "text" && mode != "binary") return bad(fmt::format("files: mode '{}' is neither text nor binary", mode));
            placeholder.mode = mode == "text" ? extract::FileMode::Text : extract::FileMode::Binary;
            if (placeholder.placeholder.empty()) return bad(fmt::format("files: {} has an empty placeholder", placeholder.path));
            manifest.files.push_back(std::move(placeholder));
        }
        if (document.contains("env_vars"))
            for (const auto& [name, value] : document.at("env_vars").items()) manifest.env_vars.emplace_back(name, value.get<std::string>());
    } catch (const json::exception& error) {
        return bad(fmt::format("expected envctl_pack, files [{{path, placeholder, mode}}] ({})", error.what()));
    }
    return manifest;
}

std::string placeholder_list(const std::vector<PlaceholderFile>& files) {
    std::string out;
    for (const auto& file : files) {
        if (file.path.find_first_of("\t\n") != std::string::npos || file.placeholder.find_first_of("\t\n") != std::string::npos)
            continue;
        out += fmt::format("{}\t{}\t{}\n", extract::file_mode_name(file.mode), file.placeholder, file.path);
    }
    return out;
}

Result<Compression> compression_for(const fs::path& output) {
    const auto name = output.filename().string();
    if (name.ends_with(".tar.zst") || name.ends_with(".tzst")) return Compression::Zstd;
    if (name.ends_with(".tar.gz") || name.ends_with(".tgz")) return Compression::Gzip;
    if (name.ends_with(".tar")) return Compression::None;
    return fail(Error{ErrorKind::Usage, fmt::format("cannot tell the archive type of {}", output.string()), {},
                      {"name it *.tar.zst, *.tar.gz or *.tar"}});
}

Result<std::string> rewrite_for_prefix(std::string_view data, std::string_view placeholder, extract::FileMode mode,
                                       std::string_view prefix) {
    if (mode == extract::FileMode::Binary) return link::replace_binary_placeholder(data, placeholder, prefix);
    auto text = link::replace_text_placeholder(data, placeholder, prefix);
    if (auto fixed = link::fix_long_shebang(text, prefix)) return std::move(*fixed);
    return text;
}

Result<TarPackReport> write_tar_pack(const EnvironmentContents& contents, const TarPackOptions& options) {
    auto compression = compression_for(options.output);
    if (!compression) return fail(std::move(compression.error()));
    std::vector<std::pair<const PackFile*, std::string>> files;
    for (const auto& package : contents.packages)
        for (const auto& file : package.files) files.emplace_back(&file, package.record.dist_name());
    for (const auto& file : contents.other_files) files.emplace_back(&file, "environment");
    PackFile script;
    script.path = std::string(unpack_script_path);
    script.generated = unpack_script();
    script.executable = true;
    files.emplace_back(&script, "envctl pack");
    const auto entries = detail::sorted_entries(files, "");
    const auto manifest = manifest_of(contents, entries);

    std::error_code error;
    if (!options.output.parent_path().empty()) fs::create_directories(options.output.parent_path(), error);
    const auto temporary = temporary_sibling(options.output);
    auto file = FileSink::open(temporary);
    if (!file) return fail(std::move(file.error()));
    struct Cleanup {
        fs::path path;
        bool keep = false;
        ~Cleanup() {
            std::error_code ignored;
            if (!keep) fs::remove(path, ignored);
        }
    } cleanup{temporary};
    Sha256Sink hashed((*file)->sink());
    auto compressor = make_compressor(*compression, hashed.sink(), options.level);
    if (!compressor) return fail(std::move(compressor.error()));
    auto tar = TarWriter::open((*compressor)->sink(), source_date_epoch());
    if (!tar) return fail(std::move(tar.error()));
    // The pack's own metadata comes first, so unpackers know the placeholders before any file.
    if (auto ok = (*tar)->add_directory(".envctl-pack"); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*tar)->add_file(manifest_path, manifest_json(manifest), false); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*tar)->add_file(placeholders_path, placeholder_list(manifest.files), false); !ok)
        return fail(std::move(ok.error()));
    for (const auto& entry : entries)
        if (auto ok = detail::write_entry(**tar, entry, std::nullopt); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*tar)->finish(); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*compressor)->finish(); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*file)->close(); !ok) return fail(std::move(ok.error()));
    fs::rename(temporary, options.output, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot write {}: {}", options.output.string(), error.message()));
    cleanup.keep = true;

    TarPackReport report;
    report.packages = contents.packages.size();
    report.entries = entries.size() + 3;
    report.placeholder_files = manifest.files.size();
    report.archive_bytes = hashed.size();
    report.sha256 = hashed.hex_digest();
    return report;
}

Result<UnpackReport> relocate(const fs::path& prefix_argument, const std::vector<PlaceholderFile>& files) {
    const auto prefix = without_trailing_slash(fs::absolute(prefix_argument).lexically_normal().string());
    if (auto room = check_binary_room(files, prefix); !room) return fail(std::move(room.error()));
    UnpackReport report;
    report.prefix = prefix;
    std::vector<PlaceholderFile> current;
    for (auto file : files) {
        if (file.placeholder != prefix) {
            const auto path = fs::path(prefix) / file.path;
            auto data = read_file(path);
            if (!data) return fail(std::move(data.error()));
            auto rewritten = rewrite_for_prefix(*data, file.placeholder, file.mode, prefix);
            if (!rewritten) return fail(std::move(rewritten.error()).with_context(file.path));
            if (auto replaced = replace_file(path, *rewritten); !replaced) return fail(std::move(replaced.error()));
            ++(file.mode == extract::FileMode::Binary ? report.binary_rewritten : report.text_rewritten);
            file.placeholder = prefix;
        }
        current.push_back(std::move(file));
    }
    if (auto written = replace_file(fs::path(prefix) / placeholders_path, placeholder_list(current)); !written)
        return fail(std::move(written.error()));
    return report;
}

Result<UnpackReport> unpack(const fs::path& archive_file, const fs::path& destination) {
    const auto prefix = without_trailing_slash(fs::absolute(destination).lexically_normal().string());
    std::error_code error;
    if (fs::exists(prefix, error) && !(fs::is_directory(prefix, error) && fs::is_empty(prefix, error)))
        return fail(Error{ErrorKind::Usage, fmt::format("{} already exists and is not an empty folder", prefix), {},
                          {"unpack into a new folder"}});
    ArchiveReader reader;
    archive_read_support_filter_all(reader.archive);
    archive_read_support_format_tar(reader.archive);
    if (archive_read_open_filename(reader.archive, archive_file.c_str(), 1 << 16) != ARCHIVE_OK) {
        auto failure = reader.error(archive_file);
        if (!fs::exists(archive_file)) failure.kind = ErrorKind::Input;
        return fail(std::move(failure));
    }
    const bool existed = fs::exists(prefix, error);
    struct Cleanup {
        fs::path path;
        bool active = true;
        ~Cleanup() {
            std::error_code ignored;
            if (active) fs::remove_all(path, ignored);
        }
    } cleanup{prefix, !existed};

    std::optional<PackManifest> manifest;
    UnpackReport report;
    report.prefix = prefix;
    struct archive_entry* entry = nullptr;
    // Names are checked above (relative, no "..", symlink targets inside the pack) and then made
    // absolute under the destination, so libarchive's own checks of absolute paths cannot apply.
    const int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_UNLINK;
    while (true) {
        const int status = archive_read_next_header(reader.archive, &entry);
        if (status == ARCHIVE_EOF) break;
        if (status < ARCHIVE_WARN) return fail(reader.error(archive_file));
        const char* raw_name = archive_entry_pathname_utf8(entry);
        if (raw_name == nullptr) raw_name = archive_entry_pathname(entry);
        auto name = extract::normalize_package_path(raw_name != nullptr ? raw_name : "");
        if (!name) return fail(std::move(name.error()).with_context(fmt::format("reading {}", archive_file.string())));
        const auto type = archive_entry_filetype(entry);
        if (archive_entry_hardlink(entry) != nullptr || (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK))
            return fail(ErrorKind::Integrity, fmt::format("{}: {} is not a file, folder or symlink; envctl packs hold no others",
                                                          archive_file.string(), *name));
        if (type == AE_IFLNK) {
            const char* target = archive_entry_symlink(entry);
            if (auto ok = extract::check_symlink_target(*name, target != nullptr ? target : ""); !ok)
                return fail(std::move(ok.error()).with_context(archive_file.string()));
        }
        if (*name == manifest_path) {
            auto text = read_entry_data(reader.archive, archive_file);
            if (!text) return fail(std::move(text.error()));
            auto parsed = parse_manifest(*text, fmt::format("{}:{}", archive_file.string(), manifest_path));
            if (!parsed) return fail(std::move(parsed.error()));
            if (auto room = check_binary_room(parsed->files, prefix); !room) return fail(std::move(room.error()));
            manifest = std::move(*parsed);
            fs::create_directories(fs::path(prefix) / ".envctl-pack", error);
            if (auto written = write_file_atomic(fs::path(prefix) / manifest_path, *text); !written) return fail(std::move(written.error()));
            ++report.entries;
            continue;
        }
        if (!manifest && *name != ".envctl-pack")
            return fail(Error{ErrorKind::Input,
                              fmt::format("{} is not an envctl pack: it does not start with {}", archive_file.string(), manifest_path),
                              {},
                              {"make packs with `envctl pack --format tar`"}});
        const auto target = (fs::path(prefix) / *name).string();
        archive_entry_set_pathname(entry, target.c_str());
        archive_entry_set_uid(entry, ::getuid());
        archive_entry_set_gid(entry, ::getgid());
        if (archive_read_extract(reader.archive, entry, flags) < ARCHIVE_WARN) return fail(reader.error(archive_file));
        ++report.entries;
    }
    if (!manifest) return fail(ErrorKind::Input, fmt::format("{} is not an envctl pack: it has no {}", archive_file.string(), manifest_path));
    auto relocated = relocate(prefix, manifest->files);
    if (!relocated) return fail(std::move(relocated.error()));
    report.text_rewritten = relocated->text_rewritten;
    report.binary_rewritten = relocated->binary_rewritten;
    cleanup.active = false;
    return report;
}

}  // namespace envctl::pack
