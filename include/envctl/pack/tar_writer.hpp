#pragma once
// Deterministic tar streams: the bytes depend only on the entries given, never on the clock,
// the user or the umask. Every entry is owned by uid/gid 0 with empty owner names, has the
// same mtime (SOURCE_DATE_EPOCH or 0), and a normalised mode: directories 0755, symlinks 0777,
// files 0755 when executable else 0644. The caller adds entries in the order it wants them
// (sorted by path for reproducible archives). Format: POSIX pax, extended headers only when a
// path or link target does not fit ustar.
//
//   auto sha = pack::Sha256Sink(file_sink);
//   auto gzip = pack::make_compressor(pack::Compression::Gzip, sha.sink());
//   auto tar = pack::TarWriter::open((*gzip)->sink(), pack::source_date_epoch());
//   (*tar)->add_file("bin/tool", "#!/bin/sh\n", true);
//   (*tar)->finish(); (*gzip)->finish();
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "envctl/util/hash.hpp"
#include "envctl/util/result.hpp"

struct archive;  // libarchive

namespace envctl::pack {

// Where bytes go next: a file, a hasher, a compressor.
using ByteSink = std::function<Status(std::string_view)>;

// The timestamp of every entry: $SOURCE_DATE_EPOCH when it is a non-negative integer, else 0.
std::int64_t source_date_epoch();

enum class Compression { None, Gzip, Zstd };

// A streaming compressor in front of `next`. Gzip output has no file name and a zero
// timestamp, so equal input gives equal bytes.
class Compressor {
public:
    virtual ~Compressor() = default;
    virtual Status write(std::string_view data) = 0;
    virtual Status finish() = 0;  // flushes the end of the stream into `next`
    ByteSink sink() {
        return [this](std::string_view data) { return write(data); };
    }
};
// `level` 0 picks the default (gzip 6, zstd 3).
Result<std::unique_ptr<Compressor>> make_compressor(Compression compression, ByteSink next, int level = 0);

// Counts and hashes (SHA-256) the bytes that pass through on their way to `next` (which may be empty).
class Sha256Sink {
public:
    explicit Sha256Sink(ByteSink next = {}) : next_(std::move(next)) {}
    Sha256Sink(const Sha256Sink&) = delete;
    Sha256Sink& operator=(const Sha256Sink&) = delete;
    ByteSink sink() {
        return [this](std::string_view data) { return write(data); };
    }
    Status write(std::string_view data);
    std::string hex_digest() { return hasher_.hex_digest(); }
    std::uint64_t size() const { return size_; }

private:
    ByteSink next_;
    Hasher hasher_{HashAlgorithm::Sha256};
    std::uint64_t size_ = 0;
};

// Appends to an open file descriptor-backed file, created (truncated) by open().
class FileSink {
public:
    static Result<std::unique_ptr<FileSink>> open(const std::filesystem::path& file);
    ~FileSink();
    FileSink(const FileSink&) = delete;
    FileSink& operator=(const FileSink&) = delete;
    ByteSink sink() {
        return [this](std::string_view data) { return write(data); };
    }
    Status write(std::string_view data);
    Status close();  // fsyncs and closes; later writes fail

private:
    FileSink(std::filesystem::path file, int fd) : file_(std::move(file)), fd_(fd) {}
    std::filesystem::path file_;
    int fd_ = -1;
};

class TarWriter {
public:
    static Result<std::unique_ptr<TarWriter>> open(ByteSink sink, std::int64_t mtime);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    // `path` is relative, '/'-separated, without a trailing slash.
    Status add_directory(std::string_view path);
    Status add_file(std::string_view path, std::string_view data, bool executable);
    // Streams `source` into the archive; returns the SHA-256 of the bytes written. Fails when
    // the file changes size while it is read.
    Result<std::string> add_file_from(std::string_view path, const std::filesystem::path& source, bool executable);
    Status add_symlink(std::string_view path, std::string_view target);
    // Writes the end-of-archive blocks. Nothing may be added afterwards.
    Status finish();

    // Called by libarchive: the first error a sink reported.
    Status consume(std::string_view data);

private:
    explicit TarWriter(ByteSink sink, std::int64_t mtime) : sink_(std::move(sink)), mtime_(mtime) {}
    Status write_header(std::string_view path, unsigned type, unsigned mode, std::uint64_t size,
                        std::string_view link_target);
    Status archive_error(std::string_view what, std::string_view path);

    ByteSink sink_;
    std::int64_t mtime_ = 0;
    ::archive* archive_ = nullptr;
    std::string sink_error_;
    ErrorKind sink_error_kind_ = ErrorKind::Io;
    bool finished_ = false;
};

}  // namespace envctl::pack
