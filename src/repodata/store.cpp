// Reading stores: map (or hold) the bytes, validate every offset and id once, then hand out
// views without further checks.
#include "envctl/repodata/store.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "envctl/util/hash.hpp"
#include "envctl/util/url.hpp"
#include "format.hpp"

namespace envctl::repodata {

using detail::FileHeader;
using detail::NameEntry;
using detail::RecordData;

struct Store::Impl {
    // Exactly one of these holds the bytes.
    void* mapping = nullptr;
    std::size_t mapping_size = 0;
    std::string owned;

    const char* base = nullptr;
    std::size_t size = 0;
    const FileHeader* header = nullptr;
    const char* string_data = nullptr;
    const std::uint32_t* string_offsets = nullptr;
    const std::uint32_t* list_items = nullptr;
    const std::uint32_t* list_offsets = nullptr;
    const RecordData* records = nullptr;
    const NameEntry* names = nullptr;

    ~Impl() {
        if (mapping) ::munmap(mapping, mapping_size);
    }

    std::string_view string(std::uint32_t id) const {
        return {string_data + string_offsets[id], string_offsets[id + 1] - string_offsets[id]};
    }
    StringList list(const Store* store, std::uint32_t id) const {
        return {store, list_items + list_offsets[id], list_items + list_offsets[id + 1]};
    }

    Status validate(std::optional<std::uint64_t> expected_key);
};

namespace {

Error corrupt(std::string what) {
    return Error{ErrorKind::Integrity, "invalid repodata store: " + std::move(what), std::nullopt, {}};
}

bool section_fits(std::uint64_t offset, std::uint64_t count, std::uint64_t item_size, std::uint64_t file_size) {
    if (offset % 4 != 0 || offset > file_size) return false;
    if (item_size != 0 && count > (file_size - offset) / item_size) return false;
    return true;
}

}  // namespace

Status Store::Impl::validate(std::optional<std::uint64_t> expected_key) {
    if (size < sizeof(FileHeader)) return fail(corrupt(fmt::format("{} bytes is too small for a header", size)));
    if (reinterpret_cast<std::uintptr_t>(base) % 8 != 0) return fail(corrupt("misaligned buffer"));
    header = reinterpret_cast<const FileHeader*>(base);
    const auto& h = *header;
    if (std::memcmp(h.magic, detail::kMagic, sizeof(h.magic)) != 0) return fail(corrupt("not a store file"));
    if (h.format_version != Store::format_version)
        return fail(corrupt(fmt::format("format version {}, expected {}", h.format_version, Store::format_version)));
    if (h.header_size != sizeof(FileHeader)) return fail(corrupt("unexpected header size"));
    if (h.file_size != size) return fail(corrupt(fmt::format("{} bytes, the header says {}", size, h.file_size)));
    if (expected_key && h.key != *expected_key) return fail(corrupt("stale (its cache key differs)"));
    detail::FastHash checksum;
    checksum.update(base + h.header_size, size - h.header_size);
    if (checksum.digest() != h.checksum) return fail(corrupt("checksum mismatch"));

    if (h.string_count == 0 || h.list_count == 0) return fail(corrupt("missing the empty string or list"));
    if (!section_fits(h.string_data_offset, h.string_data_size, 1, size) ||
        !section_fits(h.string_offsets_offset, std::uint64_t{h.string_count} + 1, 4, size) ||
        !section_fits(h.list_items_offset, h.list_item_count, 4, size) ||
        !section_fits(h.list_offsets_offset, std::uint64_t{h.list_count} + 1, 4, size) ||
        h.records_offset % 8 != 0 || !section_fits(h.records_offset, h.record_count, sizeof(RecordData), size) ||
        !section_fits(h.names_offset, h.name_count, sizeof(NameEntry), size))
        return fail(corrupt("a section lies outside the file"));
    string_data = base + h.string_data_offset;
    string_offsets = reinterpret_cast<const std::uint32_t*>(base + h.string_offsets_offset);
    list_items = reinterpret_cast<const std::uint32_t*>(base + h.list_items_offset);
    list_offsets = reinterpret_cast<const std::uint32_t*>(base + h.list_offsets_offset);
    records = reinterpret_cast<const RecordData*>(base + h.records_offset);
    names = reinterpret_cast<const NameEntry*>(base + h.names_offset);

    if (string_offsets[0] != 0 || string_offsets[1] != 0) return fail(corrupt("string 0 is not empty"));
    for (std::uint32_t i = 0; i < h.string_count; ++i)
        if (string_offsets[i] > string_offsets[i + 1]) return fail(corrupt("string offsets are not increasing"));
    if (string_offsets[h.string_count] > h.string_data_size) return fail(corrupt("a string lies outside the data"));
    if (list_offsets[0] != 0 || list_offsets[1] != 0) return fail(corrupt("list 0 is not empty"));
    for (std::uint32_t i = 0; i < h.list_count; ++i)
        if (list_offsets[i] > list_offsets[i + 1]) return fail(corrupt("list offsets are not increasing"));
    if (list_offsets[h.list_count] > h.list_item_count) return fail(corrupt("a list lies outside the items"));
    for (std::uint64_t i = 0; i < h.list_item_count; ++i)
        if (list_items[i] >= h.string_count) return fail(corrupt("a list item is not a string"));
    const auto strings = h.string_count;
    const auto lists = h.list_count;
    for (std::uint32_t i = 0; i < h.record_count; ++i) {
        const auto& r = records[i];
        const auto largest = std::max({r.name, r.version, r.build, r.license, r.license_family, r.subdir, r.fn, r.url,
                                       r.python_site_packages_path});
        if (largest >= strings)
            return fail(corrupt(fmt::format("record {} names a string that does not exist", i)));
        if (r.depends >= lists || r.constrains >= lists || r.track_features >= lists || r.features >= lists)
            return fail(corrupt(fmt::format("record {} names a list that does not exist", i)));
        if (r.noarch > 2) return fail(corrupt(fmt::format("record {} has an unknown noarch type", i)));
    }
    for (std::uint32_t i = 0; i < h.name_count; ++i) {
        const auto& n = names[i];
        if (n.name >= strings || n.first > h.record_count || n.count > h.record_count - n.first)
            return fail(corrupt(fmt::format("name {} lies outside the store", i)));
    }
    if (h.info_subdir >= strings || h.base_url >= strings) return fail(corrupt("the info block names a missing string"));
    return {};
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::filesystem::path& file, std::optional<std::uint64_t> expected_key) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(ErrorKind::Io, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        const int saved = errno;
        ::close(fd);
        return fail(ErrorKind::Io, fmt::format("cannot stat {}: {}", file.string(), std::strerror(saved)));
    }
    auto impl = std::make_unique<Impl>();
    impl->size = static_cast<std::size_t>(info.st_size);
    if (impl->size >= sizeof(FileHeader)) {
        void* mapped = ::mmap(nullptr, impl->size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (mapped == MAP_FAILED) {
            const int saved = errno;
            ::close(fd);
            return fail(ErrorKind::Io, fmt::format("cannot map {}: {}", file.string(), std::strerror(saved)));
        }
        impl->mapping = mapped;
        impl->mapping_size = impl->size;
        impl->base = static_cast<const char*>(mapped);
    }
    ::close(fd);
    if (auto valid = impl->validate(expected_key); !valid) {
        auto error = std::move(valid.error());
        error.message += fmt::format(" ({})", file.string());
        return fail(std::move(error));
    }
    return Store(std::move(impl));
}

Result<Store> Store::from_bytes(std::string bytes, std::optional<std::uint64_t> expected_key) {
    auto impl = std::make_unique<Impl>();
    impl->owned = std::move(bytes);
    if (reinterpret_cast<std::uintptr_t>(impl->owned.data()) % 8 != 0) {
        // std::string storage is 16-byte aligned in practice; copy when it is not.
        std::string copy;
        copy.reserve(impl->owned.size() + 8);
        copy = impl->owned;
        impl->owned = std::move(copy);
    }
    impl->base = impl->owned.data();
    impl->size = impl->owned.size();
    if (auto valid = impl->validate(expected_key); !valid) return fail(std::move(valid.error()));
    return Store(std::move(impl));
}

std::uint64_t Store::key() const { return impl_->header->key; }
std::string_view Store::info_subdir() const { return impl_->string(impl_->header->info_subdir); }
std::string_view Store::base_url() const { return impl_->string(impl_->header->base_url); }
std::uint32_t Store::repodata_version() const { return impl_->header->repodata_version; }
std::uint32_t Store::skipped_records() const { return impl_->header->skipped_records; }
std::size_t Store::size() const { return impl_->header->record_count; }
RecordView Store::record(std::size_t index) const { return RecordView(*this, impl_->records[index]); }
std::size_t Store::name_count() const { return impl_->header->name_count; }
std::string_view Store::name(std::size_t name_index) const { return impl_->string(impl_->names[name_index].name); }
std::pair<std::size_t, std::size_t> Store::records_of(std::size_t name_index) const {
    const auto& entry = impl_->names[name_index];
    return {entry.first, std::size_t{entry.first} + entry.count};
}
std::size_t Store::string_count() const { return impl_->header->string_count; }
std::string_view Store::string(std::uint32_t id) const { return impl_->string(id); }
std::size_t Store::byte_size() const { return impl_->size; }

std::optional<std::size_t> Store::find_name(std::string_view name) const {
    const auto* begin = impl_->names;
    const auto* end = begin + impl_->header->name_count;
    const auto* it = std::lower_bound(begin, end, name,
                                      [this](const NameEntry& entry, std::string_view wanted) {
                                          return impl_->string(entry.name) < wanted;
                                      });
    if (it == end || impl_->string(it->name) != name) return std::nullopt;
    return static_cast<std::size_t>(it - begin);
}

conda::PackageRecord Store::materialize(std::size_t index, const MaterializeContext& context) const {
    const RecordView view = record(index);
    conda::PackageRecord out;
    out.name = std::string(view.name());
    if (auto version = conda::Version::parse(view.version())) out.version = std::move(*version);
    out.build = std::string(view.build());
    out.build_number = view.build_number();
    for (auto spec : view.depends()) out.depends.emplace_back(spec);
    for (auto spec : view.constrains()) out.constrains.emplace_back(spec);
    for (auto feature : view.track_features()) out.track_features.emplace_back(feature);
    for (auto feature : view.features()) out.features.emplace_back(feature);
    out.noarch = view.noarch();
    out.subdir = std::string(view.subdir());
    out.license = std::string(view.license());
    out.license_family = std::string(view.license_family());
    out.python_site_packages_path = std::string(view.python_site_packages_path());
    out.md5 = view.md5_hex();
    out.sha256 = view.sha256_hex();
    out.size = view.size();
    out.timestamp = view.timestamp();
    out.fn = view.fn();
    out.channel = context.channel;
    if (!view.explicit_url().empty()) {
        out.url = std::string(view.explicit_url());
    } else {
        std::string base = context.subdir_url;
        const auto written = base_url();
        if (!written.empty()) {
            if (written.find("://") != std::string_view::npos) {
                base = strip_credentials(written);
            } else {
                // Relative to the subdir URL (as a directory), e.g. "../linux-64" or "./".
                std::string resolved = context.subdir_url;
                std::string_view rest = written;
                while (!rest.empty()) {
                    const auto slash = rest.find('/');
                    const auto part = rest.substr(0, slash);
                    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
                    if (part.empty() || part == ".") continue;
                    if (part == "..") {
                        const auto cut = resolved.rfind('/');
                        if (cut != std::string::npos && resolved.find("://") + 3 < cut) resolved.resize(cut);
                    } else {
                        resolved = join_url(resolved, part);
                    }
                }
                base = resolved;
            }
        }
        out.url = join_url(base, out.fn);
    }
    return out;
}

// ---- RecordView ----

std::string_view RecordView::name() const { return store_->impl_->string(data_->name); }
std::string_view RecordView::version() const { return store_->impl_->string(data_->version); }
std::string_view RecordView::build() const { return store_->impl_->string(data_->build); }
std::uint64_t RecordView::build_number() const { return data_->build_number; }
StringList RecordView::depends() const { return store_->impl_->list(store_, data_->depends); }
StringList RecordView::constrains() const { return store_->impl_->list(store_, data_->constrains); }
StringList RecordView::track_features() const { return store_->impl_->list(store_, data_->track_features); }
StringList RecordView::features() const { return store_->impl_->list(store_, data_->features); }
conda::NoArchType RecordView::noarch() const { return static_cast<conda::NoArchType>(data_->noarch); }
std::string_view RecordView::subdir() const {
    return data_->subdir ? store_->impl_->string(data_->subdir) : store_->info_subdir();
}
std::string_view RecordView::license() const { return store_->impl_->string(data_->license); }
std::string_view RecordView::license_family() const { return store_->impl_->string(data_->license_family); }
std::string_view RecordView::python_site_packages_path() const {
    return store_->impl_->string(data_->python_site_packages_path);
}
std::uint64_t RecordView::size() const { return data_->size; }
std::uint64_t RecordView::timestamp() const { return data_->timestamp; }
std::optional<std::array<std::uint8_t, 16>> RecordView::md5() const {
    if (!(data_->flags & detail::kHasMd5)) return std::nullopt;
    std::array<std::uint8_t, 16> out;
    std::memcpy(out.data(), data_->md5, 16);
    return out;
}
std::optional<std::array<std::uint8_t, 32>> RecordView::sha256() const {
    if (!(data_->flags & detail::kHasSha256)) return std::nullopt;
    std::array<std::uint8_t, 32> out;
    std::memcpy(out.data(), data_->sha256, 32);
    return out;
}
std::string RecordView::md5_hex() const { return data_->flags & detail::kHasMd5 ? to_hex(data_->md5, 16) : std::string(); }
std::string RecordView::sha256_hex() const {
    return data_->flags & detail::kHasSha256 ? to_hex(data_->sha256, 32) : std::string();
}
std::string RecordView::fn() const {
    if (data_->fn) return std::string(store_->impl_->string(data_->fn));
    const char* extension = data_->flags & detail::kCondaExt ? ".conda" : ".tar.bz2";
    return fmt::format("{}-{}-{}{}", name(), version(), build(), extension);
}
bool RecordView::is_conda_format() const {
    if (data_->fn) return std::string_view(store_->impl_->string(data_->fn)).ends_with(".conda");
    return data_->flags & detail::kCondaExt;
}
std::string_view RecordView::explicit_url() const { return store_->impl_->string(data_->url); }
std::uint32_t RecordView::name_id() const { return data_->name; }
std::uint32_t RecordView::version_id() const { return data_->version; }
std::uint32_t RecordView::build_id() const { return data_->build; }

}  // namespace envctl::repodata
