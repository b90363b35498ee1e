#include "envctl/repodata/msgpack.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "envctl/repodata/repodata.hpp"
#include "envctl/util/url.hpp"

namespace envctl::repodata {

namespace msgpack {

namespace {

template <class T>
T big_endian(std::string_view bytes) {
    T value = 0;
    for (const char c : bytes) value = static_cast<T>((value << 8) | static_cast<unsigned char>(c));
    return value;
}

Error malformed(std::size_t position, std::string_view what) {
    return Error{ErrorKind::Input, fmt::format("invalid msgpack at byte {}: {}", position, what), std::nullopt, {}};
}

}  // namespace

Result<std::string_view> Reader::take(std::size_t size) {
    if (size > data_.size() - position_) return fail(malformed(position_, "the data ends too early"));
    const auto out = data_.substr(position_, size);
    position_ += size;
    return out;
}

Result<Value> Reader::next() {
    if (at_end()) return fail(malformed(position_, "the data ends too early"));
    const auto start = position_;
    const auto tag = static_cast<unsigned char>(data_[position_++]);
    Value value;
    auto sized = [&](std::size_t length_bytes) -> Result<std::uint64_t> {
        auto bytes = take(length_bytes);
        if (!bytes) return fail(std::move(bytes.error()));
        return big_endian<std::uint64_t>(*bytes);
    };
    auto payload = [&](Type type, std::uint64_t size) -> Result<Value> {
        auto bytes = take(size);
        if (!bytes) return fail(std::move(bytes.error()));
        value.type = type;
        value.bytes = *bytes;
        return value;
    };
    auto container = [&](Type type, std::uint64_t count) -> Result<Value> {
        // Every child takes at least one byte: a count beyond the data is malformed.
        if (count > data_.size() - position_) return fail(malformed(start, "a container larger than the data"));
        value.type = type;
        value.count = static_cast<std::uint32_t>(count);
        return value;
    };
#define ENVCTL_SIZED(variable, bytes)                                  \
    auto variable##_result = sized(bytes);                             \
    if (!variable##_result) return fail(std::move(variable##_result.error())); \
    const auto variable = *variable##_result  // NOLINT(bugprone-macro-parentheses): declares the name

    if (tag <= 0x7f) {
        value.type = Type::Unsigned;
        value.unsigned_value = tag;
        return value;
    }
    if (tag >= 0xe0) {
        value.type = Type::Signed;
        value.signed_value = static_cast<std::int64_t>(tag) - 0x100;  // negative fixint: -32..-1
        return value;
    }
    if ((tag & 0xf0) == 0x80) return container(Type::Map, tag & 0x0f);
    if ((tag & 0xf0) == 0x90) return container(Type::Array, tag & 0x0f);
    if ((tag & 0xe0) == 0xa0) return payload(Type::String, tag & 0x1f);
    switch (tag) {
        case 0xc0: value.type = Type::Nil; return value;
        case 0xc2:
        case 0xc3:
            value.type = Type::Bool;
            value.boolean = tag == 0xc3;
            return value;
        case 0xc4:
        case 0xc5:
        case 0xc6: {
            ENVCTL_SIZED(size, std::size_t{1} << (tag - 0xc4));
            return payload(Type::Binary, size);
        }
        case 0xc7:
        case 0xc8:
        case 0xc9: {
            ENVCTL_SIZED(size, std::size_t{1} << (tag - 0xc7));
            if (auto type_byte = take(1); !type_byte) return fail(std::move(type_byte.error()));
            return payload(Type::Extension, size);
        }
        case 0xca: {
            ENVCTL_SIZED(bits, 4);
            float f;
            const auto narrow = static_cast<std::uint32_t>(bits);
            std::memcpy(&f, &narrow, 4);
            value.type = Type::Float;
            value.float_value = f;
            return value;
        }
        case 0xcb: {
            ENVCTL_SIZED(bits, 8);
            value.type = Type::Float;
            std::memcpy(&value.float_value, &bits, 8);
            return value;
        }
        case 0xcc:
        case 0xcd:
        case 0xce:
        case 0xcf: {
            ENVCTL_SIZED(number, std::size_t{1} << (tag - 0xcc));
            value.type = Type::Unsigned;
            value.unsigned_value = number;
            return value;
        }
        case 0xd0:
        case 0xd1:
        case 0xd2:
        case 0xd3: {
            const std::size_t bytes = std::size_t{1} << (tag - 0xd0);
            ENVCTL_SIZED(number, bytes);
            value.type = Type::Signed;
            const int shift = static_cast<int>(64 - 8 * bytes);
            value.signed_value = shift ? static_cast<std::int64_t>(number << shift) >> shift : static_cast<std::int64_t>(number);
            return value;
        }
        case 0xd4:
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8: {
            if (auto type_byte = take(1); !type_byte) return fail(std::move(type_byte.error()));
            return payload(Type::Extension, std::size_t{1} << (tag - 0xd4));
        }
        case 0xd9:
        case 0xda:
        case 0xdb: {
            ENVCTL_SIZED(size, std::size_t{1} << (tag - 0xd9));
            return payload(Type::String, size);
        }
        case 0xdc:
        case 0xdd: {
            ENVCTL_SIZED(count, tag == 0xdc ? 2 : 4);
            return container(Type::Array, count);
        }
        case 0xde:
        case 0xdf: {
            ENVCTL_SIZED(count, tag == 0xde ? 2 : 4);
            return container(Type::Map, count);
        }
        default: return fail(malformed(start, fmt::format("unknown type byte 0x{:02x}", tag)));
    }
#undef ENVCTL_SIZED
}

Status Reader::skip() {
    std::uint64_t pending = 1;
    while (pending > 0) {
        auto value = next();
        if (!value) return fail(std::move(value.error()));
        --pending;
        if (value->type == Type::Array) pending += value->count;
        if (value->type == Type::Map) pending += std::uint64_t{value->count} * 2;
    }
    return {};
}

}  // namespace msgpack

namespace {

using msgpack::Reader;
using msgpack::Type;
using msgpack::Value;

#define ENVCTL_NEXT(variable, reader)                                 \
    auto variable##_result = (reader).next();                         \
    if (!variable##_result) return fail(std::move(variable##_result.error())); \
    const Value variable = *variable##_result

bool hash_from(const Value& value, std::array<std::uint8_t, 32>& out) {
    if (value.type == Type::Binary && value.bytes.size() == 32) {
        std::memcpy(out.data(), value.bytes.data(), 32);
        return true;
    }
    return value.type == Type::String && decode_hex_digest(value.bytes, out.data(), 32);
}

Status read_info(Reader& reader, std::uint32_t pairs, ShardIndex& index) {
    for (std::uint32_t i = 0; i < pairs; ++i) {
        ENVCTL_NEXT(key, reader);
        if (key.type != Type::String) return fail(ErrorKind::Input, "invalid shard index: a key of 'info' is not a string");
        auto value = reader.next();
        if (!value) return fail(std::move(value.error()));
        if (value->type == Type::Array || value->type == Type::Map) {
            // Containers: rewind is not possible, so skip their children.
            std::uint64_t children = value->type == Type::Map ? std::uint64_t{value->count} * 2 : value->count;
            for (std::uint64_t c = 0; c < children; ++c)
                if (auto skipped = reader.skip(); !skipped) return skipped;
            continue;
        }
        if (value->type != Type::String) continue;
        if (key.bytes == "subdir") index.subdir = value->bytes;
        if (key.bytes == "base_url") index.base_url = value->bytes;
        if (key.bytes == "shards_base_url") index.shards_base_url = value->bytes;
    }
    return {};
}

}  // namespace

const std::array<std::uint8_t, 32>* ShardIndex::find(std::string_view name) const {
    const auto it = std::lower_bound(shards.begin(), shards.end(), name,
                                     [](const auto& entry, std::string_view wanted) { return entry.first < wanted; });
    return it != shards.end() && it->first == name ? &it->second : nullptr;
}

Result<ShardIndex> decode_shard_index(std::string_view data) {
    Reader reader(data);
    ShardIndex index;
    ENVCTL_NEXT(top, reader);
    if (top.type != Type::Map) return fail(ErrorKind::Input, "invalid shard index: expected a map at the top");
    bool has_shards = false;
    for (std::uint32_t i = 0; i < top.count; ++i) {
        ENVCTL_NEXT(key, reader);
        if (key.type != Type::String) return fail(ErrorKind::Input, "invalid shard index: a top-level key is not a string");
        if (key.bytes == "info") {
            ENVCTL_NEXT(info, reader);
            if (info.type != Type::Map) return fail(ErrorKind::Input, "invalid shard index: 'info' is not a map");
            if (auto read = read_info(reader, info.count, index); !read) return fail(std::move(read.error()));
        } else if (key.bytes == "shards") {
            ENVCTL_NEXT(shards, reader);
            if (shards.type != Type::Map) return fail(ErrorKind::Input, "invalid shard index: 'shards' is not a map");
            has_shards = true;
            index.shards.reserve(shards.count);
            for (std::uint32_t s = 0; s < shards.count; ++s) {
                ENVCTL_NEXT(name, reader);
                ENVCTL_NEXT(hash, reader);
                if (name.type != Type::String)
                    return fail(ErrorKind::Input, "invalid shard index: a package name is not a string");
                std::array<std::uint8_t, 32> digest{};
                if (!hash_from(hash, digest))
                    return fail(ErrorKind::Input,
                                fmt::format("invalid shard index: the hash of '{}' is not a sha256", name.bytes));
                index.shards.emplace_back(std::string(name.bytes), digest);
            }
        } else {
            if (auto skipped = reader.skip(); !skipped) return fail(std::move(skipped.error()));
        }
    }
    if (!has_shards) return fail(ErrorKind::Input, "invalid shard index: no 'shards' map");
    std::sort(index.shards.begin(), index.shards.end());
    index.shards.erase(std::unique(index.shards.begin(), index.shards.end(),
                                   [](const auto& a, const auto& b) { return a.first == b.first; }),
                       index.shards.end());
    return index;
}

namespace {

// One record map into `raw`; false (with `reason`) for a record that has to be skipped.
Result<bool> read_record(Reader& reader, std::uint32_t pairs, RawRecord& raw, std::string& reason,
                         std::vector<std::string>& owned_text) {
    auto refuse = [&](std::string_view key, std::string_view expected) {
        reason = fmt::format("'{}' must be {}", key, expected);
        return false;
    };
    bool ok = true;
    for (std::uint32_t i = 0; i < pairs; ++i) {
        ENVCTL_NEXT(key, reader);
        if (key.type != Type::String) return fail(ErrorKind::Input, "invalid shard: a record key is not a string");
        ENVCTL_NEXT(value, reader);
        const auto k = key.bytes;
        auto children_skip = [&]() -> Status {
            if (value.type != Type::Array && value.type != Type::Map) return {};
            std::uint64_t children = value.type == Type::Map ? std::uint64_t{value.count} * 2 : value.count;
            for (std::uint64_t c = 0; c < children; ++c)
                if (auto skipped = reader.skip(); !skipped) return skipped;
            return {};
        };
        auto string_list = [&](std::vector<std::string_view>& out, bool features) -> Result<bool> {
            if (value.type == Type::Nil) return true;
            if (features && value.type == Type::String) {
                split_features(value.bytes, out);
                return true;
            }
            if (value.type != Type::Array) {
                if (auto skipped = children_skip(); !skipped) return fail(std::move(skipped.error()));
                return refuse(k, "a list of strings");
            }
            bool good = true;
            for (std::uint32_t c = 0; c < value.count; ++c) {
                ENVCTL_NEXT(item, reader);
                if (item.type != Type::String) {
                    good = false;
                    if (item.type == Type::Array || item.type == Type::Map) {
                        std::uint64_t children = item.type == Type::Map ? std::uint64_t{item.count} * 2 : item.count;
                        for (std::uint64_t d = 0; d < children; ++d)
                            if (auto skipped = reader.skip(); !skipped) return fail(std::move(skipped.error()));
                    }
                    continue;
                }
                if (features)
                    split_features(item.bytes, out);
                else
                    out.push_back(item.bytes);
            }
            return good ? true : refuse(k, "a list of strings");
        };
        auto number = [&](std::uint64_t& out) {
            if (value.type == Type::Unsigned) {
                out = value.unsigned_value;
                return true;
            }
            if (value.type == Type::Signed && value.signed_value >= 0) {
                out = static_cast<std::uint64_t>(value.signed_value);
                return true;
            }
            return value.type == Type::Nil ? true : refuse(k, "a non-negative integer");
        };
        auto text = [&](std::string_view& out) {
            if (value.type == Type::String) out = value.bytes;
        };
        auto digest = [&](std::uint8_t* out, std::size_t bytes, bool& has) {
            if (value.type == Type::Binary && value.bytes.size() == bytes) {
                std::memcpy(out, value.bytes.data(), bytes);
                has = true;
            } else if (value.type == Type::String) {
                has = decode_hex_digest(value.bytes, out, bytes);
            }
        };
        if (k == "name" || k == "version" || k == "build") {
            auto& target = k == "name" ? raw.name : k == "version" ? raw.version : raw.build;
            if (value.type == Type::String)
                target = value.bytes;
            else if (value.type != Type::Nil)
                ok = ok && refuse(k, "a string");
        } else if (k == "build_number") {
            ok = number(raw.build_number) && ok;
        } else if (k == "size") {
            ok = number(raw.size) && ok;
        } else if (k == "timestamp") {
            if (value.type == Type::Float) {
                if (value.float_value >= 0 && value.float_value <= 1e17)
                    raw.timestamp = value.float_value <= 253402300799.0
                                        ? static_cast<std::uint64_t>(std::llround(value.float_value * 1000))
                                        : static_cast<std::uint64_t>(value.float_value);
                else
                    ok = ok && refuse(k, "a non-negative number");
            } else {
                std::uint64_t stamp = 0;
                ok = number(stamp) && ok;
                raw.timestamp = normalize_timestamp(stamp);
            }
        } else if (k == "depends" || k == "constrains" || k == "track_features" || k == "features") {
            auto& target = k == "depends"      ? raw.depends
                           : k == "constrains" ? raw.constrains
                           : k == "features"   ? raw.features
                                               : raw.track_features;
            auto listed = string_list(target, k == "track_features" || k == "features");
            if (!listed) return fail(std::move(listed.error()));
            ok = *listed && ok;
        } else if (k == "noarch") {
            if (value.type == Type::Bool) {
                raw.noarch = value.boolean ? conda::NoArchType::Generic : conda::NoArchType::None;
            } else if (value.type == Type::String) {
                if (value.bytes == "generic")
                    raw.noarch = conda::NoArchType::Generic;
                else if (value.bytes == "python")
                    raw.noarch = conda::NoArchType::Python;
                else if (!value.bytes.empty())
                    ok = ok && refuse(k, "\"generic\", \"python\", true or empty");
            } else if (value.type != Type::Nil) {
                ok = ok && refuse(k, "\"generic\", \"python\", true or empty");
            }
        } else if (k == "md5") {
            digest(raw.md5.data(), 16, raw.has_md5);
        } else if (k == "sha256") {
            digest(raw.sha256.data(), 32, raw.has_sha256);
        } else if (k == "subdir") {
            text(raw.subdir);
        } else if (k == "license") {
            text(raw.license);
        } else if (k == "license_family") {
            text(raw.license_family);
        } else if (k == "python_site_packages_path") {
            text(raw.python_site_packages_path);
        } else if (k == "fn") {
            text(raw.fn);
        } else if (k == "url") {
            if (value.type == Type::String) {
                owned_text.push_back(strip_credentials(value.bytes));
                raw.url = owned_text.back();
            }
        }
        if (auto skipped = (k == "depends" || k == "constrains" || k == "track_features" || k == "features")
                               ? Status{}
                               : children_skip();
            !skipped)
            return fail(std::move(skipped.error()));
    }
    return ok;
}

}  // namespace

Status decode_shard(std::string_view data, StoreBuilder& builder, const std::function<void(const std::string&)>& on_warning,
                    std::vector<std::string>* dependency_names) {
    Reader reader(data);
    ENVCTL_NEXT(top, reader);
    if (top.type != Type::Map) return fail(ErrorKind::Input, "invalid shard: expected a map at the top");
    RawRecord raw;
    std::vector<std::string> owned_text;
    int warned = 0;
    for (std::uint32_t i = 0; i < top.count; ++i) {
        ENVCTL_NEXT(key, reader);
        if (key.type != Type::String) return fail(ErrorKind::Input, "invalid shard: a top-level key is not a string");
        if (key.bytes != "packages" && key.bytes != "packages.conda") {
            if (auto skipped = reader.skip(); !skipped) return skipped;
            continue;
        }
        ENVCTL_NEXT(records, reader);
        if (records.type != Type::Map) return fail(ErrorKind::Input, fmt::format("invalid shard: '{}' is not a map", key.bytes));
        for (std::uint32_t r = 0; r < records.count; ++r) {
            ENVCTL_NEXT(filename, reader);
            ENVCTL_NEXT(record, reader);
            raw.clear();
            owned_text.clear();
            std::string reason;
            bool usable = filename.type == Type::String && record.type == Type::Map;
            if (!usable) reason = "not a file name and a record map";
            if (record.type == Type::Map) {
                raw.filename = filename.type == Type::String ? filename.bytes : std::string_view();
                auto read = read_record(reader, record.count, raw, reason, owned_text);
                if (!read) return fail(std::move(read.error()));
                usable = usable && *read;
            } else if (record.type == Type::Array) {
                for (std::uint32_t c = 0; c < record.count; ++c)
                    if (auto skipped = reader.skip(); !skipped) return skipped;
            }
            if (usable) {
                if (auto added = builder.add(raw); !added) {
                    usable = false;
                    reason = added.error().message;
                } else if (dependency_names) {
                    for (const auto spec : raw.depends) dependency_names->push_back(dependency_name(spec));
                }
            }
            if (!usable) {
                builder.count_skipped();
                if (on_warning && warned++ < 3)
                    on_warning(fmt::format("skipped invalid record '{}': {}",
                                           filename.type == Type::String ? filename.bytes : std::string_view("?"), reason));
            }
        }
    }
    return {};
}

#undef ENVCTL_NEXT

}  // namespace envctl::repodata
