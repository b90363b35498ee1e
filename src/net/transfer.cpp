#include "transfer.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::net::detail {

namespace fs = std::filesystem;

namespace {
Error io_error(std::string message) {
    return Error{ErrorKind::Io, std::move(message), std::nullopt, {}};
}

// Reserves room for a body. Large buffers ask for transparent huge pages: first-touch page
// faults dominate filling hundreds of MB (repodata), and 2 MB pages take 512 times fewer.
void reserve_memory(std::string& buffer, std::uint64_t size) {
    constexpr std::uintptr_t huge_page = 2u << 20;
    buffer.reserve(size);
    if (size < 16 * huge_page) return;
    const auto start = reinterpret_cast<std::uintptr_t>(buffer.data());
    const auto aligned = (start + huge_page - 1) & ~(huge_page - 1);
    const auto end = (start + buffer.capacity()) & ~(huge_page - 1);
    if (end > aligned) ::madvise(reinterpret_cast<void*>(aligned), end - aligned, MADV_HUGEPAGE);
}
}  // namespace

Transfer::Transfer(std::size_t index, TransferRequest request, const NetworkOptions& options)
    : index_(index), request_(std::move(request)), options_(options), shown_url_(redact_url(request_.url)) {
    const auto parts = parse_url(request_.url);
    is_file_url_ = parts && to_lower(parts->scheme) == "file";
}

Transfer::~Transfer() { discard(); }

std::uint64_t Transfer::total() const {
    if (request_.expected_size) return *request_.expected_size;
    return announced_total_;
}

Status Transfer::start_attempt() {
    ++attempts_;
    headers_ = ResponseHeaders{};
    body_started_ = false;
    discard_body_ = false;
    abort_error_.reset();
    if (received_ > 0 && server_resumes_) {
        range_start_ = received_;
        if_range_ = validator_;
        return {};
    }
    range_start_ = 0;
    if_range_.clear();
    return restart_body();
}

Status Transfer::restart_body() {
    if (received_ > 0) {
        if (auto* to_sink = std::get_if<ToSink>(&request_.destination)) {
            if (!to_sink->sink.restart)
                return fail(ErrorKind::Network,
                            fmt::format("cannot download {}: the transfer was interrupted and the server cannot resume it",
                                        shown_url_));
            if (auto restarted = to_sink->sink.restart(); !restarted) return restarted;
        }
    }
    received_ = 0;
    memory_.clear();
    if (fd_ >= 0 && ::ftruncate(fd_, 0) != 0)
        return fail(io_error(fmt::format("cannot truncate {}: {}", temporary_.string(), std::strerror(errno))));
    if (fd_ >= 0 && ::lseek(fd_, 0, SEEK_SET) != 0)
        return fail(io_error(fmt::format("cannot seek in {}: {}", temporary_.string(), std::strerror(errno))));
    sha256_.reset();
    md5_.reset();
    if (!request_.expected_sha256.empty() || request_.compute_sha256) sha256_.emplace(HashAlgorithm::Sha256);
    if (!request_.expected_md5.empty()) md5_.emplace(HashAlgorithm::Md5);
    return {};
}

Status Transfer::open_temporary() {
    const auto* to_file = std::get_if<ToFile>(&request_.destination);
    if (!to_file || fd_ >= 0) return {};
    if (to_file->path.has_parent_path()) {
        if (auto made = ensure_directory(to_file->path.parent_path()); !made) return made;
    }
    temporary_ = temporary_sibling(to_file->path);
    fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        const int saved = errno;
        temporary_.clear();
        return fail(io_error(fmt::format("cannot create a file next to {}: {}", to_file->path.string(), std::strerror(saved))));
    }
    return {};
}

bool Transfer::begin_body(long status) {
    body_started_ = true;
    if (!is_file_url_ && (status < 200 || status > 299)) {
        discard_body_ = true;  // an error page: only the status matters
        return true;
    }
    const bool continues = range_start_ > 0 && status == 206 && headers_.range_start == range_start_;
    auto fail_with = [this](Error error) {
        abort_error_ = std::move(error);
        return false;
    };
    if (!continues && status == 206 && headers_.range_start.value_or(0) != 0)
        return fail_with(Error{ErrorKind::Network,
                               fmt::format("cannot download {}: the server sent a part of the file that was not asked for",
                                           shown_url_),
                               std::nullopt,
                               {}});
    if (continues) {
        resumed = true;
        body_start_ = range_start_;
    } else {
        body_start_ = 0;
        if (auto restarted = restart_body(); !restarted) return fail_with(restarted.error());
    }
    if (!is_file_url_) {
        server_resumes_ = !headers_.encoded() && (headers_.accept_ranges == "bytes" || status == 206);
        const bool strong_etag = !headers_.etag.empty() && !headers_.etag.starts_with("W/");
        validator_ = strong_etag ? headers_.etag : headers_.last_modified;
    }
    if (!headers_.encoded() && headers_.content_length) {
        announced_total_ = body_start_ + *headers_.content_length;
        if (request_.expected_size && announced_total_ != *request_.expected_size)
            return fail_with(integrity_error(fmt::format("the server announces {} bytes, expected {}", announced_total_,
                                                         *request_.expected_size)));
        if (std::holds_alternative<ToMemory>(request_.destination)) reserve_memory(memory_, announced_total_);
    }
    if (auto opened = open_temporary(); !opened) return fail_with(opened.error());
    return true;
}

bool Transfer::write(std::string_view bytes) {
    if (discard_body_) return true;
    if (request_.expected_size && received_ + bytes.size() > *request_.expected_size) {
        abort_error_ = integrity_error(fmt::format("the body is larger than the expected {} bytes", *request_.expected_size));
        return false;
    }
    if (sha256_) sha256_->update(bytes);
    if (md5_) md5_->update(bytes);
    if (auto stored = store(bytes); !stored) {
        abort_error_ = stored.error();
        return false;
    }
    received_ += bytes.size();
    return true;
}

Status Transfer::store(std::string_view bytes) {
    return std::visit(
        [&](auto& destination) -> Status {
            using T = std::decay_t<decltype(destination)>;
            if constexpr (std::is_same_v<T, ToMemory>) {
                memory_.append(bytes);
            } else if constexpr (std::is_same_v<T, ToSink>) {
                return destination.sink.write(bytes);
            } else {
                while (!bytes.empty()) {
                    const auto n = ::write(fd_, bytes.data(), bytes.size());
                    if (n < 0) {
                        if (errno == EINTR) continue;
                        return fail(io_error(fmt::format("cannot write {}: {}", temporary_.string(), std::strerror(errno))));
                    }
                    bytes.remove_prefix(static_cast<std::size_t>(n));
                }
            }
            return {};
        },
        request_.destination);
}

std::optional<std::string> Transfer::truncation() const {
    if (is_file_url_ || headers_.encoded() || !headers_.content_length || discard_body_) return std::nullopt;
    const auto expected = body_start_ + *headers_.content_length;
    if (received_ >= expected) return std::nullopt;
    return fmt::format("the body was truncated ({} of {} bytes)", received_, expected);
}

Error Transfer::integrity_error(std::string what) const {
    return Error{ErrorKind::Integrity, fmt::format("download of {} failed verification: {}", shown_url_, what),
                 std::nullopt, {}};
}

Result<TransferResult> Transfer::complete(long status) {
    auto failed = [this](Error error) {
        discard();
        return fail(std::move(error));
    };
    if (!body_started_) {  // an empty body
        if (auto opened = open_temporary(); !opened) return failed(opened.error());
    }
    TransferResult result;
    if (request_.expected_size && received_ != *request_.expected_size)
        return failed(integrity_error(fmt::format("expected {} bytes, got {}", *request_.expected_size, received_)));
    if (sha256_) result.sha256 = sha256_->hex_digest();
    if (!request_.expected_sha256.empty() && result.sha256 != to_lower(request_.expected_sha256))
        return failed(integrity_error(
            fmt::format("sha256 mismatch: expected {}, got {}", to_lower(request_.expected_sha256), result.sha256)));
    if (md5_) {
        const auto md5 = md5_->hex_digest();
        if (md5 != to_lower(request_.expected_md5))
            return failed(integrity_error(fmt::format("md5 mismatch: expected {}, got {}", to_lower(request_.expected_md5), md5)));
    }
    if (const auto* to_file = std::get_if<ToFile>(&request_.destination)) {
        if (options_.fsync_files && ::fsync(fd_) != 0)
            return failed(io_error(fmt::format("cannot flush {}: {}", temporary_.string(), std::strerror(errno))));
        const int closed = ::close(fd_);
        fd_ = -1;
        if (closed != 0)
            return failed(io_error(fmt::format("cannot close {}: {}", temporary_.string(), std::strerror(errno))));
        if (::rename(temporary_.c_str(), to_file->path.c_str()) != 0)
            return failed(io_error(fmt::format("cannot rename a download into {}: {}", to_file->path.string(),
                                               std::strerror(errno))));
        temporary_.clear();
        result.file = to_file->path;
    } else if (std::holds_alternative<ToMemory>(request_.destination)) {
        result.body = std::move(memory_);
        memory_.clear();
    }
    result.url = shown_url_;
    result.status = status;
    result.etag = headers_.etag;
    result.last_modified = headers_.last_modified;
    result.cache_control = headers_.cache_control;
    result.content_type = headers_.content_type;
    result.bytes = received_;
    result.attempts = attempts_;
    result.resumed = resumed;
    return result;
}

void Transfer::discard() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
    if (!temporary_.empty()) {
        ::unlink(temporary_.c_str());
        temporary_.clear();
    }
    memory_.clear();
    memory_.shrink_to_fit();
    received_ = 0;
}

}  // namespace envctl::net::detail
