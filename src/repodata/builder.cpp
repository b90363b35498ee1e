// Building stores: open-addressing interning of strings and string lists, chunked record
// storage (no reallocation spikes on 400k-record subdirs), then one pass that groups records by
// name and streams the sections out with a checksum.
#include "envctl/repodata/builder.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <functional>
#include <numeric>
#include <span>

#include <fmt/format.h>

#include "envctl/conda/version.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "format.hpp"

namespace envctl::repodata {

using detail::FileHeader;
using detail::NameEntry;
using detail::RecordData;

namespace {

constexpr std::size_t kMaxStringBytes = 64 * 1024;
constexpr std::size_t kMaxListItems = 64 * 1024;
constexpr std::uint64_t kMaxStringData = std::numeric_limits<std::uint32_t>::max() - kMaxStringBytes;
constexpr std::size_t kRecordsPerChunk = 8192;

// Slots hold (hash high bits << 32) | (id + 1); 0 is empty. Load factor at most 1/2.
class SlotTable {
public:
    SlotTable() : slots_(1024, 0), mask_(1023) {}

    // Finds the slot for `hash` where `equal(id)` holds, or the empty slot to fill.
    template <class Equal>
    std::uint64_t* find(std::uint64_t hash, Equal&& equal) {
        const auto tag = hash >> 32;
        for (std::size_t index = hash & mask_;; index = (index + 1) & mask_) {
            auto& slot = slots_[index];
            if (slot == 0) return &slot;
            if ((slot >> 32) == tag && equal(static_cast<std::uint32_t>(slot & 0xffffffffu) - 1)) return &slot;
        }
    }
    void fill(std::uint64_t* slot, std::uint64_t hash, std::uint32_t id) {
        *slot = ((hash >> 32) << 32) | (std::uint64_t{id} + 1);
        if (++used_ * 2 > slots_.size()) grow();
    }
    void clear() {
        slots_.assign(1024, 0);
        mask_ = 1023;
        used_ = 0;
    }

    template <class Rehash>
    void set_rehash(Rehash&& rehash) {
        rehash_ = std::forward<Rehash>(rehash);
    }

private:
    void grow() {
        std::vector<std::uint64_t> old(slots_.size() * 2, 0);
        old.swap(slots_);
        mask_ = slots_.size() - 1;
        for (const auto slot : old) {
            if (slot == 0) continue;
            const auto id = static_cast<std::uint32_t>(slot & 0xffffffffu) - 1;
            const auto hash = rehash_(id);
            std::size_t index = hash & mask_;
            while (slots_[index] != 0) index = (index + 1) & mask_;
            slots_[index] = slot;
        }
    }

    std::vector<std::uint64_t> slots_;
    std::size_t mask_;
    std::size_t used_ = 0;
    std::function<std::uint64_t(std::uint32_t)> rehash_;
};

class StringInterner {
public:
    StringInterner() {
        table_.set_rehash([this](std::uint32_t id) { return hash(get(id)); });
        clear();
    }
    void clear() {
        data_.clear();
        offsets_.assign(2, 0);  // string 0: ""
        table_.clear();
    }
    static std::uint64_t hash(std::string_view text) { return detail::hash_bytes(text.data(), text.size()); }
    std::string_view get(std::uint32_t id) const { return {data_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]}; }
    std::uint32_t count() const { return static_cast<std::uint32_t>(offsets_.size() - 1); }
    const std::string& data() const { return data_; }
    const std::vector<std::uint32_t>& offsets() const { return offsets_; }

    // Fails only when the store would exceed 4 GiB of strings.
    Result<std::uint32_t> intern(std::string_view text) {
        if (text.empty()) return 0u;
        const auto h = hash(text);
        auto* slot = table_.find(h, [&](std::uint32_t id) { return get(id) == text; });
        if (*slot != 0) return static_cast<std::uint32_t>(*slot & 0xffffffffu) - 1;
        if (data_.size() + text.size() > kMaxStringData)
            return fail(ErrorKind::Input, "the repodata holds more than 4 GiB of distinct strings");
        const auto id = count();
        data_.append(text);
        offsets_.push_back(static_cast<std::uint32_t>(data_.size()));
        table_.fill(slot, h, id);
        return id;
    }

private:
    std::string data_;
    std::vector<std::uint32_t> offsets_;
    SlotTable table_;
};

class ListInterner {
public:
    ListInterner() {
        table_.set_rehash([this](std::uint32_t id) { return hash(get(id)); });
        clear();
    }
    void clear() {
        items_.clear();
        offsets_.assign(2, 0);  // list 0: empty
        table_.clear();
    }
    static std::uint64_t hash(std::span<const std::uint32_t> ids) {
        return detail::hash_bytes(ids.data(), ids.size() * sizeof(std::uint32_t));
    }
    std::span<const std::uint32_t> get(std::uint32_t id) const {
        return {items_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]};
    }
    std::uint32_t count() const { return static_cast<std::uint32_t>(offsets_.size() - 1); }
    const std::vector<std::uint32_t>& items() const { return items_; }
    const std::vector<std::uint32_t>& offsets() const { return offsets_; }

    std::uint32_t intern(std::span<const std::uint32_t> ids) {
        if (ids.empty()) return 0;
        const auto h = hash(ids);
        auto* slot = table_.find(h, [&](std::uint32_t id) {
            const auto existing = get(id);
            return existing.size() == ids.size() && std::equal(existing.begin(), existing.end(), ids.begin());
        });
        if (*slot != 0) return static_cast<std::uint32_t>(*slot & 0xffffffffu) - 1;
        const auto id = count();
        items_.insert(items_.end(), ids.begin(), ids.end());
        offsets_.push_back(static_cast<std::uint32_t>(items_.size()));
        table_.fill(slot, h, id);
        return id;
    }

private:
    std::vector<std::uint32_t> items_;
    std::vector<std::uint32_t> offsets_;
    SlotTable table_;
};

// Sections go to a file descriptor (buffered) or to a string; both checksum the payload.
class SectionWriter {
public:
    explicit SectionWriter(int fd) : fd_(fd) { buffer_.reserve(1 << 20); }
    SectionWriter() = default;

    Status write(const void* data, std::size_t size) {
        checksum_.update(data, size);
        position_ += size;
        const auto* bytes = static_cast<const char*>(data);
        if (fd_ < 0) {
            memory_.append(bytes, size);
            return {};
        }
        if (buffer_.size() + size > buffer_.capacity()) {
            if (auto flushed = flush(); !flushed) return flushed;
            if (size >= buffer_.capacity()) return write_fd(bytes, size);
        }
        buffer_.append(bytes, size);
        return {};
    }
    Status pad() {
        static const char zeros[8] = {};
        const auto padding = detail::align8(position_) - position_;
        return padding ? write(zeros, padding) : Status{};
    }
    Status flush() {
        auto written = write_fd(buffer_.data(), buffer_.size());
        buffer_.clear();
        return written;
    }
    std::uint64_t position() const { return position_; }
    std::uint64_t checksum() const { return checksum_.digest(); }
    std::string& memory() { return memory_; }
    void start_at(std::uint64_t offset) {
        position_ = offset;
        if (fd_ < 0) memory_.assign(offset, '\0');
    }

private:
    Status write_fd(const char* bytes, std::size_t size) {
        while (size > 0) {
            const auto n = ::write(fd_, bytes, size);
            if (n < 0) {
                if (errno == EINTR) continue;
                return fail(ErrorKind::Io, fmt::format("cannot write the repodata store: {}", std::strerror(errno)));
            }
            bytes += n;
            size -= static_cast<std::size_t>(n);
        }
        return {};
    }

    int fd_ = -1;
    std::string buffer_;
    std::string memory_;
    detail::FastHash checksum_;
    std::uint64_t position_ = 0;
};

}  // namespace

void RawRecord::clear() {
    auto keep_depends = std::move(depends);
    auto keep_constrains = std::move(constrains);
    auto keep_track_features = std::move(track_features);
    auto keep_features = std::move(features);
    *this = RawRecord{};
    depends = std::move(keep_depends);
    constrains = std::move(keep_constrains);
    track_features = std::move(keep_track_features);
    features = std::move(keep_features);
    depends.clear();
    constrains.clear();
    track_features.clear();
    features.clear();
}

namespace {
struct HexTable {
    std::int16_t value[256];  // -1: not a hex digit
    constexpr HexTable() : value() {
        for (int i = 0; i < 256; ++i) value[i] = -1;
        for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<std::int16_t>(i);
        for (int i = 0; i < 6; ++i) {
            value['a' + i] = static_cast<std::int16_t>(10 + i);
            value['A' + i] = static_cast<std::int16_t>(10 + i);
        }
    }
};
constexpr HexTable kHex;
}  // namespace

bool decode_hex_digest(std::string_view hex, std::uint8_t* out, std::size_t bytes) {
    if (hex.size() != bytes * 2) return false;
    int invalid = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
        const int high = kHex.value[static_cast<unsigned char>(hex[2 * i])];
        const int low = kHex.value[static_cast<unsigned char>(hex[2 * i + 1])];
        invalid |= high | low;
        out[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    return invalid >= 0;
}

void split_features(std::string_view text, std::vector<std::string_view>& out) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        const bool separator = i == text.size() || text[i] == ',' || text[i] == ' ' || text[i] == '\t' ||
                               text[i] == '\n' || text[i] == '\r';
        if (!separator) continue;
        if (i > start) out.push_back(text.substr(start, i - start));
        start = i + 1;
    }
}

std::uint64_t normalize_timestamp(std::uint64_t raw) {
    constexpr std::uint64_t last_second = 253402300799ULL;  // 9999-12-31T23:59:59Z
    return raw <= last_second ? raw * 1000 : raw;
}

struct StoreBuilder::Impl {
    StringInterner strings;
    ListInterner lists;
    std::vector<std::unique_ptr<RecordData[]>> chunks;
    std::size_t count = 0;
    std::uint32_t skipped = 0;
    std::vector<std::uint8_t> version_state;  // by string id: 0 unknown, 1 valid, 2 invalid
    std::vector<std::uint32_t> scratch;
    std::uint32_t info_subdir = 0;
    std::uint32_t base_url = 0;
    std::uint32_t repodata_version = 0;

    RecordData& slot(std::size_t index) { return chunks[index / kRecordsPerChunk][index % kRecordsPerChunk]; }

    // The previous record's values: consecutive records (builds of one package) mostly repeat
    // them, and comparing is cheaper than hashing.
    struct Memo {
        std::string text;
        std::uint32_t id = 0;
        bool valid = false;
    };
    struct ListMemo {
        std::vector<std::string> items;
        std::uint32_t id = 0;
        bool valid = false;
    };
    Memo name_memo, version_memo, license_memo, family_memo, subdir_memo;
    ListMemo depends_memo, constrains_memo;

    Result<std::uint32_t> remembered(Memo& memo, std::string_view value, std::string_view what) {
        if (memo.valid && memo.text == value) return memo.id;
        auto id = field(value, what);
        if (!id) return id;
        memo.text.assign(value);
        memo.id = *id;
        memo.valid = true;
        return id;
    }

    Result<std::uint32_t> remembered_list(ListMemo& memo, const std::vector<std::string_view>& values,
                                          std::string_view what) {
        if (memo.valid && memo.items.size() == values.size() &&
            std::equal(values.begin(), values.end(), memo.items.begin()))
            return memo.id;
        auto id = list(values, what);
        if (!id) return id;
        memo.items.assign(values.begin(), values.end());
        memo.id = *id;
        memo.valid = true;
        return id;
    }

    Result<std::uint32_t> field(std::string_view value, std::string_view what) {
        if (value.size() > kMaxStringBytes)
            return fail(ErrorKind::Input, fmt::format("'{}' is longer than {} bytes", what, kMaxStringBytes));
        return strings.intern(value);
    }

    Result<std::uint32_t> list(const std::vector<std::string_view>& values, std::string_view what) {
        if (values.size() > kMaxListItems)
            return fail(ErrorKind::Input, fmt::format("'{}' has more than {} items", what, kMaxListItems));
        scratch.clear();
        for (const auto value : values) {
            auto id = field(value, what);
            if (!id) return id;
            scratch.push_back(*id);
        }
        return lists.intern(scratch);
    }

    Status write(SectionWriter& out, FileHeader& header, std::uint64_t key);
};

StoreBuilder::StoreBuilder() : impl_(std::make_unique<Impl>()) {}
StoreBuilder::StoreBuilder(StoreBuilder&&) noexcept = default;
StoreBuilder& StoreBuilder::operator=(StoreBuilder&&) noexcept = default;
StoreBuilder::~StoreBuilder() = default;

std::size_t StoreBuilder::record_count() const { return impl_->count; }
std::uint32_t StoreBuilder::skipped() const { return impl_->skipped; }
void StoreBuilder::count_skipped(std::uint32_t count) { impl_->skipped += count; }

void StoreBuilder::reset() { impl_ = std::make_unique<Impl>(); }

void StoreBuilder::set_info(std::string_view subdir, std::string_view base_url, std::uint32_t repodata_version) {
    auto& impl = *impl_;
    if (auto id = impl.field(subdir, "info.subdir")) impl.info_subdir = *id;
    if (auto id = impl.field(base_url, "info.base_url")) impl.base_url = *id;
    impl.repodata_version = repodata_version;
}

Status StoreBuilder::add(const RawRecord& record) {
    auto& impl = *impl_;
    if (record.name.empty()) return fail(ErrorKind::Input, "'name' is missing");
    if (record.version.empty()) return fail(ErrorKind::Input, "'version' is missing");
    if (impl.count >= std::numeric_limits<std::uint32_t>::max() - 1)
        return fail(ErrorKind::Input, "too many records");
    RecordData data{};
#define ENVCTL_FIELD(target, expression)                   \
    do {                                                   \
        auto id_ = (expression);                           \
        if (!id_) return tl::unexpected(std::move(id_.error())); \
        (target) = *id_;                                   \
    } while (false)
    ENVCTL_FIELD(data.name, impl.remembered(impl.name_memo, record.name, "name"));
    ENVCTL_FIELD(data.version, impl.remembered(impl.version_memo, record.version, "version"));
    if (impl.version_state.size() <= data.version) impl.version_state.resize(impl.strings.count() + 1024, 0);
    auto& state = impl.version_state[data.version];
    if (state == 0) state = conda::Version::parse(record.version) ? 1 : 2;
    if (state == 2) return fail(ErrorKind::Input, fmt::format("invalid version '{}'", record.version));
    ENVCTL_FIELD(data.build, impl.field(record.build, "build"));
    ENVCTL_FIELD(data.license, impl.remembered(impl.license_memo, record.license, "license"));
    ENVCTL_FIELD(data.license_family, impl.remembered(impl.family_memo, record.license_family, "license_family"));
    ENVCTL_FIELD(data.subdir, impl.remembered(impl.subdir_memo, record.subdir, "subdir"));
    ENVCTL_FIELD(data.url, impl.field(record.url, "url"));
    ENVCTL_FIELD(data.python_site_packages_path,
                 impl.field(record.python_site_packages_path, "python_site_packages_path"));
    ENVCTL_FIELD(data.depends, impl.remembered_list(impl.depends_memo, record.depends, "depends"));
    ENVCTL_FIELD(data.constrains, impl.remembered_list(impl.constrains_memo, record.constrains, "constrains"));
    ENVCTL_FIELD(data.track_features, impl.list(record.track_features, "track_features"));
    ENVCTL_FIELD(data.features, impl.list(record.features, "features"));
    // The file name: derived when it is name-version-build + a known extension.
    const std::string_view fn = record.fn.empty() ? record.filename : record.fn;
    const auto stem_size = record.name.size() + record.version.size() + record.build.size() + 2;
    auto derived = [&](std::string_view extension) {
        return fn.size() == stem_size + extension.size() && fn.ends_with(extension) && fn.starts_with(record.name) &&
               fn[record.name.size()] == '-' && fn.substr(record.name.size() + 1, record.version.size()) == record.version &&
               fn[record.name.size() + 1 + record.version.size()] == '-' &&
               fn.substr(record.name.size() + record.version.size() + 2, record.build.size()) == record.build;
    };
    if (derived(".conda")) {
        data.flags |= detail::kCondaExt;
    } else if (derived(".tar.bz2")) {
        data.flags |= detail::kTarBz2Ext;
    } else {
        ENVCTL_FIELD(data.fn, impl.field(fn, "fn"));
    }
#undef ENVCTL_FIELD
    data.build_number = record.build_number;
    data.size = record.size;
    data.timestamp = record.timestamp;
    data.noarch = static_cast<std::uint8_t>(record.noarch);
    if (record.has_md5) {
        data.flags |= detail::kHasMd5;
        std::memcpy(data.md5, record.md5.data(), 16);
    }
    if (record.has_sha256) {
        data.flags |= detail::kHasSha256;
        std::memcpy(data.sha256, record.sha256.data(), 32);
    }
    if (impl.count % kRecordsPerChunk == 0 && impl.count / kRecordsPerChunk == impl.chunks.size())
        impl.chunks.push_back(std::unique_ptr<RecordData[]>(new RecordData[kRecordsPerChunk]));
    impl.slot(impl.count++) = data;
    return {};
}

Status StoreBuilder::Impl::write(SectionWriter& out, FileHeader& header, std::uint64_t key) {
    // Group by name: dense name indexes in first-seen order, then names sorted by bytes.
    const auto string_total = strings.count();
    std::vector<std::uint32_t> dense_of_string(string_total, std::numeric_limits<std::uint32_t>::max());
    std::vector<std::uint32_t> name_strings;
    std::vector<std::uint32_t> name_counts;
    for (std::size_t i = 0; i < count; ++i) {
        auto& dense = dense_of_string[slot(i).name];
        if (dense == std::numeric_limits<std::uint32_t>::max()) {
            dense = static_cast<std::uint32_t>(name_strings.size());
            name_strings.push_back(slot(i).name);
            name_counts.push_back(0);
        }
        ++name_counts[dense];
    }
    std::vector<std::uint32_t> sorted(name_strings.size());
    std::iota(sorted.begin(), sorted.end(), 0u);
    std::sort(sorted.begin(), sorted.end(), [&](std::uint32_t a, std::uint32_t b) {
        return strings.get(name_strings[a]) < strings.get(name_strings[b]);
    });
    std::vector<std::uint32_t> start(name_strings.size());
    std::uint32_t position = 0;
    for (const auto dense : sorted) {
        start[dense] = position;
        position += name_counts[dense];
    }
    std::vector<std::uint32_t> order(count);
    {
        auto next = start;
        for (std::size_t i = 0; i < count; ++i) order[next[dense_of_string[slot(i).name]]++] = static_cast<std::uint32_t>(i);
    }
    dense_of_string = {};

    // A .tar.bz2 record whose .conda twin (same name, version, build) exists is left out.
    std::vector<std::uint8_t> dropped(count, 0);
    std::uint32_t dropped_count = 0;
    std::vector<std::uint64_t> conda_keys;
    for (const auto dense : sorted) {
        const auto first = start[dense];
        const auto last = first + name_counts[dense];
        conda_keys.clear();
        for (auto i = first; i < last; ++i) {
            const auto& r = slot(order[i]);
            if (r.flags & detail::kCondaExt) conda_keys.push_back(std::uint64_t{r.version} << 32 | r.build);
        }
        if (conda_keys.empty()) continue;
        std::sort(conda_keys.begin(), conda_keys.end());
        for (auto i = first; i < last; ++i) {
            const auto& r = slot(order[i]);
            if ((r.flags & detail::kTarBz2Ext) &&
                std::binary_search(conda_keys.begin(), conda_keys.end(), std::uint64_t{r.version} << 32 | r.build)) {
                dropped[order[i]] = 1;
                ++dropped_count;
            }
        }
    }

    std::memcpy(header.magic, detail::kMagic, sizeof(header.magic));
    header.format_version = Store::format_version;
    header.header_size = sizeof(FileHeader);
    header.key = key;
    header.string_count = strings.count();
    header.list_count = lists.count();
    header.list_item_count = lists.items().size();
    header.info_subdir = info_subdir;
    header.base_url = base_url;
    header.repodata_version = repodata_version;
    header.skipped_records = skipped + dropped_count;
    out.start_at(sizeof(FileHeader));

    auto section = [&](std::uint64_t& offset, const void* data, std::size_t size) -> Status {
        offset = out.position();
        if (auto written = out.write(data, size); !written) return written;
        return out.pad();
    };
#define ENVCTL_TRY(expression)                        \
    do {                                              \
        if (auto status_ = (expression); !status_) return status_; \
    } while (false)
    header.string_data_size = strings.data().size();
    ENVCTL_TRY(section(header.string_data_offset, strings.data().data(), strings.data().size()));
    ENVCTL_TRY(section(header.string_offsets_offset, strings.offsets().data(), strings.offsets().size() * 4));
    ENVCTL_TRY(section(header.list_items_offset, lists.items().data(), lists.items().size() * 4));
    ENVCTL_TRY(section(header.list_offsets_offset, lists.offsets().data(), lists.offsets().size() * 4));

    header.records_offset = out.position();
    std::vector<NameEntry> names;
    names.reserve(sorted.size());
    std::uint32_t written = 0;
    for (const auto dense : sorted) {
        NameEntry entry{name_strings[dense], written, 0, 0};
        const auto first = start[dense];
        for (auto i = first; i < first + name_counts[dense]; ++i) {
            if (dropped[order[i]]) continue;
            ENVCTL_TRY(out.write(&slot(order[i]), sizeof(RecordData)));
            ++entry.count;
        }
        written += entry.count;
        if (entry.count) names.push_back(entry);
    }
    header.record_count = written;
    header.name_count = static_cast<std::uint32_t>(names.size());
    ENVCTL_TRY(section(header.names_offset, names.data(), names.size() * sizeof(NameEntry)));
#undef ENVCTL_TRY
    header.file_size = out.position();
    header.checksum = out.checksum();
    return {};
}

Result<Store> StoreBuilder::finish_to_file(const std::filesystem::path& file, std::uint64_t key) {
    if (auto made = ensure_directory(file.parent_path()); !made) return fail(made.error());
    const auto temporary = temporary_sibling(file);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot create {}: {}", temporary.string(), std::strerror(errno)));
    auto abandon = [&](Error error) {
        ::close(fd);
        ::unlink(temporary.c_str());
        return fail(std::move(error));
    };
    FileHeader header{};
    SectionWriter out(fd);
    // The header's place stays empty until the payload (and its checksum) is written.
    if (::lseek(fd, sizeof(FileHeader), SEEK_SET) < 0)
        return abandon(Error{ErrorKind::Io, fmt::format("cannot seek in {}: {}", temporary.string(), std::strerror(errno)), {}, {}});
    if (auto written = impl_->write(out, header, key); !written) return abandon(std::move(written.error()));
    if (auto flushed = out.flush(); !flushed) return abandon(std::move(flushed.error()));
    if (::pwrite(fd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header)))
        return abandon(Error{ErrorKind::Io, fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno)), {}, {}});
    if (::close(fd) != 0) {
        ::unlink(temporary.c_str());
        return fail(ErrorKind::Io, fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno)));
    }
    impl_ = std::make_unique<Impl>();
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        return fail(ErrorKind::Io, fmt::format("cannot rename into {}: {}", file.string(), std::strerror(saved)));
    }
    return Store::open(file, key);
}

Result<Store> StoreBuilder::finish_in_memory(std::uint64_t key) {
    FileHeader header{};
    SectionWriter out;
    if (auto written = impl_->write(out, header, key); !written) return fail(std::move(written.error()));
    auto bytes = std::move(out.memory());
    std::memcpy(bytes.data(), &header, sizeof(header));
    impl_ = std::make_unique<Impl>();
    return Store::from_bytes(std::move(bytes), key);
}

}  // namespace envctl::repodata
