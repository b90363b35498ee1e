#pragma once
// A small msgpack reader (the subset CEP 16 shards use, plus everything needed to skip the
// rest) and the decoding of shard indexes and shards. Hostile input fails cleanly: every read
// is bounds-checked and skipping is iterative, so deep nesting cannot exhaust the stack.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/repodata/builder.hpp"
#include "envctl/util/result.hpp"

namespace envctl::repodata {

namespace msgpack {

enum class Type { Nil, Bool, Unsigned, Signed, Float, String, Binary, Array, Map, Extension };

struct Value {
    Type type = Type::Nil;
    bool boolean = false;
    std::uint64_t unsigned_value = 0;
    std::int64_t signed_value = 0;
    double float_value = 0;
    std::string_view bytes;   // String, Binary, Extension payload
    std::uint32_t count = 0;  // Array items, Map pairs (the children follow)
};

class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}
    // The next value's header (and the bytes of strings/binaries). Fails at the end of data or
    // on a malformed header.
    Result<Value> next();
    // Skips one whole value, children included.
    Status skip();
    bool at_end() const { return position_ >= data_.size(); }
    std::size_t position() const { return position_; }

private:
    Result<std::string_view> take(std::size_t size);
    std::string_view data_;
    std::size_t position_ = 0;
};

}  // namespace msgpack

struct ShardIndex {
    std::string subdir;
    std::string base_url;         // CEP 15/16 base URL of archives, as written (may be relative)
    std::string shards_base_url;  // where shards live, relative to the index URL, as written
    // name -> sha256 of the shard file, sorted by name.
    std::vector<std::pair<std::string, std::array<std::uint8_t, 32>>> shards;

    const std::array<std::uint8_t, 32>* find(std::string_view name) const;
};

// Decodes a (decompressed) repodata_shards.msgpack document. Hashes may be binary (CEP 16) or
// hex strings (seen in the wild).
Result<ShardIndex> decode_shard_index(std::string_view data);

// Adds the records of a (decompressed) shard to `builder`; invalid records are skipped with a
// warning. With `dependency_names`, the name of every depends entry is appended to it.
Status decode_shard(std::string_view data, StoreBuilder& builder,
                    const std::function<void(const std::string&)>& on_warning = {},
                    std::vector<std::string>* dependency_names = nullptr);

}  // namespace envctl::repodata
