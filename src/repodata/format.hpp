#pragma once
// The binary store layout, shared by the builder (writer) and Store (reader). Everything is
// little-endian and 8-byte aligned; offsets are from the start of the file.
//
//   FileHeader
//   string data        bytes; string i = data[string_offsets[i] .. string_offsets[i+1])
//   string offsets     u32[string_count + 1]            (string 0 is "")
//   list items         u32[list_item_count]             (string ids)
//   list offsets       u32[list_count + 1]              (list 0 is empty)
//   records            RecordData[record_count]         grouped by name, names in byte order
//   names              NameEntry[name_count]            sorted by name bytes
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace envctl::repodata::detail {

inline constexpr char kMagic[8] = {'E', 'N', 'V', 'R', 'D', 'S', 'T', '1'};

enum RecordFlags : std::uint8_t {
    kHasMd5 = 1,
    kHasSha256 = 2,
    kCondaExt = 4,     // fn = name-version-build.conda
    kTarBz2Ext = 8,    // fn = name-version-build.tar.bz2
};

struct RecordData {
    std::uint64_t size;
    std::uint64_t timestamp;
    std::uint64_t build_number;
    std::uint8_t md5[16];
    std::uint8_t sha256[32];
    std::uint32_t name;            // string ids
    std::uint32_t version;
    std::uint32_t build;
    std::uint32_t license;
    std::uint32_t license_family;
    std::uint32_t subdir;
    std::uint32_t fn;              // 0 when derived from name-version-build + extension flag
    std::uint32_t url;
    std::uint32_t python_site_packages_path;
    std::uint32_t depends;         // list ids
    std::uint32_t constrains;
    std::uint32_t track_features;
    std::uint32_t features;
    std::uint8_t noarch;           // conda::NoArchType
    std::uint8_t flags;            // RecordFlags
    std::uint8_t reserved[2];
};
static_assert(sizeof(RecordData) == 128);

struct NameEntry {
    std::uint32_t name;  // string id
    std::uint32_t first;
    std::uint32_t count;
    std::uint32_t reserved;
};

struct FileHeader {
    char magic[8];
    std::uint32_t format_version;
    std::uint32_t header_size;
    std::uint64_t key;
    std::uint64_t file_size;
    std::uint64_t checksum;  // of bytes [header_size, file_size)
    std::uint32_t record_count;
    std::uint32_t name_count;
    std::uint32_t string_count;
    std::uint32_t list_count;
    std::uint64_t list_item_count;
    std::uint64_t string_data_offset;
    std::uint64_t string_data_size;
    std::uint64_t string_offsets_offset;
    std::uint64_t list_items_offset;
    std::uint64_t list_offsets_offset;
    std::uint64_t records_offset;
    std::uint64_t names_offset;
    std::uint32_t info_subdir;  // string ids
    std::uint32_t base_url;
    std::uint32_t repodata_version;
    std::uint32_t skipped_records;
    std::uint64_t reserved[4];
};

inline constexpr std::uint64_t align8(std::uint64_t value) { return (value + 7) & ~std::uint64_t{7}; }

// A fast non-cryptographic 64-bit hash, four independent lanes over 32-byte blocks; used for
// hash tables and the store checksum. Streaming: update() with any split gives one result.
class FastHash {
public:
    explicit FastHash(std::uint64_t seed = 0) {
        for (int i = 0; i < 4; ++i) lanes_[i] = seed + kPrime[i];
    }
    void update(const void* data, std::size_t size) {
        if (size == 0) return;
        auto bytes = static_cast<const unsigned char*>(data);
        total_ += size;
        if (pending_ > 0) {
            const std::size_t take = std::min(size, sizeof(buffer_) - pending_);
            std::memcpy(buffer_ + pending_, bytes, take);
            pending_ += take;
            bytes += take;
            size -= take;
            if (pending_ < sizeof(buffer_)) return;
            block(buffer_);
            pending_ = 0;
        }
        while (size >= 32) {
            block(bytes);
            bytes += 32;
            size -= 32;
        }
        std::memcpy(buffer_, bytes, size);
        pending_ = size;
    }
    std::uint64_t digest() const {
        std::uint64_t h = total_ * kPrime[4];
        for (int i = 0; i < 4; ++i) h = mix(h ^ lanes_[i]);
        for (std::size_t i = 0; i < pending_; ++i) h = mix(h ^ (std::uint64_t{buffer_[i]} + i * kPrime[0]));
        return mix(h);
    }
    static std::uint64_t of(std::string_view text, std::uint64_t seed = 0) {
        FastHash hash(seed);
        hash.update(text.data(), text.size());
        return hash.digest();
    }

private:
    static constexpr std::uint64_t kPrime[5] = {0x9E3779B185EBCA87ULL, 0xC2B2AE3D27D4EB4FULL, 0x165667B19E3779F9ULL,
                                                0x85EBCA77C2B2AE63ULL, 0x27D4EB2F165667C5ULL};
    static std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
    static std::uint64_t mix(std::uint64_t h) {
        h ^= h >> 33;
        h *= kPrime[1];
        h ^= h >> 29;
        h *= kPrime[2];
        h ^= h >> 32;
        return h;
    }
    void block(const unsigned char* bytes) {
        for (int i = 0; i < 4; ++i) {
            std::uint64_t word;
            std::memcpy(&word, bytes + 8 * i, 8);
            lanes_[i] = rotl(lanes_[i] + word * kPrime[1], 31) * kPrime[0];
        }
    }

    std::uint64_t lanes_[4];
    unsigned char buffer_[32] = {};
    std::size_t pending_ = 0;
    std::uint64_t total_ = 0;
};

// A short string hash for hash tables (strings are mostly < 32 bytes).
inline std::uint64_t hash_bytes(const void* data, std::size_t size) {
    auto bytes = static_cast<const unsigned char*>(data);
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (size * 0xff51afd7ed558ccdULL);
    while (size >= 8) {
        std::uint64_t word;
        std::memcpy(&word, bytes, 8);
        h = (h ^ word) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        bytes += 8;
        size -= 8;
    }
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes, size);
    h = (h ^ tail) * 0x94d049bb133111ebULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

}  // namespace envctl::repodata::detail
