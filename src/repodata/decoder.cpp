#include "decoder.hpp"

#include <bzlib.h>
#include <zstd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

namespace envctl::repodata::detail {

namespace {

constexpr std::size_t kChunk = 1 << 20;

Error corrupt(std::string_view format, std::string_view what) {
    return Error{ErrorKind::Integrity, fmt::format("the {} data is corrupt: {}", format, what), std::nullopt,
                 {"the download may have been damaged: run the command again; if it persists, the channel serves a "
                  "broken file (set repodata_use_zst to false to use repodata.json instead)"}};
}

}  // namespace

Compression compression_of(std::string_view file_name) {
    if (file_name.ends_with(".zst")) return Compression::Zstd;
    if (file_name.ends_with(".bz2")) return Compression::Bzip2;
    return Compression::None;
}

struct BodyDecoder::Impl {
    Compression compression;
    JsonStreamParser& parser;
    ZSTD_DCtx* zstd = nullptr;
    std::size_t zstd_pending = 0;  // last ZSTD_decompressStream result: 0 at a frame end
    bool zstd_started = false;
    bz_stream bzip{};
    bool bzip_open = false;
    bool bzip_ended = false;

    Impl(Compression c, JsonStreamParser& p) : compression(c), parser(p) { open(); }
    ~Impl() { close(); }

    void open() {
        if (compression == Compression::Zstd) {
            zstd = ZSTD_createDCtx();
            if (!zstd) throw std::bad_alloc();
        } else if (compression == Compression::Bzip2) {
            open_bzip();
        }
        zstd_pending = 0;
        zstd_started = false;
        bzip_ended = false;
    }
    void open_bzip() {
        bzip = bz_stream{};
        if (BZ2_bzDecompressInit(&bzip, 0, 0) != BZ_OK) throw std::bad_alloc();
        bzip_open = true;
    }
    void close() {
        if (zstd) ZSTD_freeDCtx(zstd);
        zstd = nullptr;
        if (bzip_open) BZ2_bzDecompressEnd(&bzip);
        bzip_open = false;
    }

    Status feed_zstd(std::string_view data) {
        ZSTD_inBuffer input{data.data(), data.size(), 0};
        while (true) {
            auto space = parser.writable(kChunk);
            ZSTD_outBuffer output{space.data(), space.size(), 0};
            const std::size_t result = ZSTD_decompressStream(zstd, &output, &input);
            if (ZSTD_isError(result)) return fail(corrupt("zstd", ZSTD_getErrorName(result)));
            zstd_started = true;
            zstd_pending = result;
            if (output.pos > 0)
                if (auto parsed = parser.commit(output.pos); !parsed) return parsed;
            // Done when the input is used up and the decoder had room to spare.
            if (input.pos == input.size && output.pos < output.size) return {};
        }
    }

    Status feed_bzip(std::string_view data) {
        bzip.next_in = const_cast<char*>(data.data());
        bzip.avail_in = static_cast<unsigned>(data.size());
        while (true) {
            if (bzip_ended) {
                if (bzip.avail_in == 0) return {};
                // Concatenated streams (parallel bzip2): start the next one.
                char* rest = bzip.next_in;
                const unsigned left = bzip.avail_in;
                BZ2_bzDecompressEnd(&bzip);
                bzip_open = false;
                open_bzip();
                bzip_ended = false;
                bzip.next_in = rest;
                bzip.avail_in = left;
            }
            auto space = parser.writable(kChunk);
            bzip.next_out = space.data();
            bzip.avail_out = static_cast<unsigned>(std::min<std::size_t>(space.size(), 1u << 30));
            const unsigned before = bzip.avail_out;
            const int result = BZ2_bzDecompress(&bzip);
            if (result != BZ_OK && result != BZ_STREAM_END) return fail(corrupt("bzip2", fmt::format("error {}", result)));
            const std::size_t produced = before - bzip.avail_out;
            if (produced > 0)
                if (auto parsed = parser.commit(produced); !parsed) return parsed;
            if (result == BZ_STREAM_END) {
                bzip_ended = true;
                continue;
            }
            if (bzip.avail_in == 0 && bzip.avail_out > 0) return {};
        }
    }
};

BodyDecoder::BodyDecoder(Compression compression, JsonStreamParser& parser)
    : impl_(std::make_unique<Impl>(compression, parser)) {}
BodyDecoder::BodyDecoder(BodyDecoder&&) noexcept = default;
BodyDecoder& BodyDecoder::operator=(BodyDecoder&&) noexcept = default;
BodyDecoder::~BodyDecoder() = default;

Status BodyDecoder::feed(std::string_view compressed) {
    switch (impl_->compression) {
        case Compression::Zstd: return impl_->feed_zstd(compressed);
        case Compression::Bzip2: return impl_->feed_bzip(compressed);
        case Compression::None: return impl_->parser.feed(compressed);
    }
    return {};
}

Status BodyDecoder::finish() {
    if (impl_->compression == Compression::Zstd && (!impl_->zstd_started || impl_->zstd_pending != 0))
        return fail(corrupt("zstd", impl_->zstd_started ? "the data ends in the middle of a frame" : "no data"));
    if (impl_->compression == Compression::Bzip2 && !impl_->bzip_ended)
        return fail(corrupt("bzip2", "the data ends in the middle of a stream"));
    return impl_->parser.finish();
}

void BodyDecoder::reset() {
    impl_->close();
    impl_->open();
    impl_->parser.reset();
}

struct PipelinedDecoder::Impl {
    static constexpr std::size_t kBlock = 1 << 20;
    static constexpr std::size_t kQueued = 6;

    Compression compression;
    JsonStreamParser& parser;
    ZSTD_DCtx* zstd = nullptr;
    std::size_t zstd_pending = 0;
    bool zstd_started = false;
    // bzip2 and plain bodies are decoded on the worker (bzip2 is the slow half anyway).
    std::unique_ptr<BodyDecoder> fallback;

    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::string> queue;
    bool closed = false;
    bool abort = false;
    std::optional<Error> worker_error;
    std::thread worker;
    std::string block;

    Impl(Compression c, JsonStreamParser& p) : compression(c), parser(p) { start(); }
    ~Impl() { stop(); }

    void start() {
        if (compression == Compression::Zstd) {
            zstd = ZSTD_createDCtx();
            if (!zstd) throw std::bad_alloc();
        }
        zstd_pending = 0;
        zstd_started = false;
        closed = abort = false;
        worker_error.reset();
        queue.clear();
        worker = std::thread([this] { consume(); });
    }
    void stop() {
        {
            std::lock_guard lock(mutex);
            abort = true;
        }
        changed.notify_all();
        if (worker.joinable()) worker.join();
        if (zstd) ZSTD_freeDCtx(zstd);
        zstd = nullptr;
    }

    void consume() {
        while (true) {
            std::string next;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [this] { return abort || closed || !queue.empty(); });
                if (abort) return;
                if (queue.empty()) return;  // closed and drained
                next = std::move(queue.front());
                queue.pop_front();
            }
            changed.notify_all();
            auto fed = compression == Compression::Zstd ? parser.feed(next) : feed_other(next);
            if (!fed) {
                std::lock_guard lock(mutex);
                worker_error = std::move(fed.error());
                abort = true;
                changed.notify_all();
                return;
            }
        }
    }

    Status feed_other(std::string_view bytes) {
        if (!fallback) fallback = std::make_unique<BodyDecoder>(compression, parser);
        return fallback->feed(bytes);
    }

    Status push(std::string bytes) {
        std::unique_lock lock(mutex);
        changed.wait(lock, [this] { return abort || queue.size() < kQueued; });
        if (worker_error) return fail(*worker_error);
        if (abort) return fail(ErrorKind::Internal, "the repodata parser stopped");
        queue.push_back(std::move(bytes));
        lock.unlock();
        changed.notify_all();
        return {};
    }

    Status feed(std::string_view data) {
        if (compression != Compression::Zstd) return push(std::string(data));
        ZSTD_inBuffer input{data.data(), data.size(), 0};
        while (true) {
            if (block.capacity() < kBlock) block.reserve(kBlock);
            const auto used = block.size();
            block.resize(kBlock);
            ZSTD_outBuffer output{block.data() + used, kBlock - used, 0};
            const std::size_t result = ZSTD_decompressStream(zstd, &output, &input);
            block.resize(used + output.pos);
            if (ZSTD_isError(result)) return fail(corrupt("zstd", ZSTD_getErrorName(result)));
            zstd_started = true;
            zstd_pending = result;
            if (block.size() == kBlock) {
                if (auto pushed = push(std::move(block)); !pushed) return pushed;
                block = std::string();
            }
            if (input.pos == input.size && output.pos < output.size) return {};
        }
    }

    Status finish() {
        if (compression == Compression::Zstd && (!zstd_started || zstd_pending != 0)) {
            stop();
            return fail(corrupt("zstd", zstd_started ? "the data ends in the middle of a frame" : "no data"));
        }
        if (!block.empty()) {
            if (auto pushed = push(std::move(block)); !pushed) return pushed;
            block = std::string();
        }
        {
            std::lock_guard lock(mutex);
            closed = true;
        }
        changed.notify_all();
        worker.join();
        if (worker_error) return fail(*worker_error);
        if (fallback) return fallback->finish();
        return parser.finish();
    }
};

PipelinedDecoder::PipelinedDecoder(Compression compression, JsonStreamParser& parser)
    : impl_(std::make_unique<Impl>(compression, parser)) {}
PipelinedDecoder::~PipelinedDecoder() = default;
Status PipelinedDecoder::feed(std::string_view compressed) { return impl_->feed(compressed); }
Status PipelinedDecoder::finish() { return impl_->finish(); }
void PipelinedDecoder::reset() {
    impl_->stop();
    impl_->fallback.reset();
    impl_->block.clear();
    impl_->parser.reset();
    impl_->start();
}

Result<std::string> decompress_all(Compression compression, std::string_view data, std::size_t max_size) {
    std::string out;
    if (compression == Compression::None) return std::string(data);
    if (compression == Compression::Zstd) {
        std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), ZSTD_freeDCtx);
        ZSTD_inBuffer input{data.data(), data.size(), 0};
        std::size_t pending = 1;
        char chunk[1 << 16];
        while (input.pos < input.size || pending != 0) {
            ZSTD_outBuffer output{chunk, sizeof(chunk), 0};
            pending = ZSTD_decompressStream(context.get(), &output, &input);
            if (ZSTD_isError(pending)) return fail(corrupt("zstd", ZSTD_getErrorName(pending)));
            out.append(chunk, output.pos);
            if (out.size() > max_size) return fail(corrupt("zstd", fmt::format("it expands beyond {} bytes", max_size)));
            if (input.pos == input.size && output.pos == 0 && pending != 0)
                return fail(corrupt("zstd", "the data ends in the middle of a frame"));
        }
        return out;
    }
    bz_stream stream{};
    if (BZ2_bzDecompressInit(&stream, 0, 0) != BZ_OK) throw std::bad_alloc();
    stream.next_in = const_cast<char*>(data.data());
    stream.avail_in = static_cast<unsigned>(data.size());
    char chunk[1 << 16];
    int result = BZ_OK;
    while (result != BZ_STREAM_END) {
        stream.next_out = chunk;
        stream.avail_out = sizeof(chunk);
        result = BZ2_bzDecompress(&stream);
        out.append(chunk, sizeof(chunk) - stream.avail_out);
        if ((result != BZ_OK && result != BZ_STREAM_END) || out.size() > max_size ||
            (result == BZ_OK && stream.avail_in == 0 && stream.avail_out == sizeof(chunk))) {
            BZ2_bzDecompressEnd(&stream);
            return fail(corrupt("bzip2", "invalid or truncated data"));
        }
    }
    BZ2_bzDecompressEnd(&stream);
    return out;
}

}  // namespace envctl::repodata::detail
