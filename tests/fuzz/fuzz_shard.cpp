// libFuzzer target: msgpack bytes as a CEP 16 shard index and as a shard; decoding must fail
// cleanly or give a store whose records read back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/repodata/msgpack.hpp"

using namespace envctl::repodata;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    if (auto index = decode_shard_index(bytes)) {
        for (const auto& [name, hash] : index->shards)
            if (index->find(name) == nullptr) __builtin_trap();
    }
    StoreBuilder builder;
    std::vector<std::string> names;
    if (decode_shard(bytes, builder, {}, &names)) {
        auto store = builder.finish_in_memory(0);
        if (!store) __builtin_trap();
        for (std::size_t i = 0; i < store->size(); ++i)
            (void)store->materialize(i, {"https://example.com/c", "https://example.com/c/noarch"});
    }
    msgpack::Reader reader(bytes);
    while (!reader.at_end() && reader.skip()) {
    }
    return 0;
}
