#include "archive_builder.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace envctl::test {

namespace fs = std::filesystem;

TestEntry tar_file(std::string path, std::string data, unsigned mode) {
    return TestEntry{std::move(path), TestEntry::Type::File, std::move(data), {}, mode};
}
TestEntry tar_dir(std::string path, unsigned mode) {
    return TestEntry{std::move(path), TestEntry::Type::Directory, {}, {}, mode};
}
TestEntry tar_symlink(std::string path, std::string target) {
    return TestEntry{std::move(path), TestEntry::Type::Symlink, {}, std::move(target), 0777};
}
TestEntry tar_hardlink(std::string path, std::string target) {
    return TestEntry{std::move(path), TestEntry::Type::Hardlink, {}, std::move(target), 0644};
}
TestEntry tar_special(std::string path, TestEntry::Type type) { return TestEntry{std::move(path), type, {}, {}, 0644}; }

std::vector<TestEntry> info_entries(const std::string& name, const std::vector<TestEntry>& payload) {
    std::string paths = R"({"paths_version": 1, "paths": [)";
    bool first = true;
    for (const auto& entry : payload) {
        if (entry.type == TestEntry::Type::Directory) continue;
        if (!first) paths += ", ";
        first = false;
        const char* type = entry.type == TestEntry::Type::Symlink ? "softlink" : "hardlink";
        paths += R"({"_path": ")" + entry.path + R"(", "path_type": ")" + type + R"(", "size_in_bytes": )" +
                 std::to_string(entry.data.size()) + "}";
    }
    paths += "]}";
    const std::string index = R"({"name": ")" + name +
                              R"(", "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "noarch"})";
    return {tar_file("info/index.json", index), tar_file("info/paths.json", paths)};
}

namespace {

la_ssize_t append_to_string(archive*, void* client, const void* buffer, size_t length) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}

void check(archive* writer, int status) {
    if (status < ARCHIVE_WARN) throw std::runtime_error(archive_error_string(writer));
}

void write_entry(archive* writer, const TestEntry& entry) {
    archive_entry* header = archive_entry_new();
    archive_entry_set_pathname(header, entry.path.c_str());
    archive_entry_set_perm(header, entry.mode);
    archive_entry_set_mtime(header, entry.mtime, 0);
    archive_entry_set_size(header, 0);
    switch (entry.type) {
        case TestEntry::Type::File:
            archive_entry_set_filetype(header, AE_IFREG);
            archive_entry_set_size(header, static_cast<la_int64_t>(entry.data.size()));
            break;
        case TestEntry::Type::Directory: archive_entry_set_filetype(header, AE_IFDIR); break;
        case TestEntry::Type::Symlink:
            archive_entry_set_filetype(header, AE_IFLNK);
            archive_entry_set_symlink(header, entry.target.c_str());
            break;
        case TestEntry::Type::Hardlink:
            archive_entry_set_filetype(header, AE_IFREG);
            archive_entry_set_hardlink(header, entry.target.c_str());
            break;
        case TestEntry::Type::CharDevice:
            archive_entry_set_filetype(header, AE_IFCHR);
            archive_entry_set_rdev(header, 0x0103);
            break;
        case TestEntry::Type::BlockDevice:
            archive_entry_set_filetype(header, AE_IFBLK);
            archive_entry_set_rdev(header, 0x0801);
            break;
        case TestEntry::Type::Fifo: archive_entry_set_filetype(header, AE_IFIFO); break;
    }
    check(writer, archive_write_header(writer, header));
    if (entry.type == TestEntry::Type::File && !entry.data.empty())
        if (archive_write_data(writer, entry.data.data(), entry.data.size()) < 0)
            throw std::runtime_error(archive_error_string(writer));
    archive_entry_free(header);
}

}  // namespace

std::string make_tar(const std::vector<TestEntry>& entries, Compression compression) {
    std::string out;
    archive* writer = archive_write_new();
    check(writer, archive_write_set_format_gnutar(writer));
    if (compression == Compression::Bzip2) check(writer, archive_write_add_filter_bzip2(writer));
    if (compression == Compression::Zstd) check(writer, archive_write_add_filter_zstd(writer));
    check(writer, archive_write_set_bytes_in_last_block(writer, 1));
    check(writer, archive_write_open(writer, &out, nullptr, append_to_string, nullptr));
    for (const auto& entry : entries) write_entry(writer, entry);
    check(writer, archive_write_close(writer));
    archive_write_free(writer);
    return out;
}

std::string make_tar_bz2(const std::vector<TestEntry>& entries) { return make_tar(entries, Compression::Bzip2); }

std::string make_zip(const std::vector<ZipMember>& members) {
    std::string out;
    archive* writer = archive_write_new();
    check(writer, archive_write_set_format_zip(writer));
    check(writer, archive_write_set_bytes_in_last_block(writer, 1));
    check(writer, archive_write_open(writer, &out, nullptr, append_to_string, nullptr));
    for (const auto& member : members) {
        check(writer, member.deflate ? archive_write_zip_set_compression_deflate(writer)
                                     : archive_write_zip_set_compression_store(writer));
        archive_entry* header = archive_entry_new();
        archive_entry_set_pathname(header, member.name.c_str());
        archive_entry_set_filetype(header, AE_IFREG);
        archive_entry_set_perm(header, 0644);
        archive_entry_set_size(header, static_cast<la_int64_t>(member.data.size()));
        check(writer, archive_write_header(writer, header));
        if (archive_write_data(writer, member.data.data(), member.data.size()) < 0)
            throw std::runtime_error(archive_error_string(writer));
        archive_entry_free(header);
    }
    check(writer, archive_write_close(writer));
    archive_write_free(writer);
    return out;
}

std::string make_conda(const std::string& stem, const std::vector<TestEntry>& info, const std::vector<TestEntry>& payload) {
    return make_zip({{"metadata.json", R"({"conda_pkg_format_version": 2})"},
                     {"info-" + stem + ".tar.zst", make_tar(info, Compression::Zstd)},
                     {"pkg-" + stem + ".tar.zst", make_tar(payload, Compression::Zstd)}});
}

void write_binary(const fs::path& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> snapshot(const fs::path& root) {
    std::vector<std::string> listing;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto status = it->symlink_status();
        std::string type = fs::is_symlink(status) ? "link" : fs::is_directory(status) ? "dir" : "file";
        std::string size = fs::is_regular_file(status) ? std::to_string(fs::file_size(it->path())) : "-";
        listing.push_back(fs::relative(it->path(), root).string() + " " + type + " " + size);
    }
    std::sort(listing.begin(), listing.end());
    return listing;
}

}  // namespace envctl::test
