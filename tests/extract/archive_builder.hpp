#pragma once
// Builds small conda archives in memory with libarchive's writer, including hostile ones
// (names and link targets are written exactly as given), so the extract tests need no
// Python and no fixtures.
#include <filesystem>
#include <string>
#include <vector>

namespace envctl::test {

struct TestEntry {
    enum class Type { File, Directory, Symlink, Hardlink, CharDevice, BlockDevice, Fifo };
    std::string path;
    Type type = Type::File;
    std::string data;    // File contents
    std::string target;  // Symlink / Hardlink target
    unsigned mode = 0644;
    long mtime = 1700000000;
};

TestEntry tar_file(std::string path, std::string data, unsigned mode = 0644);
TestEntry tar_dir(std::string path, unsigned mode = 0755);
TestEntry tar_symlink(std::string path, std::string target);
TestEntry tar_hardlink(std::string path, std::string target);
TestEntry tar_special(std::string path, TestEntry::Type type);

// info/index.json for name-version-build, and info/paths.json listing `payload` files.
std::vector<TestEntry> info_entries(const std::string& name, const std::vector<TestEntry>& payload);

enum class Compression { None, Bzip2, Zstd };
std::string make_tar(const std::vector<TestEntry>& entries, Compression compression);
std::string make_tar_bz2(const std::vector<TestEntry>& entries);

struct ZipMember {
    std::string name;
    std::string data;
    bool deflate = false;
};
std::string make_zip(const std::vector<ZipMember>& members);
// A .conda with metadata.json, info-<stem>.tar.zst and pkg-<stem>.tar.zst.
std::string make_conda(const std::string& stem, const std::vector<TestEntry>& info,
                       const std::vector<TestEntry>& payload);

void write_binary(const std::filesystem::path& file, const std::string& bytes);

// A recursive listing "path type size" of everything below `root`, symlinks not followed.
std::vector<std::string> snapshot(const std::filesystem::path& root);

}  // namespace envctl::test
