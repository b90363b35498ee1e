#pragma once
// Streaming repodata.json parsing: bytes arrive in chunks of any size (from a download or a
// decompressor); a boundary scanner finds each record object of `packages`/`packages.conda`
// and simdjson parses it over a padded window, straight into a StoreBuilder. The document is
// never held whole: memory stays at the size of the largest record plus one chunk.
//
// Quirks handled: `{}` documents, missing `info`, repodata_version 2 base_url, `removed` and
// unknown top-level keys (skipped), old `info` blocks. Records with wrong types, invalid
// versions or oversized fields are skipped and counted (warnings say which); broken JSON is an
// error with the byte offset.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "envctl/repodata/builder.hpp"
#include "envctl/util/result.hpp"

namespace envctl::repodata {

class JsonStreamParser {
public:
    // `on_warning` receives one message per skipped record (at most a few; then a count).
    explicit JsonStreamParser(StoreBuilder& builder, std::function<void(const std::string&)> on_warning = {});
    JsonStreamParser(JsonStreamParser&&) noexcept;
    JsonStreamParser& operator=(JsonStreamParser&&) noexcept;
    ~JsonStreamParser();

    // Parses the next bytes of the document.
    Status feed(std::string_view bytes);
    // Zero-copy feeding: writable space for at least `minimum` bytes, then commit(n) parses
    // the first n bytes written there.
    std::span<char> writable(std::size_t minimum);
    Status commit(std::size_t count);
    // The document must be complete.
    Status finish();
    // Starts over with an empty document (the builder is reset by its owner).
    void reset();

    std::uint64_t records() const;       // records handed to the builder
    std::uint64_t bytes_parsed() const;  // document bytes consumed

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A whole document in memory into a store (tests, small files).
Result<Store> parse_repodata_json(std::string_view json, std::function<void(const std::string&)> on_warning = {});

}  // namespace envctl::repodata
