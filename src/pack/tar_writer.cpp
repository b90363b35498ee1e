#include "envctl/pack/tar_writer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace envctl::pack {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t chunk_size = 1 << 20;

Error io_error(std::string what, const fs::path& path, int error_number) {
    return Error{ErrorKind::Io, fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number)), {}, {}};
}

class GzipCompressor final : public Compressor {
public:
    GzipCompressor(ByteSink next) : next_(std::move(next)) {}
    ~GzipCompressor() override {
        if (initialised_) deflateEnd(&stream_);
    }
    Status init(int level) {
        // windowBits 15 + 16: a gzip wrapper whose header zlib fills with mtime 0 and no name.
        if (deflateInit2(&stream_, level == 0 ? 6 : level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            return fail(ErrorKind::Internal, "cannot initialise gzip compression");
        initialised_ = true;
        return {};
    }
    Status write(std::string_view data) override { return pump(data, Z_NO_FLUSH); }
    Status finish() override { return pump({}, Z_FINISH); }

private:
    Status pump(std::string_view data, int flush) {
        stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        stream_.avail_in = static_cast<uInt>(data.size());
        std::vector<char> out(chunk_size);
        while (true) {
            stream_.next_out = reinterpret_cast<Bytef*>(out.data());
            stream_.avail_out = static_cast<uInt>(out.size());
            const int status = deflate(&stream_, flush);
            if (status == Z_STREAM_ERROR) return fail(ErrorKind::Internal, "gzip compression failed");
            const auto produced = out.size() - stream_.avail_out;
            if (produced > 0)
                if (auto written = next_(std::string_view(out.data(), produced)); !written) return written;
            if (flush == Z_FINISH ? status == Z_STREAM_END : stream_.avail_in == 0 && stream_.avail_out != 0) break;
        }
        return {};
    }
    ByteSink next_;
    z_stream stream_{};
    bool initialised_ = false;
};

class ZstdCompressor final : public Compressor {
public:
    ZstdCompressor(ByteSink next) : next_(std::move(next)), stream_(ZSTD_createCStream()) {}
    ~ZstdCompressor() override { ZSTD_freeCStream(stream_); }
    Status init(int level) {
        if (stream_ == nullptr || ZSTD_isError(ZSTD_initCStream(stream_, level == 0 ? 3 : level)))
            return fail(ErrorKind::Internal, "cannot initialise zstd compression");
        return {};
    }
    Status write(std::string_view data) override { return pump(data, ZSTD_e_continue); }
    Status finish() override { return pump({}, ZSTD_e_end); }

private:
    Status pump(std::string_view data, ZSTD_EndDirective mode) {
        ZSTD_inBuffer in{data.data(), data.size(), 0};
        std::vector<char> out(chunk_size);
        while (true) {
            ZSTD_outBuffer buffer{out.data(), out.size(), 0};
            const auto remaining = ZSTD_compressStream2(stream_, &buffer, &in, mode);
            if (ZSTD_isError(remaining))
                return fail(ErrorKind::Internal, fmt::format("zstd compression failed: {}", ZSTD_getErrorName(remaining)));
            if (buffer.pos > 0)
                if (auto written = next_(std::string_view(out.data(), buffer.pos)); !written) return written;
            if (mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size) break;
        }
        return {};
    }
    ByteSink next_;
    ZSTD_CStream* stream_;
};

class NullCompressor final : public Compressor {
public:
    NullCompressor(ByteSink next) : next_(std::move(next)) {}
    Status write(std::string_view data) override { return next_(data); }
    Status finish() override { return {}; }

private:
    ByteSink next_;
};

la_ssize_t write_callback(struct archive*, void* client, const void* buffer, size_t length) {
    auto* writer = static_cast<TarWriter*>(client);
    if (!writer->consume(std::string_view(static_cast<const char*>(buffer), length))) return -1;
    return static_cast<la_ssize_t>(length);
}

}  // namespace

std::int64_t source_date_epoch() {
    const char* text = std::getenv("SOURCE_DATE_EPOCH");
    if (text == nullptr || *text == '\0') return 0;
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < 0) return 0;
    return value;
}

Result<std::unique_ptr<Compressor>> make_compressor(Compression compression, ByteSink next, int level) {
    switch (compression) {
        case Compression::Gzip: {
            auto gzip = std::make_unique<GzipCompressor>(std::move(next));
            if (auto ok = gzip->init(level); !ok) return fail(std::move(ok.error()));
            return std::unique_ptr<Compressor>(std::move(gzip));
        }
        case Compression::Zstd: {
            auto zstd = std::make_unique<ZstdCompressor>(std::move(next));
            if (auto ok = zstd->init(level); !ok) return fail(std::move(ok.error()));
            return std::unique_ptr<Compressor>(std::move(zstd));
        }
        case Compression::None: break;
    }
    return std::unique_ptr<Compressor>(std::make_unique<NullCompressor>(std::move(next)));
}

Status Sha256Sink::write(std::string_view data) {
    hasher_.update(data);
    size_ += data.size();
    return next_ ? next_(data) : Status{};
}

Result<std::unique_ptr<FileSink>> FileSink::open(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail(io_error("cannot create", file, errno));
    return std::unique_ptr<FileSink>(new FileSink(file, fd));
}

FileSink::~FileSink() {
    if (fd_ >= 0) ::close(fd_);
}

Status FileSink::write(std::string_view data) {
    if (fd_ < 0) return fail(ErrorKind::Internal, fmt::format("{} is already closed", file_.string()));
    std::size_t written = 0;
    while (written < data.size()) {
        const auto n = ::write(fd_, data.data() + written, data.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(io_error("cannot write", file_, errno));
        }
        written += static_cast<std::size_t>(n);
    }
    return {};
}

Status FileSink::close() {
    const int fd = fd_;
    fd_ = -1;
    if (fd < 0) return {};
    const bool synced = ::fsync(fd) == 0;
    const int saved = errno;
    if (::close(fd) != 0 || !synced) return fail(io_error("cannot write", file_, synced ? errno : saved));
    return {};
}

Result<std::unique_ptr<TarWriter>> TarWriter::open(ByteSink sink, std::int64_t mtime) {
    std::unique_ptr<TarWriter> writer(new TarWriter(std::move(sink), mtime));
    writer->archive_ = archive_write_new();
    if (writer->archive_ == nullptr) return fail(ErrorKind::Internal, "cannot create a tar writer");
    if (archive_write_set_format_pax_restricted(writer->archive_) != ARCHIVE_OK ||
        archive_write_add_filter_none(writer->archive_) != ARCHIVE_OK ||
        archive_write_open(writer->archive_, writer.get(), nullptr, write_callback, nullptr) != ARCHIVE_OK)
        return fail(writer->archive_error("cannot start", "tar stream").error());
    return writer;
}

TarWriter::~TarWriter() {
    if (archive_ != nullptr) archive_write_free(archive_);
}

Status TarWriter::consume(std::string_view data) {
    auto written = sink_(data);
    if (!written) {
        if (sink_error_.empty()) {
            sink_error_ = written.error().message;
            sink_error_kind_ = written.error().kind;
        }
        return written;
    }
    return {};
}

Status TarWriter::archive_error(std::string_view what, std::string_view path) {
    if (!sink_error_.empty()) return fail(sink_error_kind_, sink_error_);
    const char* message = archive_ != nullptr ? archive_error_string(archive_) : nullptr;
    return fail(ErrorKind::Io, fmt::format("{} {}: {}", what, path, message != nullptr ? message : "tar writer failed"));
}

Status TarWriter::write_header(std::string_view path, unsigned type, unsigned mode, std::uint64_t size,
                               std::string_view link_target) {
    if (finished_) return fail(ErrorKind::Internal, "tar stream already finished");
    struct archive_entry* entry = archive_entry_new();
    const std::string name(path);
    archive_entry_set_pathname_utf8(entry, name.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    archive_entry_set_mtime(entry, mtime_, 0);
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    if (type == AE_IFLNK) {
        const std::string target(link_target);
        archive_entry_set_symlink_utf8(entry, target.c_str());
    }
    const int status = archive_write_header(archive_, entry);
    archive_entry_free(entry);
    if (status < ARCHIVE_WARN) return archive_error("cannot add", path);
    return {};
}

Status TarWriter::add_directory(std::string_view path) {
    return write_header(path, AE_IFDIR, 0755, 0, {});
}

Status TarWriter::add_symlink(std::string_view path, std::string_view target) {
    return write_header(path, AE_IFLNK, 0777, 0, target);
}

Status TarWriter::add_file(std::string_view path, std::string_view data, bool executable) {
    if (auto header = write_header(path, AE_IFREG, executable ? 0755 : 0644, data.size(), {}); !header) return header;
    if (!data.empty() && archive_write_data(archive_, data.data(), data.size()) < 0) return archive_error("cannot add", path);
    return {};
}

Result<std::string> TarWriter::add_file_from(std::string_view path, const fs::path& source, bool executable) {
    const int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(io_error("cannot read", source, errno));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) return fail(io_error("cannot read", source, errno));
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (auto header = write_header(path, AE_IFREG, executable ? 0755 : 0644, size, {}); !header)
        return fail(std::move(header.error()));
    Hasher hasher(HashAlgorithm::Sha256);
    std::vector<char> buffer(chunk_size);
    std::uint64_t done = 0;
    while (done < size) {
        const auto n = ::read(fd, buffer.data(), std::min<std::uint64_t>(buffer.size(), size - done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(io_error("cannot read", source, errno));
        if (n == 0) return fail(ErrorKind::Io, fmt::format("{} shrank while it was archived", source.string()));
        hasher.update(buffer.data(), static_cast<std::size_t>(n));
        if (archive_write_data(archive_, buffer.data(), static_cast<std::size_t>(n)) < 0)
            return fail(archive_error("cannot add", path).error());
        done += static_cast<std::uint64_t>(n);
    }
    return hasher.hex_digest();
}

Status TarWriter::finish() {
    if (finished_) return {};
    finished_ = true;
    if (archive_write_close(archive_) != ARCHIVE_OK) return archive_error("cannot finish", "tar stream");
    return {};
}

}  // namespace envctl::pack
