// extract_package and friends: the temporary-directory dance around the walker and the
// safe tree, and reading the info/ files of archives and extracted packages.
#include "envctl/extract/extract.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc declares it here)  NOLINT(modernize-deprecated-headers)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include <fmt/format.h>

#include "archive_walk.hpp"
#include "envctl/extract/package_path.hpp"
#include "envctl/util/fs.hpp"
#include "safe_tree.hpp"

namespace envctl::extract {

namespace fs = std::filesystem;
using detail::EntryKind;

std::string_view archive_extension(ArchiveFormat format) {
    return format == ArchiveFormat::TarBz2 ? ".tar.bz2" : ".conda";
}

Result<ArchiveFormat> archive_format_of(const fs::path& archive) {
    const auto name = archive.filename().string();
    if (name.ends_with(".tar.bz2")) return ArchiveFormat::TarBz2;
    if (name.ends_with(".conda")) return ArchiveFormat::Conda;
    return fail(ErrorKind::Input, fmt::format("{}: not a conda package (expected a .conda or .tar.bz2 file)", name));
}

std::string package_stem(const fs::path& archive) {
    auto name = archive.filename().string();
    for (const std::string_view extension : {".tar.bz2", ".conda"})
        if (name.ends_with(extension)) return name.substr(0, name.size() - extension.size());
    return name;
}

namespace {

// Reconciles the contents listed in info/ with what is on disk (see ExtractedPackage::info).
void reconcile(PackageInfo& info, const std::function<std::optional<EntryKind>(const std::string&)>& kind_of) {
    const bool legacy = info.contents.source == ContentsSource::LegacyFiles;
    for (auto& entry : info.contents.paths) {
        const auto kind = kind_of(entry.path);
        if (!kind) {
            info.warnings.push_back(fmt::format("'{}' is listed in info/ but not in the package", entry.path));
            continue;
        }
        if (*kind == EntryKind::Directory) {
            entry.type = PathType::Directory;
        } else if (*kind == EntryKind::Symlink) {
            if (!legacy && entry.type != PathType::Softlink)
                info.warnings.push_back(fmt::format("'{}' is a symlink although paths.json says {}", entry.path,
                                                    path_type_name(entry.type)));
            entry.type = PathType::Softlink;
        } else {
            if (!legacy && entry.type != PathType::Hardlink)
                info.warnings.push_back(fmt::format("'{}' is a regular file although paths.json says {}; treated as a file",
                                                    entry.path, path_type_name(entry.type)));
            entry.type = PathType::Hardlink;
        }
    }
}

Status move_into_place(TemporaryDirectory& temporary, const fs::path& destination, ExistingDestination existing) {
    if (::renameat2(AT_FDCWD, temporary.path().c_str(), AT_FDCWD, destination.c_str(), RENAME_NOREPLACE) == 0) {
        temporary.release();
        return {};
    }
    if (errno == EEXIST && existing == ExistingDestination::Replace) {
        // Swap atomically; the old tree now sits at the temporary path, which is removed.
        if (::renameat2(AT_FDCWD, temporary.path().c_str(), AT_FDCWD, destination.c_str(), RENAME_EXCHANGE) == 0)
            return {};
    }
    if (errno == EEXIST)
        return fail(Error{ErrorKind::Io, fmt::format("{} already exists", destination.string()), {},
                          {"remove it, or let the package cache replace it"}});
    return fail(ErrorKind::Io, fmt::format("cannot move the extracted package to {}: {}", destination.string(),
                                           std::strerror(errno)));
}

// "cache/pkg/" and "cache/./pkg" name the same directory as "cache/pkg".
fs::path without_trailing_slash(const fs::path& path) {
    auto normal = path.lexically_normal();
    return normal.has_filename() || !normal.has_parent_path() ? normal : normal.parent_path();
}

Result<ExtractedPackage> extract_input(const detail::ArchiveInput& input, const fs::path& requested_destination,
                                       const ExtractLimits& limits, ExistingDestination existing) {
    const auto destination = without_trailing_slash(requested_destination);
    std::error_code error;
    if (existing == ExistingDestination::Fail && fs::exists(fs::symlink_status(destination, error)))
        return fail(Error{ErrorKind::Io, fmt::format("{} already exists", destination.string()), {},
                          {"remove it, or let the package cache replace it"}});
    const auto parent = destination.has_parent_path() ? destination.parent_path() : fs::path(".");
    auto temporary = TemporaryDirectory::create(parent, fmt::format(".{}.extracting-", destination.filename().string()));
    if (!temporary) return fail(temporary.error());
    auto tree = detail::SafeTree::open(temporary->path(), input.label);
    if (!tree) return fail(tree.error());

    ExtractedPackage package;
    package.format = input.format;
    InfoFiles info_files;
    if (auto walked = detail::walk_package(input, limits, detail::Members::All, *tree, info_files, package.stats); !walked)
        return fail(walked.error());
    if (auto audited = tree->audit_symlinks(); !audited) return fail(audited.error());
    auto info = parse_package_info(info_files, package_stem(input.label));
    if (!info) return fail(info.error());
    package.info = std::move(*info);
    const auto& kinds = tree->kinds();
    reconcile(package.info, [&kinds](const std::string& path) -> std::optional<EntryKind> {
        const auto it = kinds.find(path);
        return it == kinds.end() ? std::nullopt : std::optional<EntryKind>(it->second);
    });
    package.warnings = std::move(tree->warnings());
    tree->close();
    if (auto moved = move_into_place(*temporary, destination, existing); !moved) return fail(moved.error());
    package.directory = destination;
    return package;
}

detail::ArchiveInput file_input(const fs::path& archive, ArchiveFormat format) {
    detail::ArchiveInput input;
    input.format = format;
    input.file = archive;
    input.label = archive.filename().string();
    return input;
}

detail::ArchiveInput memory_input(std::span<const std::byte> bytes, ArchiveFormat format, std::string_view label) {
    detail::ArchiveInput input;
    input.format = format;
    input.memory = bytes;
    input.in_memory = true;
    input.label = std::string(label);
    return input;
}

Result<InfoFiles> read_info(const detail::ArchiveInput& input, const ExtractLimits& limits) {
    InfoFiles files;
    ExtractStats stats;
    detail::DiscardSink sink;
    if (auto walked = detail::walk_package(input, limits, detail::Members::InfoOnly, sink, files, stats); !walked)
        return fail(walked.error());
    return files;
}

}  // namespace

Result<ExtractedPackage> extract_package(const fs::path& archive, const fs::path& destination,
                                         const ExtractLimits& limits, ExistingDestination existing) {
    auto format = archive_format_of(archive);
    if (!format) return fail(format.error());
    return extract_input(file_input(archive, *format), destination, limits, existing);
}

Result<ExtractedPackage> extract_package_from_memory(std::span<const std::byte> archive, ArchiveFormat format,
                                                     std::string_view label, const fs::path& destination,
                                                     const ExtractLimits& limits, ExistingDestination existing) {
    return extract_input(memory_input(archive, format, label), destination, limits, existing);
}

Result<InfoFiles> read_archive_info_files(const fs::path& archive, const ExtractLimits& limits) {
    auto format = archive_format_of(archive);
    if (!format) return fail(format.error());
    return read_info(file_input(archive, *format), limits);
}

Result<InfoFiles> read_archive_info_files_from_memory(std::span<const std::byte> archive, ArchiveFormat format,
                                                      std::string_view label, const ExtractLimits& limits) {
    return read_info(memory_input(archive, format, label), limits);
}

Result<PackageInfo> inspect_package(const fs::path& archive, const ExtractLimits& limits) {
    auto files = read_archive_info_files(archive, limits);
    if (!files) return fail(files.error());
    return parse_package_info(*files, package_stem(archive));
}

Result<PackageInfo> load_extracted_package(const fs::path& requested_directory) {
    const auto directory = without_trailing_slash(requested_directory);
    const int root_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open {}: {}", directory.string(), std::strerror(errno)));
    detail::FileDescriptor root(root_fd);
    const auto label = directory.filename().string();
    InfoFiles files;
    for (const auto path : info_file_paths()) {
        auto opened = detail::open_no_follow(root.get(), path, O_RDONLY);
        if (!opened) return fail(std::move(opened.error()).with_context(label));
        if (!*opened) continue;
        struct stat status {};
        if (::fstat(opened->get(), &status) != 0 || !S_ISREG(status.st_mode))
            return fail(ErrorKind::Integrity, fmt::format("{}: {} is not a regular file", label, path));
        std::string text(static_cast<std::size_t>(status.st_size), '\0');
        std::size_t done = 0;
        while (done < text.size()) {
            const auto n = ::read(opened->get(), text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return fail(ErrorKind::Io, fmt::format("{}: cannot read {}", label, path));
            done += static_cast<std::size_t>(n);
        }
        *info_file_slot(files, path) = std::move(text);
    }
    auto info = parse_package_info(files, label);
    if (!info) return fail(info.error());
    reconcile(*info, [&root](const std::string& path) -> std::optional<EntryKind> {
        struct stat status {};
        if (::fstatat(root.get(), path.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) return std::nullopt;
        if (S_ISLNK(status.st_mode)) return EntryKind::Symlink;
        if (S_ISDIR(status.st_mode)) return EntryKind::Directory;
        return EntryKind::File;
    });
    return info;
}

}  // namespace envctl::extract
