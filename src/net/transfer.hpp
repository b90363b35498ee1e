#pragma once
// One transfer's state across its attempts: where the body goes (temporary file, memory or a
// sink), on-the-fly hashing and size checks, Range resume bookkeeping and final verification.
// No libcurl here: the downloader feeds it statuses, header lines and body bytes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "envctl/net/downloader.hpp"
#include "envctl/util/hash.hpp"
#include "http.hpp"

namespace envctl::net::detail {

using Clock = std::chrono::steady_clock;

class Transfer {
public:
    Transfer(std::size_t index, TransferRequest request, const NetworkOptions& options);
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;
    ~Transfer();  // removes an unfinished temporary file

    std::size_t index() const { return index_; }
    const TransferRequest& request() const { return request_; }
    const std::string& shown_url() const { return shown_url_; }  // redacted
    bool is_file_url() const { return is_file_url_; }
    int attempts() const { return attempts_; }
    std::uint64_t received() const { return received_; }
    // The whole body's size when known (expected_size, or announced by the server).
    std::uint64_t total() const;

    // Prepares the next attempt: resumes with Range when the server allows it, else starts the
    // body again. Fails when the body cannot be restarted (a sink without restart()).
    Status start_attempt();
    std::uint64_t range_start() const { return range_start_; }
    // The server refused the Range (416): the next attempt starts from byte 0.
    void forbid_resume() { server_resumes_ = false; }
    const std::string& if_range() const { return if_range_; }

    ResponseHeaders& headers() { return headers_; }
    // Called before the first body byte of an attempt (status 0 for file://). False: abort the
    // attempt; abort_error() says why.
    bool begin_body(long status);
    bool body_started() const { return body_started_; }
    bool write(std::string_view bytes);
    const std::optional<Error>& abort_error() const { return abort_error_; }

    // After a 2xx attempt completed: a short body gives the truncation cause (retry).
    std::optional<std::string> truncation() const;
    // Verifies size and hashes and moves the body into place. `status` is the final status.
    Result<TransferResult> complete(long status);
    // Removes any temporary file and forgets the body.
    void discard();

    Clock::time_point started;
    Clock::time_point retry_at;
    bool resumed = false;

private:
    Status restart_body();
    Status open_temporary();
    Status store(std::string_view bytes);
    Error integrity_error(std::string what) const;

    std::size_t index_;
    TransferRequest request_;
    const NetworkOptions& options_;
    std::string shown_url_;
    bool is_file_url_ = false;

    int attempts_ = 0;
    std::uint64_t range_start_ = 0;
    std::string if_range_;
    ResponseHeaders headers_;
    bool body_started_ = false;
    bool discard_body_ = false;
    std::uint64_t body_start_ = 0;  // where this attempt's body begins in the whole body
    std::optional<Error> abort_error_;

    std::uint64_t received_ = 0;
    std::uint64_t announced_total_ = 0;
    bool server_resumes_ = false;
    std::string validator_;  // for If-Range: a strong ETag or Last-Modified
    std::optional<Hasher> sha256_;
    std::optional<Hasher> md5_;
    std::string memory_;
    std::filesystem::path temporary_;
    int fd_ = -1;
};

}  // namespace envctl::net::detail
