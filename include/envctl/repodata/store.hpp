#pragma once
// The compact record store of one channel subdir: interned strings (names, versions, builds,
// depends/constrains strings, licenses), deduplicated string lists, fixed-size records grouped
// by package name, binary md5/sha256. The serialized form is the in-memory form (offsets, no
// pointers): a warm load maps the cache file and validates it, without parsing anything.
//
// Reads are views (string_view into the store); conda::PackageRecord values are materialised
// only for the records actually used. A Store is immutable and safe to share between threads.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::repodata {

namespace detail {
struct StoreLayout;
struct RecordData;
}  // namespace detail

class Store;

// A list of interned strings (depends, constrains, track_features, features).
class StringList {
public:
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = std::string_view;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = std::string_view;
        iterator() = default;
        iterator(const Store* store, const std::uint32_t* at) : store_(store), at_(at) {}
        std::string_view operator*() const;
        iterator& operator++() {
            ++at_;
            return *this;
        }
        iterator operator++(int) {
            auto copy = *this;
            ++at_;
            return copy;
        }
        friend bool operator==(const iterator& a, const iterator& b) { return a.at_ == b.at_; }

    private:
        const Store* store_ = nullptr;
        const std::uint32_t* at_ = nullptr;
    };

    StringList() = default;
    StringList(const Store* store, const std::uint32_t* begin, const std::uint32_t* end)
        : store_(store), begin_(begin), end_(end) {}
    iterator begin() const { return {store_, begin_}; }
    iterator end() const { return {store_, end_}; }
    std::size_t size() const { return static_cast<std::size_t>(end_ - begin_); }
    bool empty() const { return begin_ == end_; }
    std::string_view operator[](std::size_t index) const { return *iterator(store_, begin_ + index); }
    // The interned string ids (stable within one store; equal ids mean equal strings).
    const std::uint32_t* ids() const { return begin_; }

private:
    const Store* store_ = nullptr;
    const std::uint32_t* begin_ = nullptr;
    const std::uint32_t* end_ = nullptr;
};

// One record of a store, by reference: valid while the store lives.
class RecordView {
public:
    RecordView(const Store& store, const detail::RecordData& data) : store_(&store), data_(&data) {}

    std::string_view name() const;
    std::string_view version() const;
    std::string_view build() const;
    std::uint64_t build_number() const;
    StringList depends() const;
    StringList constrains() const;
    StringList track_features() const;
    StringList features() const;
    conda::NoArchType noarch() const;
    std::string_view subdir() const;  // the record's own, else the subdir's
    std::string_view license() const;
    std::string_view license_family() const;
    std::string_view python_site_packages_path() const;
    std::uint64_t size() const;
    std::uint64_t timestamp() const;  // milliseconds since the epoch, 0 when unknown
    // Binary digests; nullopt when the record has none.
    std::optional<std::array<std::uint8_t, 16>> md5() const;
    std::optional<std::array<std::uint8_t, 32>> sha256() const;
    std::string md5_hex() const;     // empty when unknown
    std::string sha256_hex() const;  // empty when unknown
    // The archive file name (the key in repodata: name-version-build.conda / .tar.bz2).
    std::string fn() const;
    bool is_conda_format() const;  // .conda (else .tar.bz2 or another name)
    // A `url` the record itself carries (credential-free), else empty.
    std::string_view explicit_url() const;
    // Interned ids, for fast equality inside one store.
    std::uint32_t name_id() const;
    std::uint32_t version_id() const;
    std::uint32_t build_id() const;

private:
    const Store* store_;
    const detail::RecordData* data_;
};

// Where materialised records come from (channel URL without credentials, archive base URL).
struct MaterializeContext {
    std::string channel;   // canonical channel URL, e.g. https://conda.anaconda.org/conda-forge
    std::string subdir_url;  // <channel>/<subdir>: where archives live unless the store has a base_url
};

class Store {
public:
    // Bumped whenever the binary layout changes: older cache files are rebuilt.
    static constexpr std::uint32_t format_version = 1;

    // Maps a store file. Fails (ErrorKind::Io for unreadable files, Integrity for anything
    // malformed: bad magic, other format version, wrong size, checksum mismatch, out-of-range
    // ids) and when `expected_key` is given and differs from the file's key.
    static Result<Store> open(const std::filesystem::path& file, std::optional<std::uint64_t> expected_key = {});
    // A store held in memory (the bytes of a store file), validated the same way.
    static Result<Store> from_bytes(std::string bytes, std::optional<std::uint64_t> expected_key = {});

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;
    ~Store();

    std::uint64_t key() const;
    // From the repodata's `info`: the subdir it names (may be empty) and the CEP 15 base_url
    // as written (absolute, relative to the subdir URL, or empty).
    std::string_view info_subdir() const;
    std::string_view base_url() const;
    std::uint32_t repodata_version() const;
    // Records left out while loading (invalid ones, .tar.bz2 duplicates of .conda ones).
    std::uint32_t skipped_records() const;

    std::size_t size() const;  // records
    RecordView record(std::size_t index) const;

    // Package names, in byte order; each name's records are contiguous.
    std::size_t name_count() const;
    std::string_view name(std::size_t name_index) const;
    // [first, last) record indexes of a name.
    std::pair<std::size_t, std::size_t> records_of(std::size_t name_index) const;
    std::optional<std::size_t> find_name(std::string_view name) const;

    // Interned strings by id (id 0 is the empty string).
    std::size_t string_count() const;
    std::string_view string(std::uint32_t id) const;

    // The record as a conda::PackageRecord: version parsed, fn derived, url from the record,
    // else from base_url (CEP 15, resolved against context.subdir_url), else
    // <subdir_url>/<fn>; channel = context.channel.
    conda::PackageRecord materialize(std::size_t index, const MaterializeContext& context) const;

    // Bytes of the serialized form (the file size).
    std::size_t byte_size() const;

private:
    struct Impl;
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
    friend class RecordView;
    friend class StringList::iterator;
};

inline std::string_view StringList::iterator::operator*() const { return store_->string(*at_); }

}  // namespace envctl::repodata
