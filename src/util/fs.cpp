#include "envctl/util/fs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

namespace envctl {

namespace fs = std::filesystem;

namespace {
std::string random_suffix() {
    static std::atomic<unsigned> counter{0};
    std::random_device device;
    return fmt::format("{}.{:x}{:x}", ::getpid(), device(), counter.fetch_add(1));
}

Error io_error(const std::string& what, const fs::path& path, int error_number) {
    return Error{ErrorKind::Io, fmt::format("{} {}: {}", what, path.string(), std::strerror(error_number)), {}, {}};
}
}  // namespace

Result<std::string> read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(io_error("cannot read", file, errno));
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad()) return fail(io_error("read error in", file, errno));
    return std::move(contents).str();
}

fs::path temporary_sibling(const fs::path& target) {
    return target.parent_path() / fmt::format(".{}.tmp.{}", target.filename().string(), random_suffix());
}

Status write_file_atomic(const fs::path& file, std::string_view contents) {
    const auto temporary = temporary_sibling(file);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(io_error("cannot create", temporary, errno));
    std::size_t written = 0;
    while (written < contents.size()) {
        const auto n = ::write(fd, contents.data() + written, contents.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            return fail(io_error("cannot write", temporary, saved));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        return fail(io_error("cannot flush", temporary, saved));
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        return fail(io_error("cannot rename into", file, saved));
    }
    return {};
}

Status ensure_directory(const fs::path& directory) {
    std::error_code error;
    fs::create_directories(directory, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot create directory {}: {}", directory.string(), error.message()));
    return {};
}

Result<TemporaryDirectory> TemporaryDirectory::create(const fs::path& parent, std::string_view prefix) {
    if (auto made = ensure_directory(parent); !made) return fail(made.error());
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto candidate = parent / fmt::format("{}{}", prefix, random_suffix());
        std::error_code error;
        if (fs::create_directory(candidate, error)) return TemporaryDirectory(std::move(candidate));
        if (error && error != std::errc::file_exists)
            return fail(ErrorKind::Io, fmt::format("cannot create directory {}: {}", candidate.string(), error.message()));
    }
    return fail(ErrorKind::Io, "cannot create a unique temporary directory under " + parent.string());
}

TemporaryDirectory::TemporaryDirectory(TemporaryDirectory&& other) noexcept : path_(other.release()) {}

TemporaryDirectory& TemporaryDirectory::operator=(TemporaryDirectory&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        if (!path_.empty()) fs::remove_all(path_, ignored);
        path_ = other.release();
    }
    return *this;
}

TemporaryDirectory::~TemporaryDirectory() {
    std::error_code ignored;  // best effort: a destructor cannot report
    if (!path_.empty()) fs::remove_all(path_, ignored);
}

fs::path TemporaryDirectory::release() { return std::exchange(path_, {}); }

}  // namespace envctl
