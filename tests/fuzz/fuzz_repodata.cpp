// libFuzzer target: repodata.json bytes through the streaming parser into a store (whole and in
// uneven chunks, which must agree), every record read back; and the same bytes as a binary
// store file, which must be refused or read safely.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "envctl/repodata/builder.hpp"
#include "envctl/repodata/parse.hpp"
#include "envctl/repodata/store.hpp"

using namespace envctl::repodata;

namespace {

void read_all(const Store& store) {
    for (std::size_t n = 0; n < store.name_count(); ++n) {
        const auto [first, last] = store.records_of(n);
        if (store.find_name(store.name(n)) != n) __builtin_trap();
        for (auto i = first; i < last; ++i) {
            const auto record = store.record(i);
            if (record.name() != store.name(n)) __builtin_trap();
            for (const auto spec : record.depends()) (void)spec.size();
            (void)store.materialize(i, {"https://example.com/c", "https://example.com/c/linux-64"});
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto whole = parse_repodata_json(text);
    StoreBuilder builder;
    JsonStreamParser parser(builder);
    const std::size_t chunk = 1 + (size % 13);
    envctl::Status status;
    for (std::size_t at = 0; at < size && status; at += chunk) status = parser.feed(text.substr(at, chunk));
    if (status) status = parser.finish();
    if (status.has_value() != whole.has_value()) __builtin_trap();
    if (whole) {
        auto chunked = builder.finish_in_memory(0);
        if (!chunked || chunked->size() != whole->size() || chunked->name_count() != whole->name_count()) __builtin_trap();
        read_all(*whole);
    }
    if (auto store = Store::from_bytes(std::string(text))) read_all(*store);
    return 0;
}
