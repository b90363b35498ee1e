// Feeds arbitrary bytes to the extractor and checks that nothing is ever written outside
// the destination and that every extracted symlink resolves inside it. The first byte picks
// how the rest is used: 0 as a .tar.bz2, 1 as a .conda, 2 as an uncompressed tar that is
// bzip2-compressed here first, so that mutations reach tar headers and entry names directly.
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "envctl/extract/extract.hpp"

namespace fs = std::filesystem;
using namespace envctl::extract;

namespace {

// base/a/b/c/cache/<destination>: an escape of up to four levels lands somewhere watched.
struct Sandbox {
    fs::path base;
    fs::path cache;
    Sandbox() {
        char pattern[] = "/tmp/envctl-fuzz-archive-XXXXXX";
        base = ::mkdtemp(pattern);
        cache = base / "a/b/c/cache";
        fs::create_directories(cache);
    }
};

std::vector<std::string> listing(const fs::path& root) {
    std::vector<std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it)
        out.push_back(it->path().string());
    std::sort(out.begin(), out.end());
    return out;
}

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

void check_symlinks_inside(const fs::path& root) {
    const auto canonical_root = fs::canonical(root);
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        if (!it->is_symlink()) continue;
        std::error_code error;
        const auto resolved = fs::weakly_canonical(it->path(), error);
        if (error) continue;  // a loop: the kernel refuses to resolve it
        const auto relative = resolved.lexically_relative(canonical_root);
        check(!relative.empty() && *relative.begin() != "..", "a symlink resolves outside the package");
    }
}

// bzip2 at level 1 through libarchive's "raw" writer: the bytes become one bzip2 stream.
std::string bzip2(std::span<const std::byte> bytes) {
    std::string out;
    archive* writer = archive_write_new();
    archive_write_set_format_raw(writer);
    archive_write_add_filter_bzip2(writer);
    archive_write_set_filter_option(writer, "bzip2", "compression-level", "1");
    archive_write_set_bytes_in_last_block(writer, 1);
    archive_write_open(writer, &out, nullptr,
                       [](archive*, void* client, const void* buffer, size_t length) -> la_ssize_t {
                           static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
                           return static_cast<la_ssize_t>(length);
                       },
                       nullptr);
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, "raw");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_size(entry, static_cast<la_int64_t>(bytes.size()));
    archive_write_header(writer, entry);
    archive_write_data(writer, bytes.data(), bytes.size());
    archive_entry_free(entry);
    archive_write_close(writer);
    archive_write_free(writer);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Sandbox sandbox;
    static const auto expected = listing(sandbox.base);
    if (size == 0) return 0;
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data) + 1, size - 1);
    const auto mode = data[0] % 3;
    const auto format = mode == 1 ? ArchiveFormat::Conda : ArchiveFormat::TarBz2;
    std::string compressed;
    if (mode == 2) {
        compressed = bzip2(bytes);
        bytes = std::span<const std::byte>(reinterpret_cast<const std::byte*>(compressed.data()), compressed.size());
    }
    ExtractLimits limits;
    limits.max_total_bytes = 16 << 20;
    limits.max_entries = 4096;
    limits.max_metadata_file_bytes = 1 << 20;
    const auto destination = sandbox.cache / "pkg-1.0-0";
    const auto label = std::string("fuzz") + std::string(archive_extension(format));
    const auto extracted = extract_package_from_memory(bytes, format, label, destination, limits);
    if (extracted) {
        check_symlinks_inside(destination);
        fs::remove_all(destination);
    }
    check(listing(sandbox.base) == expected, "something was written outside the destination");
    (void)read_archive_info_files_from_memory(bytes, format, label, limits);
    return 0;
}
