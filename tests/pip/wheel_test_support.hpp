#pragma once
// Builds wheels for the installer tests with libarchive's zip writer, and snapshots prefixes.
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "envctl/pypi/metadata.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

namespace wheel_test {

namespace fs = std::filesystem;

inline std::string record_hash(const std::string& data) {
    return "sha256=" + envctl::pypi::urlsafe_b64_encode_nopad(envctl::from_hex(envctl::sha256_hex(data)).value());
}

struct Member {
    std::string path;
    std::string content;
    unsigned mode = 0644;
    bool symlink = false;  // content is then the link target
};

// A wheel in the making: members at the root (site-packages), .data files, dist-info files.
struct WheelSpec {
    std::string name = "demo";  // escaped form, used in file and folder names
    std::string version = "1.0";
    std::string tags = "py3-none-any";
    std::vector<Member> members;          // root members and anything else, written first
    std::string entry_points;             // entry_points.txt contents, "" for none
    std::string metadata_extra;           // more METADATA headers
    std::string wheel_version = "1.0";    // the WHEEL file's Wheel-Version
    bool write_record = true;
    // Edits the RECORD lines ("path,hash,size") before they are written.
    std::function<void(std::vector<std::string>&)> tamper_record;
    std::vector<Member> unlisted;  // written to the archive but left out of RECORD

    std::string dist_info() const { return name + "-" + version + ".dist-info"; }
    std::string data_dir() const { return name + "-" + version + ".data"; }
    std::string filename() const { return name + "-" + version + "-" + tags + ".whl"; }
};

inline WheelSpec demo_spec(const std::string& version = "1.0") {
    WheelSpec spec;
    spec.version = version;
    spec.members = {
        {"demo/__init__.py", "VERSION = '" + version + "'\ndef main():\n    print('demo " + version + "')\n"},
        {"demo/util.py", "X = 1\n"},
        {"demo/data/table.txt", "a b c\n"},
        {spec.data_dir() + "/scripts/demo-tool", "#!python\nimport demo\ndemo.main()\n", 0755},
        {spec.data_dir() + "/scripts/plain.sh", "#!/bin/sh\necho plain\n", 0755},
        {spec.data_dir() + "/headers/demo.h", "#define DEMO 1\n"},
        {spec.data_dir() + "/data/share/demo/readme.txt", "readme\n"},
        {spec.data_dir() + "/data/demo-data/nested/file.txt", "data\n"},
    };
    if (version != "1.0") spec.members.push_back({"demo/new_in_" + version + ".py", "Y = 2\n"});
    else spec.members.push_back({"demo/only_in_1.py", "Z = 3\n"});
    spec.entry_points = "[console_scripts]\ndemo = demo:main\n\n[gui_scripts]\ndemo-gui = demo:main\n";
    return spec;
}

inline void add_entry(archive* writer, const Member& member) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.path.c_str());
    if (member.symlink) {
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, member.content.c_str());
        archive_entry_set_perm(entry, 0777);
        archive_entry_set_size(entry, 0);
        archive_write_header(writer, entry);
    } else {
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, member.mode);
        archive_entry_set_size(entry, static_cast<la_int64_t>(member.content.size()));
        archive_entry_set_mtime(entry, 1700000000, 0);
        archive_write_header(writer, entry);
        archive_write_data(writer, member.content.data(), member.content.size());
    }
    archive_entry_free(entry);
}

inline fs::path build_wheel(const fs::path& directory, const WheelSpec& spec) {
    fs::create_directories(directory);
    std::vector<Member> members = spec.members;
    const auto dist_info = spec.dist_info();
    members.push_back({dist_info + "/METADATA",
                       "Metadata-Version: 2.1\nName: " + spec.name + "\nVersion: " + spec.version + "\n" +
                           spec.metadata_extra + "\n"});
    members.push_back({dist_info + "/WHEEL", "Wheel-Version: " + spec.wheel_version + "\nGenerator: envctl-tests\nRoot-Is-Purelib: true\nTag: " +
                                                 spec.tags + "\n"});
    if (!spec.entry_points.empty()) members.push_back({dist_info + "/entry_points.txt", spec.entry_points});
    std::vector<std::string> lines;
    for (const auto& member : members)
        lines.push_back(member.path + "," + (member.symlink ? std::string() : record_hash(member.content)) + "," +
                        std::to_string(member.content.size()));
    lines.push_back(dist_info + "/RECORD,,");
    if (spec.tamper_record) spec.tamper_record(lines);
    std::string record;
    for (const auto& line : lines) record += line + "\n";
    if (spec.write_record) members.push_back({dist_info + "/RECORD", record});
    members.insert(members.end(), spec.unlisted.begin(), spec.unlisted.end());

    const auto path = directory / spec.filename();
    archive* writer = archive_write_new();
    archive_write_set_format_zip(writer);
    if (archive_write_open_filename(writer, path.c_str()) != ARCHIVE_OK)
        throw std::runtime_error(archive_error_string(writer));
    for (const auto& member : members) add_entry(writer, member);
    archive_write_close(writer);
    archive_write_free(writer);
    return path;
}

// Every non-directory path under `root` (relative), with its size; directories marked with "/".
inline std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const auto relative = it->path().lexically_relative(root).string();
        if (relative.starts_with("conda-meta/.envctl.lock")) continue;
        if (it->is_directory() && !it->is_symlink()) out[relative + "/"] = "";
        else out[relative] = std::to_string(fs::file_size(it->path()));
    }
    return out;
}

inline std::string slurp(const fs::path& path) {
    auto text = envctl::read_file(path);
    if (!text) throw std::runtime_error(text.error().message);
    return *text;
}

}  // namespace wheel_test
