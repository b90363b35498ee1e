// Extraction speed: the real fixture packages, and a generated package of about 100 MB in
// both formats, extracted serially and in parallel threads. For comparison it also times
// reading the same archives without writing anything (decompression and tar parsing only).
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON
//   cmake --build build-bench --target extract_bench
//   build-bench/bench/extract_bench [--size-mb N] [--work DIR]
//
// The generated archives are kept in the work directory (default /tmp/envctl-extract-bench)
// and reused by later runs; extraction goes to the same directory, so its file system is
// what is measured.
#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "envctl/extract/extract.hpp"

namespace fs = std::filesystem;
using namespace envctl::extract;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

la_ssize_t append(archive*, void* client, const void* buffer, size_t length) {
    auto* file = static_cast<std::FILE*>(client);
    return static_cast<la_ssize_t>(std::fwrite(buffer, 1, length, file));
}

// Text that compresses like source code and data files (about 3-4x), plus incompressible
// blocks like stripped binaries, so bzip2 and zstd work as hard as on real packages.
std::string file_contents(std::mt19937_64& random, std::size_t size) {
    static const char* words[] = {"import", "return", "static", "const", "double", "vector", "string", "include",
                                  "namespace", "template", "0x7f3a", "error", "value", "struct", "while", "for"};
    std::string out;
    out.reserve(size);
    while (out.size() < size) {
        if (random() % 400 == 0) {
            for (int i = 0; i < 512 && out.size() < size; ++i) out += static_cast<char>(random() & 0xff);
        } else {
            out += words[random() % 16];
            out += (random() % 6 == 0) ? '\n' : ' ';
        }
    }
    out.resize(size);
    return out;
}

struct Payload {
    std::vector<std::pair<std::string, std::string>> files;
    std::size_t bytes = 0;
};

Payload make_payload(std::size_t total_bytes) {
    std::mt19937_64 random(7);
    Payload payload;
    for (std::size_t i = 0; payload.bytes < total_bytes; ++i) {
        const std::size_t size = i % 10 == 0 ? (4u << 20) : (16u << 10) + random() % (256u << 10);
        auto path = "lib/python3.12/site-packages/benchpkg/module_" + std::to_string(i / 50) + "/file_" +
                    std::to_string(i) + (i % 10 == 0 ? ".so" : ".py");
        payload.bytes += size;
        payload.files.emplace_back(std::move(path), file_contents(random, size));
    }
    return payload;
}

void write_tar(archive* writer, const std::vector<std::pair<std::string, std::string>>& files) {
    for (const auto& [path, data] : files) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, path.c_str());
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0644);
        archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
        archive_write_header(writer, entry);
        archive_write_data(writer, data.data(), data.size());
        archive_entry_free(entry);
    }
}

std::vector<std::pair<std::string, std::string>> info_files(const Payload& payload) {
    std::string paths = R"({"paths_version": 1, "paths": [)";
    for (std::size_t i = 0; i < payload.files.size(); ++i) {
        if (i > 0) paths += ',';
        paths += R"({"_path": ")";
        paths += payload.files[i].first;
        paths += R"(", "path_type": "hardlink", "size_in_bytes": )";
        paths += std::to_string(payload.files[i].second.size());
        paths += '}';
    }
    paths += "]}";
    return {{"info/index.json", R"({"name": "benchpkg", "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "linux-64"})"},
            {"info/paths.json", paths}};
}

// Writes a tarball of `files` through libarchive with one filter into `file`.
void write_tarball(std::FILE* file, const std::vector<std::pair<std::string, std::string>>& files, bool zstd) {
    archive* writer = archive_write_new();
    archive_write_set_format_pax_restricted(writer);
    if (zstd) {
        archive_write_add_filter_zstd(writer);
        archive_write_set_filter_option(writer, "zstd", "compression-level", "19");
        archive_write_set_filter_option(writer, "zstd", "threads", "2");
    } else {
        archive_write_add_filter_bzip2(writer);
    }
    archive_write_set_bytes_in_last_block(writer, 1);  // no zero padding after the compressed stream
    archive_write_open(writer, file, nullptr, append, nullptr);
    write_tar(writer, files);
    archive_write_close(writer);
    archive_write_free(writer);
}

std::string read_whole(const fs::path& file) {
    std::string data(fs::file_size(file), '\0');
    std::FILE* in = std::fopen(file.c_str(), "rb");
    const auto n = std::fread(data.data(), 1, data.size(), in);
    std::fclose(in);
    data.resize(n);
    return data;
}

void generate(const fs::path& work, std::size_t size_mb) {
    const auto tarbz2 = work / "benchpkg-1.0-0.tar.bz2";
    const auto conda = work / "benchpkg-1.0-0.conda";
    const auto stamp = work / ("generated-v2-" + std::to_string(size_mb) + "mb");
    if (fs::exists(tarbz2) && fs::exists(conda) && fs::exists(stamp)) return;
    std::printf("generating a %zu MB package (zstd -19 and bzip2 -9; once)...\n", size_mb);
    std::fflush(stdout);
    const auto payload = make_payload(size_mb << 20);
    const auto info = info_files(payload);
    auto all = info;
    all.insert(all.end(), payload.files.begin(), payload.files.end());
    std::FILE* out = std::fopen(tarbz2.c_str(), "wb");
    write_tarball(out, all, false);
    std::fclose(out);
    for (const auto& [name, files] : {std::pair{"info", info}, std::pair{"pkg", payload.files}}) {
        out = std::fopen((work / (std::string(name) + ".tar.zst")).c_str(), "wb");
        write_tarball(out, files, true);
        std::fclose(out);
    }
    archive* zip = archive_write_new();
    archive_write_set_format_zip(zip);
    archive_write_zip_set_compression_store(zip);
    archive_write_set_bytes_in_last_block(zip, 1);
    out = std::fopen(conda.c_str(), "wb");
    archive_write_open(zip, out, nullptr, append, nullptr);
    const std::string metadata = R"({"conda_pkg_format_version": 2})";
    std::vector<std::pair<std::string, std::string>> members = {
        {"metadata.json", metadata},
        {"info-benchpkg-1.0-0.tar.zst", read_whole(work / "info.tar.zst")},
        {"pkg-benchpkg-1.0-0.tar.zst", read_whole(work / "pkg.tar.zst")}};
    write_tar(zip, members);
    archive_write_close(zip);
    archive_write_free(zip);
    std::fclose(out);
    fs::remove(work / "info.tar.zst");
    fs::remove(work / "pkg.tar.zst");
    std::FILE* mark = std::fopen(stamp.c_str(), "wb");
    std::fclose(mark);
}

struct Timing {
    double seconds = 0;
    std::uint64_t bytes = 0;
};

// Best of `rounds` extractions of `archive`.
Timing time_extract(const fs::path& archive, const fs::path& work, int rounds) {
    Timing best{1e300, 0};
    for (int round = 0; round < rounds; ++round) {
        const auto destination = work / "out" / archive.filename();
        fs::remove_all(destination);
        const auto start = Clock::now();
        const auto result = extract_package(archive, destination);
        const double elapsed = seconds_since(start);
        if (!result) {
            std::fprintf(stderr, "%s: %s\n", archive.c_str(), result.error().message.c_str());
            std::exit(1);
        }
        if (elapsed < best.seconds) best = Timing{elapsed, result->stats.bytes};
        fs::remove_all(destination);
    }
    return best;
}

double time_read_only(const fs::path& archive, int rounds) {
    double best = 1e300;
    for (int round = 0; round < rounds; ++round) {
        const auto start = Clock::now();
        // A .tar.bz2 is decompressed to its end to find the info/ files: that is the
        // decompression and tar parsing cost without any writes.
        (void)read_archive_info_files(archive);
        best = std::min(best, seconds_since(start));
    }
    return best;
}

double megabytes(std::uint64_t bytes) { return static_cast<double>(bytes) / 1e6; }

}  // namespace

int main(int argc, char** argv) {
    std::size_t size_mb = 100;
    fs::path work = "/tmp/envctl-extract-bench";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--size-mb") == 0) size_mb = std::stoul(argv[i + 1]);
        if (std::strcmp(argv[i], "--work") == 0) work = argv[i + 1];
    }
    fs::create_directories(work / "out");
    std::printf("command: %s --size-mb %zu --work %s\n", argv[0], size_mb, work.c_str());
    std::printf("hardware threads: %u\n\n", std::thread::hardware_concurrency());

    const auto fixtures = fs::path(ENVCTL_SHARED_DIR) / "fixtures";
    if (fs::is_directory(fixtures)) {
        std::vector<fs::path> archives;
        for (const char* folder : {"packages", "channels"})
            for (const auto& item : fs::recursive_directory_iterator(fixtures / folder))
                if (item.is_regular_file() && archive_format_of(item.path())) archives.push_back(item.path());
        std::sort(archives.begin(), archives.end());
        double total_seconds = 0;
        std::uint64_t total_bytes = 0;
        for (const auto& archive : archives) {
            const auto timing = time_extract(archive, work, 5);
            total_seconds += timing.seconds;
            total_bytes += timing.bytes;
        }
        std::printf("fixtures: %zu packages, %.2f MB uncompressed, %.1f ms in all, %.2f ms per package, %.0f MB/s\n",
                    archives.size(), megabytes(total_bytes), total_seconds * 1e3, total_seconds * 1e3 / archives.size(),
                    megabytes(total_bytes) / total_seconds);
        for (const char* name : {"channels/conda-format-repo/linux-64/zlib-1.2.11-h7b6447c_3.conda",
                                 "channels/conda-format-repo/linux-64/zlib-1.2.11-h7b6447c_3.tar.bz2",
                                 "packages/rattler/ca-certificates-2024.7.4-hbcca054_0.conda"}) {
            const auto timing = time_extract(fixtures / name, work, 20);
            std::printf("  %-70s %6.2f ms  %6.0f MB/s\n", name, timing.seconds * 1e3,
                        megabytes(timing.bytes) / timing.seconds);
        }
        std::printf("\n");
    } else {
        std::printf("fixtures: skipped, %s is absent\n\n", fixtures.c_str());
    }

    generate(work, size_mb);
    for (const char* name : {"benchpkg-1.0-0.conda", "benchpkg-1.0-0.tar.bz2"}) {
        const auto archive = work / name;
        const auto timing = time_extract(archive, work, 3);
        const double read_only = time_read_only(archive, 3);
        std::printf("%-24s %7.1f MB archive, %7.1f MB out: extract %6.3f s = %6.0f MB/s", name,
                    megabytes(fs::file_size(archive)), megabytes(timing.bytes), timing.seconds,
                    megabytes(timing.bytes) / timing.seconds);
        if (std::string(name).ends_with(".tar.bz2"))
            std::printf("; decompress+parse only %6.3f s = %6.0f MB/s\n", read_only, megabytes(timing.bytes) / read_only);
        else
            std::printf("; info/ only %6.2f ms\n", read_only * 1e3);
    }

    // Parallel: one extraction per thread, all at once.
    const unsigned threads = std::max(2u, std::thread::hardware_concurrency());
    for (const char* name : {"benchpkg-1.0-0.conda", "benchpkg-1.0-0.tar.bz2"}) {
        std::vector<std::thread> workers;
        std::vector<std::uint64_t> bytes(threads);
        const auto start = Clock::now();
        for (unsigned t = 0; t < threads; ++t)
            workers.emplace_back([&, t] {
                const auto destination = work / "out" / ("parallel-" + std::to_string(t));
                fs::remove_all(destination);
                const auto result = extract_package(work / name, destination);
                bytes[t] = result ? result->stats.bytes : 0;
            });
        for (auto& worker : workers) worker.join();
        const double elapsed = seconds_since(start);
        std::uint64_t total = 0;
        for (auto b : bytes) total += b;
        std::printf("%u threads x %-24s %6.3f s = %6.0f MB/s in all\n", threads, name, elapsed,
                    megabytes(total) / elapsed);
        for (unsigned t = 0; t < threads; ++t) fs::remove_all(work / "out" / ("parallel-" + std::to_string(t)));
    }
    return 0;
}
