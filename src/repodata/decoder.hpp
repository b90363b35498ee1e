#pragma once
// Streaming decompression (zstd, bzip2, or none) of a repodata body straight into the JSON
// parser's buffer: compressed chunks in, parsed records out, nothing held whole.
#include <memory>
#include <string>
#include <string_view>

#include "envctl/repodata/parse.hpp"
#include "envctl/util/result.hpp"

namespace envctl::repodata::detail {

enum class Compression { None, Zstd, Bzip2 };

// "repodata.json.zst" -> Zstd, "repodata.json.bz2" -> Bzip2, else None.
Compression compression_of(std::string_view file_name);

class BodyDecoder {
public:
    BodyDecoder(Compression compression, JsonStreamParser& parser);
    BodyDecoder(BodyDecoder&&) noexcept;
    BodyDecoder& operator=(BodyDecoder&&) noexcept;
    ~BodyDecoder();

    // Decompresses and parses the next compressed bytes. Corrupt data is ErrorKind::Integrity.
    Status feed(std::string_view compressed);
    // The compressed stream must have ended cleanly; then the parser finishes the document.
    Status finish();
    // Starts over (a download restarting from byte 0); the parser is reset too.
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The same, with decompression on the calling thread and parsing on a worker thread, handing
// over decompressed blocks through a small bounded queue: the two halves overlap on two cores.
class PipelinedDecoder {
public:
    PipelinedDecoder(Compression compression, JsonStreamParser& parser);
    PipelinedDecoder(const PipelinedDecoder&) = delete;
    PipelinedDecoder& operator=(const PipelinedDecoder&) = delete;
    ~PipelinedDecoder();

    Status feed(std::string_view compressed);
    Status finish();
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Decodes a whole compressed document in memory (tests, small files).
Result<std::string> decompress_all(Compression compression, std::string_view data, std::size_t max_size);

}  // namespace envctl::repodata::detail
