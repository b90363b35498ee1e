// The libcurl multi loop: queues requests, keeps at most max_parallel transfers in flight,
// retries with backoff (other transfers keep going while one waits), reports progress and
// completions as they happen.
#include "envctl/net/downloader.hpp"

#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "curl_errors.hpp"
#include "finisher.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"
#include "http.hpp"
#include "transfer.hpp"

namespace envctl::net {

using detail::Clock;
using detail::Transfer;

TransferRequest TransferRequest::to_memory(std::string url) {
    TransferRequest request;
    request.url = std::move(url);
    return request;
}

TransferRequest TransferRequest::to_file(std::string url, std::filesystem::path path) {
    TransferRequest request;
    request.url = std::move(url);
    request.destination = ToFile{std::move(path)};
    return request;
}

TransferRequest TransferRequest::to_sink(std::string url, StreamSink sink) {
    TransferRequest request;
    request.url = std::move(url);
    request.destination = ToSink{std::move(sink)};
    return request;
}

bool is_cancellation(const Error& error) {
    return error.kind == ErrorKind::Network && std::string_view(error.message).starts_with(cancelled_message_prefix);
}

namespace {

constexpr long receive_buffer_bytes = 256 * 1024;
constexpr auto progress_interval = std::chrono::milliseconds(100);
constexpr int poll_interval_ms = 100;  // the cancellation latency
constexpr std::size_t finisher_threads = 4;

void initialise_curl_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    });
}

struct SlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// The TCP sockets libcurl has open, with their local ports, so that the socket of a running
// transfer can be found (libcurl 7.x reports CURLINFO_ACTIVESOCKET only once a transfer is done,
// but CURLINFO_LOCAL_PORT while it runs).
struct OpenSockets {
    struct Entry {
        curl_socket_t socket;
        long local_port;  // 0 until looked up (the socket may not be connected yet)
    };
    std::vector<Entry> entries;

    void opened(curl_socket_t socket) {
        closed(socket);  // a descriptor number libcurl closed behind our back and reused
        entries.push_back({socket, 0});
    }
    void closed(curl_socket_t socket) {
        entries.erase(std::remove_if(entries.begin(), entries.end(), [socket](const Entry& e) { return e.socket == socket; }), entries.end());
    }
    curl_socket_t find(long local_port) {
        for (auto& entry : entries) {
            if (entry.local_port == 0) {
                sockaddr_storage address{};
                socklen_t length = sizeof(address);
                if (getsockname(entry.socket, reinterpret_cast<sockaddr*>(&address), &length) != 0) continue;
                if (address.ss_family == AF_INET) entry.local_port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
                else if (address.ss_family == AF_INET6) entry.local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
            }
            if (entry.local_port == local_port) return entry.socket;
        }
        return CURL_SOCKET_BAD;
    }
};

// What libcurl needs to keep alive while an attempt runs, next to its Transfer.
struct Attempt {
    Transfer* transfer = nullptr;
    CURL* easy = nullptr;
    OpenSockets* sockets = nullptr;
    Slist headers;
    char error_buffer[CURL_ERROR_SIZE] = {};
};

int on_socket_open(void* user, curl_socket_t socket, curlsocktype purpose) {
    try {
        if (purpose == CURLSOCKTYPE_IPCXN) static_cast<OpenSockets*>(user)->opened(socket);
    } catch (...) {
        // Out of memory: the socket only misses the quick ACK.
    }
    return CURL_SOCKOPT_OK;
}

int on_socket_close(void* user, curl_socket_t socket) {
    static_cast<OpenSockets*>(user)->closed(socket);
    return close(socket);
}

// At the end of a response's headers, acknowledge them at once. A server that writes the
// headers and the body in separate segments without TCP_NODELAY (Python's http.server, simple
// local indexes) holds the body back (Nagle) until the headers are acknowledged, and on a reused
// keep-alive connection Linux delays that ACK by up to 40 ms: one stall per response. Setting
// TCP_QUICKACK sends a pending ACK now; with any other server it costs at most one small packet.
void acknowledge_headers(CURL* easy, OpenSockets& sockets) {
#ifdef TCP_QUICKACK
    long local_port = 0;
    if (curl_easy_getinfo(easy, CURLINFO_LOCAL_PORT, &local_port) != CURLE_OK || local_port <= 0) return;
    const auto socket = sockets.find(local_port);
    if (socket == CURL_SOCKET_BAD) return;
    const int on = 1;
    (void)setsockopt(socket, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on));  // best effort
#else
    (void)easy;
    (void)sockets;
#endif
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& attempt = *static_cast<Attempt*>(user);
    const std::string_view line(data, size * count);
    try {
        detail::add_header_line(attempt.transfer->headers(), line);
    } catch (...) {
        return 0;
    }
    if ((line == "\r\n" || line == "\n") && !attempt.transfer->is_file_url()) acknowledge_headers(attempt.easy, *attempt.sockets);
    return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& attempt = *static_cast<Attempt*>(user);
    auto& transfer = *attempt.transfer;
    try {
        if (!transfer.body_started()) {
            long status = 0;
            curl_easy_getinfo(attempt.easy, CURLINFO_RESPONSE_CODE, &status);
            if (transfer.is_file_url() && !transfer.headers().content_length) {
                // No headers for file://, but libcurl knows the size: lets memory be reserved.
                curl_off_t length = -1;
                curl_easy_getinfo(attempt.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
                if (length >= 0) transfer.headers().content_length = static_cast<std::uint64_t>(length);
            }
            if (!transfer.begin_body(status)) return 0;
        }
        return transfer.write(std::string_view(data, size * count)) ? size * count : 0;
    } catch (const std::exception& error) {
        return 0;
    }
}

// Milliseconds for libcurl, at least 1 when the value is positive.
long to_ms(double seconds) { return seconds <= 0 ? 0 : std::max(1L, std::lround(seconds * 1000)); }

}  // namespace

struct RunState {
    std::deque<TransferRequest> requests;  // deques: references stay valid while add() appends
    std::deque<std::optional<Result<TransferResult>>> results;
    std::deque<std::size_t> pending;
    std::vector<std::unique_ptr<Transfer>> waiting;  // retries not yet due
    std::vector<std::unique_ptr<Attempt>> active;
    Callbacks callbacks;
    std::size_t finished = 0;
    std::uint64_t finished_bytes = 0;
    std::uint64_t pending_expected_bytes = 0;
    Clock::time_point next_progress{};
};

struct Downloader::Impl {
    NetworkOptions options;
    CURLM* multi = nullptr;
    std::vector<CURL*> idle_handles;
    std::mt19937_64 random{std::random_device{}()};
    RunState* current = nullptr;
    std::unique_ptr<detail::Finisher> finisher;
    OpenSockets sockets;  // outlives curl_multi_cleanup, which closes the last ones

    explicit Impl(NetworkOptions options_in) : options(std::move(options_in)) {
        initialise_curl_once();
        options.max_parallel = std::max<std::size_t>(options.max_parallel, 1);
        multi = curl_multi_init();
        if (!multi) throw std::bad_alloc();
        const auto connections = static_cast<long>(options.max_parallel);
        curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
        curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, connections);
        curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
        curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, connections * 2);
        finisher = std::make_unique<detail::Finisher>(finisher_threads, [this] { curl_multi_wakeup(multi); });
    }

    ~Impl() {
        finisher.reset();  // joins its threads, which wake the multi handle
        for (CURL* easy : idle_handles) curl_easy_cleanup(easy);
        curl_multi_cleanup(multi);
    }

    std::vector<Result<TransferResult>> run(std::vector<TransferRequest> requests, const Callbacks& callbacks);
    std::size_t add(RunState& state, TransferRequest request);

private:
    void start_ready(RunState& state);
    void start(RunState& state, std::unique_ptr<Transfer> transfer);
    void configure(Attempt& attempt);
    void drain_messages(RunState& state);
    void collect_finished(RunState& state);
    bool all_done(const RunState& state) const;
    void attempt_done(RunState& state, std::unique_ptr<Attempt> attempt, CURLcode code);
    void retry(RunState& state, std::unique_ptr<Transfer> transfer, std::string cause);
    void finish(RunState& state, std::unique_ptr<Transfer> transfer, Result<TransferResult> result);
    void finish_unstarted(RunState& state, std::size_t index, Error error);
    void cancel_all(RunState& state);
    void abandon_active(RunState& state);
    void report_progress(RunState& state, bool force);
    Progress overall_progress(const RunState& state) const;
    int poll_timeout_ms(const RunState& state) const;
    std::unique_ptr<Attempt> take_active(RunState& state, Attempt* attempt);
    void release(CURL* easy);
};

std::size_t Downloader::Impl::add(RunState& state, TransferRequest request) {
    const std::size_t index = state.requests.size();
    state.pending_expected_bytes += request.expected_size.value_or(0);
    state.requests.push_back(std::move(request));
    state.results.emplace_back();
    state.pending.push_back(index);
    return index;
}

std::vector<Result<TransferResult>> Downloader::Impl::run(std::vector<TransferRequest> requests,
                                                          const Callbacks& callbacks) {
    RunState state;
    state.callbacks = callbacks;
    for (auto& request : requests) add(state, std::move(request));
    requests.clear();
    current = &state;
    struct Cleanup {
        Impl& impl;
        RunState& state;
        ~Cleanup() {
            impl.abandon_active(state);
            while (impl.finisher->outstanding() > 0) {
                impl.finisher->take();
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            }
            impl.current = nullptr;
        }
    } cleanup{*this, state};

    while (true) {
        if (state.callbacks.cancel && state.callbacks.cancel->cancelled())
            cancel_all(state);  // files being finished still complete
        else
            start_ready(state);
        if (all_done(state)) break;
        int running = 0;
        if (const auto code = curl_multi_perform(multi, &running); code != CURLM_OK)
            throw std::runtime_error(fmt::format("libcurl multi interface failed: {}", curl_multi_strerror(code)));
        const std::size_t finished_before = state.finished;
        drain_messages(state);
        collect_finished(state);
        report_progress(state, false);
        if (all_done(state)) break;
        // Completions free slots: fill them at once instead of waiting for socket activity.
        const bool slots_to_fill = state.finished != finished_before && !state.pending.empty();
        if (!slots_to_fill) curl_multi_poll(multi, nullptr, 0, poll_timeout_ms(state), nullptr);
    }

    std::vector<Result<TransferResult>> out;
    out.reserve(state.results.size());
    for (auto& result : state.results) out.push_back(std::move(*result));
    return out;
}

bool Downloader::Impl::all_done(const RunState& state) const {
    return state.active.empty() && state.waiting.empty() && state.pending.empty() && finisher->outstanding() == 0;
}

void Downloader::Impl::collect_finished(RunState& state) {
    for (auto& finished : finisher->take()) finish(state, std::move(finished.transfer), std::move(finished.result));
}

int Downloader::Impl::poll_timeout_ms(const RunState& state) const {
    if (!state.active.empty() || state.waiting.empty()) return poll_interval_ms;
    const auto now = Clock::now();
    auto earliest = state.waiting.front()->retry_at;
    for (const auto& transfer : state.waiting) earliest = std::min(earliest, transfer->retry_at);
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(earliest - now).count();
    return static_cast<int>(std::clamp<long long>(wait, 0, poll_interval_ms));
}

void Downloader::Impl::start_ready(RunState& state) {
    const auto now = Clock::now();
    for (auto it = state.waiting.begin(); it != state.waiting.end() && state.active.size() < options.max_parallel;) {
        if ((*it)->retry_at <= now) {
            auto transfer = std::move(*it);
            it = state.waiting.erase(it);
            start(state, std::move(transfer));
        } else {
            ++it;
        }
    }
    while (!state.pending.empty() && state.active.size() < options.max_parallel) {
        const std::size_t index = state.pending.front();
        state.pending.pop_front();
        auto& request = state.requests[index];
        state.pending_expected_bytes -= request.expected_size.value_or(0);
        const auto parts = parse_url(request.url);
        const auto scheme = parts ? to_lower(parts->scheme) : std::string();
        if (scheme != "http" && scheme != "https" && scheme != "file") {
            finish_unstarted(state, index,
                             Error{ErrorKind::Input,
                                   fmt::format("cannot download '{}': not an http://, https:// or file:// URL",
                                               redact_url(request.url)),
                                   std::nullopt,
                                   {}});
            continue;
        }
        if (options.offline && scheme != "file") {
            finish_unstarted(state, index,
                             Error{ErrorKind::Network,
                                   fmt::format("cannot download {}: offline mode is on", redact_url(request.url)),
                                   std::nullopt,
                                   {"turn offline mode off (the `offline` setting or ENVCTL_OFFLINE) to use the network"}});
            continue;
        }
        auto transfer = std::make_unique<Transfer>(index, std::move(request), options);
        transfer->started = Clock::now();
        start(state, std::move(transfer));
    }
}

void Downloader::Impl::start(RunState& state, std::unique_ptr<Transfer> transfer) {
    if (auto prepared = transfer->start_attempt(); !prepared) {
        finish(state, std::move(transfer), fail(prepared.error()));
        return;
    }
    auto attempt = std::make_unique<Attempt>();
    attempt->transfer = transfer.release();  // owned by the Attempt until it completes
    attempt->sockets = &sockets;
    if (idle_handles.empty()) {
        attempt->easy = curl_easy_init();
        if (!attempt->easy) throw std::bad_alloc();
    } else {
        attempt->easy = idle_handles.back();
        idle_handles.pop_back();
    }
    configure(*attempt);
    spdlog::debug("GET {}{}", attempt->transfer->shown_url(),
                  attempt->transfer->range_start() ? fmt::format(" (from byte {})", attempt->transfer->range_start()) : "");
    curl_multi_add_handle(multi, attempt->easy);
    state.active.push_back(std::move(attempt));
}

void Downloader::Impl::configure(Attempt& attempt) {
    CURL* easy = attempt.easy;
    const Transfer& transfer = *attempt.transfer;
    const auto& request = transfer.request();
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, &attempt);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &attempt);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &attempt);
    curl_easy_setopt(easy, CURLOPT_SOCKOPTFUNCTION, on_socket_open);
    curl_easy_setopt(easy, CURLOPT_SOCKOPTDATA, attempt.sockets);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, on_socket_close);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, attempt.sockets);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, attempt.error_buffer);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, to_ms(options.connect_timeout_secs));
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options.low_speed_limit));
    curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::ceil(std::max(options.read_timeout_secs, 0.0))));
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, to_ms(options.total_timeout_secs));
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, receive_buffer_bytes);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    if (!options.reuse_connections) curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
    if (request.accept_compressed) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (!options.netrc_file.empty()) {
        std::error_code error;
        if (std::filesystem::is_regular_file(options.netrc_file, error)) {
            curl_easy_setopt(easy, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
            curl_easy_setopt(easy, CURLOPT_NETRC_FILE, options.netrc_file.c_str());
        }
    }
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
    if (!options.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_bundle.c_str());
    if (!options.ca_directory.empty()) curl_easy_setopt(easy, CURLOPT_CAPATH, options.ca_directory.c_str());
    if (const auto proxy = detail::proxy_for(request.url, options.proxy_servers); !proxy.empty())
        curl_easy_setopt(easy, CURLOPT_PROXY, proxy.c_str());
    if (transfer.is_file_url()) curl_easy_setopt(easy, CURLOPT_FILETIME, 1L);

    std::vector<std::string> lines;
    if (!request.if_none_match.empty()) lines.push_back("If-None-Match: " + request.if_none_match);
    if (!request.if_modified_since.empty()) lines.push_back("If-Modified-Since: " + request.if_modified_since);
    if (transfer.range_start() > 0) {
        curl_easy_setopt(easy, CURLOPT_RANGE, fmt::format("{}-", transfer.range_start()).c_str());
        if (!transfer.if_range().empty()) lines.push_back("If-Range: " + transfer.if_range());
    }
    lines.insert(lines.end(), request.headers.begin(), request.headers.end());
    attempt.headers.reset();
    for (const auto& line : lines) {
        auto* appended = curl_slist_append(attempt.headers.get(), line.c_str());
        if (!appended) throw std::bad_alloc();
        (void)attempt.headers.release();  // now owned by `appended`
        attempt.headers.reset(appended);
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, attempt.headers.get());
}

std::unique_ptr<Attempt> Downloader::Impl::take_active(RunState& state, Attempt* attempt) {
    auto it = std::find_if(state.active.begin(), state.active.end(),
                           [attempt](const auto& candidate) { return candidate.get() == attempt; });
    auto owned = std::move(*it);
    state.active.erase(it);
    return owned;
}

void Downloader::Impl::release(CURL* easy) {
    curl_multi_remove_handle(multi, easy);
    curl_easy_reset(easy);
    idle_handles.push_back(easy);
}

void Downloader::Impl::drain_messages(RunState& state) {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
        if (message->msg != CURLMSG_DONE) continue;
        const CURLcode code = message->data.result;
        void* attempt = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &attempt);
        attempt_done(state, take_active(state, static_cast<Attempt*>(attempt)), code);
    }
}

void Downloader::Impl::attempt_done(RunState& state, std::unique_ptr<Attempt> attempt, CURLcode code) {
    std::unique_ptr<Transfer> transfer(attempt->transfer);
    long status = 0;
    curl_easy_getinfo(attempt->easy, CURLINFO_RESPONSE_CODE, &status);
    std::string final_url = transfer->shown_url();
    if (char* effective = nullptr; curl_easy_getinfo(attempt->easy, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
        final_url = redact_url(effective);
    curl_off_t file_time = -1;
    if (transfer->is_file_url()) curl_easy_getinfo(attempt->easy, CURLINFO_FILETIME_T, &file_time);
    const std::string curl_detail = attempt->error_buffer;
    release(attempt->easy);

    if (transfer->abort_error()) {
        auto error = *transfer->abort_error();
        finish(state, std::move(transfer), fail(std::move(error)));
        return;
    }
    if (code != CURLE_OK) {
        const auto cause = detail::describe_curl_error(code, curl_detail);
        if (detail::is_retryable_curl_error(code)) {
            retry(state, std::move(transfer), cause);
        } else {
            auto error = fail(ErrorKind::Network, fmt::format("cannot download {}: {}", transfer->shown_url(), cause));
            finish(state, std::move(transfer), std::move(error));
        }
        return;
    }
    if (transfer->is_file_url() && status == 0) status = 200;
    if (status == 304) {
        TransferResult result;
        result.url = transfer->shown_url();
        result.final_url = final_url;
        result.status = status;
        result.not_modified = true;
        result.etag = transfer->headers().etag;
        result.last_modified = transfer->headers().last_modified;
        result.cache_control = transfer->headers().cache_control;
        result.content_type = transfer->headers().content_type;
        result.attempts = transfer->attempts();
        transfer->discard();
        finish(state, std::move(transfer), std::move(result));
        return;
    }
    if (status >= 200 && status <= 299) {
        if (auto truncated = transfer->truncation()) {
            retry(state, std::move(transfer), *truncated);
            return;
        }
        auto complete = [status, final_url, file_time](Transfer& done) {
            auto result = done.complete(status);
            if (result) {
                result->final_url = final_url;
                if (file_time >= 0) result->last_modified = detail::http_date(file_time);
            }
            return result;
        };
        if (std::holds_alternative<ToFile>(transfer->request().destination)) {
            finisher->submit(std::move(transfer), complete);  // fsync, close and rename off the loop
            return;
        }
        auto result = complete(*transfer);
        finish(state, std::move(transfer), std::move(result));
        return;
    }
    if (status == 416 && transfer->range_start() > 0) {
        transfer->forbid_resume();
        retry(state, std::move(transfer), detail::describe_status(status));
        return;
    }
    if (detail::is_retryable_status(status)) {
        retry(state, std::move(transfer), detail::describe_status(status));
        return;
    }
    Error error{ErrorKind::Network,
                fmt::format("cannot download {}: {}", transfer->shown_url(), detail::describe_status(status)),
                std::nullopt,
                {}};
    if (status == 401 || status == 403)
        error.hints.push_back(
            "give credentials in the URL (https://user:password@host/...), as a token (.../t/<token>/...), "
            "or in your netrc file (netrc_file, $NETRC or ~/.netrc)");
    finish(state, std::move(transfer), fail(std::move(error)));
}

void Downloader::Impl::retry(RunState& state, std::unique_ptr<Transfer> transfer, std::string cause) {
    const int attempts = transfer->attempts();
    if (attempts > options.max_retries) {
        Error error{ErrorKind::Network,
                    fmt::format("cannot download {}: gave up after {} attempt{}; last error: {}", transfer->shown_url(),
                                attempts, attempts == 1 ? "" : "s", cause),
                    std::nullopt,
                    {"check the network connection, proxy settings (proxy_servers, https_proxy) and that the server is up; "
                     "remote_max_retries sets how often envctl retries"}};
        finish(state, std::move(transfer), fail(std::move(error)));
        return;
    }
    const double delay = detail::backoff_delay(attempts, options.backoff_factor, options.max_backoff_secs,
                                               transfer->headers().retry_after_secs, random);
    spdlog::info("{}: {}; retrying in {:.1f} s (attempt {} of {})", transfer->shown_url(), cause, delay, attempts + 1,
                 options.max_retries + 1);
    transfer->retry_at = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(delay));
    state.waiting.push_back(std::move(transfer));
}

void Downloader::Impl::finish(RunState& state, std::unique_ptr<Transfer> transfer, Result<TransferResult> result) {
    const auto seconds = std::chrono::duration<double>(Clock::now() - transfer->started).count();
    if (result) {
        result->seconds = seconds;
        spdlog::debug("{}: {}{} bytes in {:.3f} s, {} attempt(s)", transfer->shown_url(),
                      result->not_modified ? "not modified, " : "", result->bytes, seconds, result->attempts);
        state.finished_bytes += result->bytes;
    } else {
        result.error().message = redact_text(result.error().message);
    }
    transfer->discard();
    const std::size_t index = transfer->index();
    transfer.reset();
    state.results[index] = std::move(result);
    ++state.finished;
    if (state.callbacks.on_progress) {
        Progress progress = overall_progress(state);
        progress.index = index;
        progress.done = progress.total = *state.results[index] ? (*state.results[index])->bytes : 0;
        state.callbacks.on_progress(progress);
    }
    if (state.callbacks.on_complete) state.callbacks.on_complete(index, *state.results[index]);
}

void Downloader::Impl::finish_unstarted(RunState& state, std::size_t index, Error error) {
    auto transfer = std::make_unique<Transfer>(index, std::move(state.requests[index]), options);
    transfer->started = Clock::now();
    finish(state, std::move(transfer), fail(std::move(error)));
}

void Downloader::Impl::cancel_all(RunState& state) {
    auto cancelled = [](const Transfer& transfer) {
        return Error{ErrorKind::Network,
                     fmt::format("{}: download of {} was stopped", cancelled_message_prefix, transfer.shown_url()),
                     std::nullopt,
                     {}};
    };
    while (!state.active.empty()) {
        auto attempt = std::move(state.active.back());
        state.active.pop_back();
        release(attempt->easy);
        std::unique_ptr<Transfer> transfer(attempt->transfer);
        auto error = cancelled(*transfer);
        finish(state, std::move(transfer), fail(std::move(error)));
    }
    for (auto& transfer : state.waiting) {
        auto error = cancelled(*transfer);
        finish(state, std::move(transfer), fail(std::move(error)));
    }
    state.waiting.clear();
    while (!state.pending.empty()) {
        const auto index = state.pending.front();
        state.pending.pop_front();
        auto transfer = std::make_unique<Transfer>(index, std::move(state.requests[index]), options);
        transfer->started = Clock::now();
        auto error = cancelled(*transfer);
        finish(state, std::move(transfer), fail(std::move(error)));
    }
}

// Leaves no handle in the multi and no temporary file when run() ends early (an exception).
void Downloader::Impl::abandon_active(RunState& state) {
    for (auto& attempt : state.active) {
        release(attempt->easy);
        delete attempt->transfer;
    }
    state.active.clear();
}

Progress Downloader::Impl::overall_progress(const RunState& state) const {
    Progress overall;
    overall.count = state.requests.size();
    overall.finished = state.finished;
    overall.overall_done = state.finished_bytes;
    overall.overall_total = state.finished_bytes + state.pending_expected_bytes;
    auto add = [&overall](const Transfer& transfer) {
        overall.overall_done += transfer.received();
        overall.overall_total += std::max(transfer.total(), transfer.received());
    };
    for (const auto& attempt : state.active) add(*attempt->transfer);
    for (const auto& transfer : state.waiting) add(*transfer);
    return overall;
}

void Downloader::Impl::report_progress(RunState& state, bool force) {
    if (!state.callbacks.on_progress) return;
    const auto now = Clock::now();
    if (!force && now < state.next_progress) return;
    state.next_progress = now + progress_interval;
    const Progress overall = overall_progress(state);
    for (const auto& attempt : state.active) {
        Progress progress = overall;
        progress.index = attempt->transfer->index();
        progress.done = attempt->transfer->received();
        progress.total = attempt->transfer->total();
        state.callbacks.on_progress(progress);
    }
}

Downloader::Downloader(NetworkOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Downloader::Downloader(Downloader&&) noexcept = default;
Downloader& Downloader::operator=(Downloader&&) noexcept = default;
Downloader::~Downloader() = default;

std::vector<Result<TransferResult>> Downloader::run(std::vector<TransferRequest> requests, const Callbacks& callbacks) {
    if (impl_->current) throw std::logic_error("Downloader::run() called while it is already running");
    return impl_->run(std::move(requests), callbacks);
}

std::size_t Downloader::add(TransferRequest request) {
    if (!impl_->current) throw std::logic_error("Downloader::add() called outside run()");
    return impl_->add(*impl_->current, std::move(request));
}

Result<TransferResult> Downloader::fetch(TransferRequest request, const Callbacks& callbacks) {
    std::vector<TransferRequest> requests;
    requests.push_back(std::move(request));
    return std::move(run(std::move(requests), callbacks).front());
}

const NetworkOptions& Downloader::options() const { return impl_->options; }

Result<TransferResult> fetch_to_memory(const NetworkOptions& options, std::string url) {
    Downloader downloader(options);
    return downloader.fetch(TransferRequest::to_memory(std::move(url)));
}

}  // namespace envctl::net
