#include "archive_walk.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/extract/package_path.hpp"

namespace envctl::extract::detail {

namespace {

struct ReadArchiveDeleter {
    void operator()(archive* handle) const noexcept { archive_read_free(handle); }
};
using ReadArchive = std::unique_ptr<archive, ReadArchiveDeleter>;

// Which part of a package a tarball holds: a whole .tar.bz2, or one member of a .conda.
enum class MemberRole { Whole, Info, Payload };

constexpr std::uint64_t max_conda_metadata_json = 1 << 20;
constexpr std::size_t file_read_block = 1 << 20;

std::string archive_message(archive* handle) {
    const char* message = archive_error_string(handle);
    return message != nullptr ? message : "unknown libarchive error";
}

Error corrupt(std::string_view context, archive* handle) {
    return Error{ErrorKind::Integrity, fmt::format("{}: corrupt archive: {}", context, archive_message(handle)), {}, {}};
}

Error refuse(std::string_view context, std::string_view raw_path, std::string_view reason) {
    return Error{ErrorKind::Integrity,
                 fmt::format("{}: refusing entry '{}': {}", context, printable_path(raw_path), reason), {}, {}};
}

bool is_info_path(std::string_view path) { return path == "info" || path.starts_with("info/"); }

bool is_parsed_metadata(std::string_view path) {
    const auto& paths = info_file_paths();
    return std::find(paths.begin(), paths.end(), path) != paths.end();
}

std::string_view base_name(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Errors from opening a file that are about the file system, not the archive.
bool is_file_system_errno(int error_number) {
    return error_number == ENOENT || error_number == EACCES || error_number == EPERM || error_number == EISDIR ||
           error_number == ENOTDIR || error_number == ELOOP || error_number == ENAMETOOLONG || error_number == EIO;
}

// Reads a .conda member through archive_read_data_block so the inner tar.zst is streamed
// straight from the outer ZIP, without a temporary file or a whole-member buffer.
struct MemberStream {
    archive* outer = nullptr;
    std::uint64_t next_offset = 0;
};

la_ssize_t read_member(archive* inner, void* client, const void** buffer) {
    auto* stream = static_cast<MemberStream*>(client);
    std::size_t size = 0;
    la_int64_t offset = 0;
    const int status = archive_read_data_block(stream->outer, buffer, &size, &offset);
    if (status == ARCHIVE_EOF) {
        *buffer = nullptr;
        return 0;
    }
    if (status != ARCHIVE_OK) {
        archive_set_error(inner, EINVAL, "reading the ZIP member: %s", archive_message(stream->outer).c_str());
        return -1;
    }
    if (offset < 0 || static_cast<std::uint64_t>(offset) != stream->next_offset) {
        archive_set_error(inner, EINVAL, "the ZIP member has a gap in its data");
        return -1;
    }
    stream->next_offset += size;
    return static_cast<la_ssize_t>(size);
}

class Walker {
public:
    Walker(const ArchiveInput& input, const ExtractLimits& limits, EntrySink& sink, InfoFiles& info, ExtractStats& stats)
        : input_(input), limits_(limits), sink_(sink), info_(info), stats_(stats) {}

    Status walk(Members members) {
        return input_.format == ArchiveFormat::TarBz2 ? walk_tar_bz2() : walk_conda(members);
    }

private:
    Result<ReadArchive> new_reader() const {
        ReadArchive reader(archive_read_new());
        if (!reader) return fail(ErrorKind::Internal, "libarchive could not allocate a reader");
        return reader;
    }

    Status open_input(archive* reader) const {
        const int status = input_.in_memory
                               ? archive_read_open_memory(reader, input_.memory.data(), input_.memory.size())
                               : archive_read_open_filename(reader, input_.file.c_str(), file_read_block);
        if (status == ARCHIVE_OK) return {};
        if (!input_.in_memory && is_file_system_errno(archive_errno(reader)))
            return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", input_.file.string(), archive_message(reader)));
        return fail(ErrorKind::Integrity, fmt::format("{}: not a valid {} archive: {}", input_.label,
                                                      archive_extension(input_.format), archive_message(reader)));
    }

    Status walk_tar_bz2() {
        auto reader = new_reader();
        if (!reader) return fail(reader.error());
        // ARCHIVE_WARN here would mean libarchive forks an external bzip2 program.
        if (archive_read_support_filter_bzip2(reader->get()) != ARCHIVE_OK ||
            archive_read_support_format_tar(reader->get()) != ARCHIVE_OK)
            return fail(ErrorKind::Internal, "libarchive was built without bzip2 or tar support");
        if (auto opened = open_input(reader->get()); !opened) return opened;
        // libarchive also reads an uncompressed tar; a .tar.bz2 must be bzip2.
        if (archive_filter_code(reader->get(), 0) != ARCHIVE_FILTER_BZIP2)
            return fail(ErrorKind::Integrity, fmt::format("{}: not bzip2-compressed", input_.label));
        return walk_tar(reader->get(), MemberRole::Whole, input_.label);
    }

    Status walk_conda(Members members) {
        auto zip = new_reader();
        if (!zip) return fail(zip.error());
        if (archive_read_support_format_zip(zip->get()) != ARCHIVE_OK)
            return fail(ErrorKind::Internal, "libarchive was built without ZIP support");
        if (auto opened = open_input(zip->get()); !opened) return opened;
        bool seen_info = false;
        bool seen_payload = false;
        for (;;) {
            archive_entry* member = nullptr;
            const int status = archive_read_next_header(zip->get(), &member);
            if (status == ARCHIVE_EOF) break;
            if (status != ARCHIVE_OK && status != ARCHIVE_WARN) return fail(corrupt(input_.label, zip->get()));
            const char* raw_name = archive_entry_pathname(member);
            const std::string name = raw_name != nullptr ? raw_name : "";
            if (archive_entry_filetype(member) == AE_IFDIR) continue;
            const auto base = base_name(name);
            const bool is_info = base.starts_with("info-") && base.ends_with(".tar.zst");
            const bool is_payload = base.starts_with("pkg-") && base.ends_with(".tar.zst");
            if (base == "metadata.json") {
                if (auto checked = check_conda_metadata(zip->get(), member); !checked) return checked;
                continue;
            }
            if (!is_info && !is_payload) continue;  // unknown members are not ours to interpret
            bool& seen = is_info ? seen_info : seen_payload;
            if (seen)
                return fail(ErrorKind::Integrity,
                            fmt::format("{}: more than one {}-*.tar.zst member", input_.label, is_info ? "info" : "pkg"));
            seen = true;
            if (archive_entry_filetype(member) != AE_IFREG)
                return fail(ErrorKind::Integrity,
                            fmt::format("{}: member '{}' is not a regular file", input_.label, printable_path(name)));
            if (is_payload && members == Members::InfoOnly) continue;
            const auto context = fmt::format("{} ({})", input_.label, printable_path(base));
            if (auto walked = walk_member(zip->get(), is_info ? MemberRole::Info : MemberRole::Payload, context); !walked)
                return walked;
            if (is_info && members == Members::InfoOnly) break;
        }
        if (!seen_info)
            return fail(ErrorKind::Integrity, fmt::format("{}: no info-*.tar.zst member; not a .conda package", input_.label));
        return {};
    }

    Status check_conda_metadata(archive* zip, archive_entry* member) const {
        if (archive_entry_size_is_set(member) && archive_entry_size(member) > la_int64_t{max_conda_metadata_json})
            return fail(ErrorKind::Integrity, fmt::format("{}: metadata.json is implausibly large", input_.label));
        std::string text;
        char buffer[16384];
        for (;;) {
            const auto n = archive_read_data(zip, buffer, sizeof buffer);
            if (n < 0) return fail(corrupt(input_.label, zip));
            if (n == 0) break;
            text.append(buffer, static_cast<std::size_t>(n));
            if (text.size() > max_conda_metadata_json)
                return fail(ErrorKind::Integrity, fmt::format("{}: metadata.json is implausibly large", input_.label));
        }
        const auto document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (!document.is_object())
            return fail(ErrorKind::Integrity, fmt::format("{}: metadata.json is not a JSON object", input_.label));
        const auto version = document.find("conda_pkg_format_version");
        if (version != document.end() && !(version->is_number_integer() && version->get<long long>() == 2))
            return fail(ErrorKind::Integrity, fmt::format("{}: unsupported .conda format version {} (envctl reads 2)",
                                                          input_.label, version->dump()));
        return {};
    }

    Status walk_member(archive* zip, MemberRole role, const std::string& context) {
        auto tar = new_reader();
        if (!tar) return fail(tar.error());
        if (archive_read_support_filter_zstd(tar->get()) != ARCHIVE_OK ||
            archive_read_support_format_tar(tar->get()) != ARCHIVE_OK)
            return fail(ErrorKind::Internal, "libarchive was built without zstd or tar support");
        MemberStream stream{zip, 0};
        if (archive_read_open2(tar->get(), &stream, nullptr, read_member, nullptr, nullptr) != ARCHIVE_OK)
            return fail(ErrorKind::Integrity,
                        fmt::format("{}: not a zstd-compressed tarball: {}", context, archive_message(tar->get())));
        if (archive_filter_code(tar->get(), 0) != ARCHIVE_FILTER_ZSTD)
            return fail(ErrorKind::Integrity, fmt::format("{}: not a zstd-compressed tarball", context));
        return walk_tar(tar->get(), role, context);
    }

    // Decompressed bytes may exceed the entry sizes by the tar headers and padding only.
    std::uint64_t stream_limit() const {
        return limits_.max_total_bytes + (std::uint64_t{64} << 20) + stats_.entries * std::uint64_t{4096};
    }

    Status walk_tar(archive* tar, MemberRole role, std::string_view context) {
        for (;;) {
            archive_entry* raw = nullptr;
            const int status = archive_read_next_header(tar, &raw);
            if (status == ARCHIVE_EOF) break;
            // ARCHIVE_WARN is a name that did not convert to the C locale: the raw bytes are
            // still there and are validated below.
            if (status != ARCHIVE_OK && status != ARCHIVE_WARN) return fail(corrupt(context, tar));
            if (++stats_.entries > limits_.max_entries)
                return fail(ErrorKind::Integrity, fmt::format("{}: more than {} entries (the max_entries limit)", context,
                                                              limits_.max_entries));
            if (stream_bytes_ + static_cast<std::uint64_t>(archive_filter_bytes(tar, 0)) > stream_limit())
                return fail(ErrorKind::Integrity, fmt::format("{}: decompresses to more than the {} byte limit", context,
                                                              limits_.max_total_bytes));
            auto entry = entry_of(raw, role, context);
            if (!entry) return fail(entry.error());
            if (!*entry) continue;
            if (auto handled = handle(tar, **entry, context); !handled) return handled;
        }
        stream_bytes_ += static_cast<std::uint64_t>(archive_filter_bytes(tar, 0));
        return {};
    }

    // The validated entry, or nullopt for the package root itself ("./").
    Result<std::optional<Entry>> entry_of(archive_entry* raw, MemberRole role, std::string_view context) const {
        const char* name = archive_entry_pathname(raw);
        if (name == nullptr) return fail(refuse(context, "", "the entry has no name"));
        Entry entry;
        entry.raw_path = name;
        auto path = normalize_package_path(entry.raw_path);
        if (!path) return fail(refuse(context, entry.raw_path, path.error().message));
        const auto type = archive_entry_filetype(raw);
        const char* hardlink = archive_entry_hardlink(raw);
        if (path->empty()) {
            if (type == AE_IFDIR && hardlink == nullptr) return std::optional<Entry>{};
            return fail(refuse(context, entry.raw_path, "it names the package root"));
        }
        entry.path = std::move(*path);
        if (hardlink != nullptr) {
            entry.kind = EntryKind::Hardlink;
            auto target = normalize_package_path(hardlink);
            if (!target || target->empty())
                return fail(refuse(context, entry.raw_path,
                                   fmt::format("hardlink target '{}' is not inside the package", printable_path(hardlink))));
            if (*target == entry.path) return fail(refuse(context, entry.raw_path, "it is a hardlink to itself"));
            entry.target = std::move(*target);
        } else if (type == AE_IFREG) {
            entry.kind = EntryKind::File;
        } else if (type == AE_IFDIR) {
            entry.kind = EntryKind::Directory;
        } else if (type == AE_IFLNK) {
            entry.kind = EntryKind::Symlink;
            const char* target = archive_entry_symlink(raw);
            entry.target = target != nullptr ? target : "";
            // An empty target is tolerated (old zlib builds have them); the sink decides.
            if (!entry.target.empty())
                if (auto inside = check_symlink_target(entry.path, entry.target); !inside)
                    return fail(refuse(context, entry.raw_path, inside.error().message));
        } else if (type == AE_IFCHR || type == AE_IFBLK) {
            return fail(refuse(context, entry.raw_path, "device files are not allowed in packages"));
        } else if (type == AE_IFIFO) {
            return fail(refuse(context, entry.raw_path, "FIFOs are not allowed in packages"));
        } else if (type == AE_IFSOCK) {
            return fail(refuse(context, entry.raw_path, "sockets are not allowed in packages"));
        } else {
            return fail(refuse(context, entry.raw_path, "unknown entry type"));
        }
        if (role == MemberRole::Info && !is_info_path(entry.path))
            return fail(refuse(context, entry.raw_path, "the info tarball may only hold info/"));
        // conda-forge packages do carry info/licenses/ in the pkg tarball, but the metadata
        // envctl parses must come from the info tarball alone.
        if (role == MemberRole::Payload && is_parsed_metadata(entry.path))
            return fail(refuse(context, entry.raw_path, "the pkg tarball must not replace the package metadata"));
        if (entry.kind == EntryKind::File) {
            const auto size = archive_entry_size_is_set(raw) ? archive_entry_size(raw) : 0;
            if (size < 0) return fail(refuse(context, entry.raw_path, "negative size"));
            entry.size = static_cast<std::uint64_t>(size);
        }
        entry.executable = (archive_entry_perm(raw) & 0111) != 0;
        if (archive_entry_mtime_is_set(raw))
            entry.mtime = timespec{archive_entry_mtime(raw), archive_entry_mtime_nsec(raw)};
        return std::optional<Entry>{std::move(entry)};
    }

    Status handle(archive* tar, const Entry& entry, std::string_view context) {
        std::optional<std::string>* capture = info_file_slot(info_, entry.path);
        if (capture != nullptr && entry.kind != EntryKind::File)
            return fail(refuse(context, entry.raw_path, "package metadata must be a regular file"));
        if (capture != nullptr && entry.size > limits_.max_metadata_file_bytes)
            return fail(refuse(context, entry.raw_path,
                               fmt::format("metadata file larger than {} bytes", limits_.max_metadata_file_bytes)));
        switch (entry.kind) {
            case EntryKind::File:
                ++stats_.files;
                stats_.bytes += entry.size;
                if (stats_.bytes > limits_.max_total_bytes)
                    return fail(refuse(context, entry.raw_path,
                                       fmt::format("the package would exceed the {} byte limit on uncompressed size",
                                                   limits_.max_total_bytes)));
                break;
            case EntryKind::Directory: ++stats_.directories; break;
            case EntryKind::Symlink: ++stats_.symlinks; break;
            case EntryKind::Hardlink: ++stats_.hardlinks; break;
        }
        if (auto begun = sink_.begin(entry); !begun) return begun;
        if (entry.kind == EntryKind::File) {
            std::string* text = capture != nullptr ? &capture->emplace() : nullptr;
            if (auto copied = copy_data(tar, entry, text, context); !copied) return copied;
        }
        return sink_.finish(entry);
    }

    Status copy_data(archive* tar, const Entry& entry, std::string* text, std::string_view context) {
        const bool wanted = sink_.wants_data(entry);
        if (text == nullptr && !wanted) return {};  // skipped at the next header
        for (;;) {
            const void* block = nullptr;
            std::size_t size = 0;
            la_int64_t offset = 0;
            const int status = archive_read_data_block(tar, &block, &size, &offset);
            if (status == ARCHIVE_EOF) break;
            if (status != ARCHIVE_OK) return fail(corrupt(context, tar));
            if (offset < 0 || static_cast<std::uint64_t>(offset) + size > entry.size)
                return fail(refuse(context, entry.raw_path, "it holds more data than its header declares"));
            if (text != nullptr) {
                if (static_cast<std::uint64_t>(offset) > text->size()) text->resize(static_cast<std::size_t>(offset), '\0');
                text->append(static_cast<const char*>(block), size);
            }
            if (wanted)
                if (auto written = sink_.write(block, size, static_cast<std::uint64_t>(offset)); !written) return written;
        }
        if (text != nullptr && text->size() < entry.size) text->resize(static_cast<std::size_t>(entry.size), '\0');
        return {};
    }

    const ArchiveInput& input_;
    const ExtractLimits& limits_;
    EntrySink& sink_;
    InfoFiles& info_;
    ExtractStats& stats_;
    std::uint64_t stream_bytes_ = 0;  // decompressed bytes of the tarballs already walked
};

}  // namespace

Status walk_package(const ArchiveInput& input, const ExtractLimits& limits, Members members, EntrySink& sink,
                    InfoFiles& info, ExtractStats& stats) {
    return Walker(input, limits, sink, info, stats).walk(members);
}

}  // namespace envctl::extract::detail
