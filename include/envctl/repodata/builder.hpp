#pragma once
// Building a Store: parsers hand over records as string views (RawRecord), the builder interns
// them and finally serializes the store, to a cache file (temporary + rename) or to memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/repodata/store.hpp"
#include "envctl/util/result.hpp"

namespace envctl::repodata {

// One record as a parser sees it; views are only needed until StoreBuilder::add() returns.
struct RawRecord {
    std::string_view filename;  // the key in packages / packages.conda
    std::string_view name;
    std::string_view version;
    std::string_view build;
    std::uint64_t build_number = 0;
    std::vector<std::string_view> depends;
    std::vector<std::string_view> constrains;
    std::vector<std::string_view> track_features;  // already split on commas and spaces
    std::vector<std::string_view> features;
    conda::NoArchType noarch = conda::NoArchType::None;
    std::string_view subdir;
    std::string_view license;
    std::string_view license_family;
    std::string_view python_site_packages_path;
    std::string_view url;
    std::string_view fn;  // an `fn` field, when the record has one
    std::uint64_t size = 0;
    std::uint64_t timestamp = 0;  // milliseconds
    bool has_md5 = false;
    bool has_sha256 = false;
    std::array<std::uint8_t, 16> md5{};
    std::array<std::uint8_t, 32> sha256{};

    void clear();
};

// Sets `out` from a hex digest (either case) of the right length; false otherwise.
bool decode_hex_digest(std::string_view hex, std::uint8_t* out, std::size_t bytes);
// Splits "a,b c" into views of `text` and appends them to `out`.
void split_features(std::string_view text, std::vector<std::string_view>& out);
// Seconds (up to 9999-12-31) become milliseconds, as conda does.
std::uint64_t normalize_timestamp(std::uint64_t raw);

class StoreBuilder {
public:
    StoreBuilder();
    StoreBuilder(StoreBuilder&&) noexcept;
    StoreBuilder& operator=(StoreBuilder&&) noexcept;
    ~StoreBuilder();

    // Adds a record. Fails (ErrorKind::Input) for a record that cannot be used: no name, no
    // version, an invalid version, an oversized field. Callers skip it and count it.
    Status add(const RawRecord& record);
    void count_skipped(std::uint32_t count = 1);
    // From the repodata's `info` block.
    void set_info(std::string_view subdir, std::string_view base_url, std::uint32_t repodata_version);

    std::size_t record_count() const;
    std::uint32_t skipped() const;
    // Forgets every record (a download restarting from byte 0).
    void reset();

    // Serializes and opens the result; the builder is empty afterwards. The file is written to
    // a temporary sibling and renamed into place.
    Result<Store> finish_to_file(const std::filesystem::path& file, std::uint64_t key);
    Result<Store> finish_in_memory(std::uint64_t key);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace envctl::repodata
