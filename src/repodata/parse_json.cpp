// The streaming repodata.json parser. A hand-written state machine walks the top level of the
// document; for each record of packages/packages.conda a boundary scanner (SSE2 where
// available) finds the end of the record object, and simdjson On-Demand parses that window in
// place (the buffer keeps SIMDJSON_PADDING spare bytes). Unknown top-level values are skipped
// by a resumable scanner, so they are never held whole.
#include "envctl/repodata/parse.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <simdjson.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "envctl/util/url.hpp"

namespace envctl::repodata {

namespace {

namespace dom = simdjson::dom;

constexpr std::size_t kMaxWindow = 16 * 1024 * 1024;  // largest record, key or info block
constexpr std::size_t kPadding = simdjson::SIMDJSON_PADDING;
constexpr int kWarnedRecords = 3;

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// Position just past the '}' closing the object that starts at `p` (a '{'), or nullptr when
// the object does not end before `end`. Bytes up to end + 16 must be readable.
const char* find_object_end(const char* p, const char* end) {
    int depth = 0;
    bool in_string = false;
    const char* skip_to = p;  // an escaped character is not special
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i open = _mm_set1_epi8('{');
    const __m128i close = _mm_set1_epi8('}');
    for (const char* block = p; block < end; block += 16) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block));
        const __m128i hits = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                                          _mm_or_si128(_mm_cmpeq_epi8(bytes, open), _mm_cmpeq_epi8(bytes, close)));
        auto mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
        while (mask) {
            const char* at = block + __builtin_ctz(mask);
            mask &= mask - 1;
            if (at >= end) return nullptr;
            if (at < skip_to) continue;
            switch (*at) {
                case '\\':
                    if (in_string) skip_to = at + 2;
                    break;
                case '"': in_string = !in_string; break;
                case '{':
                    if (!in_string) ++depth;
                    break;
                default:  // '}'
                    if (!in_string && --depth == 0) return at + 1;
            }
        }
    }
    return nullptr;
#else
    for (const char* at = p; at < end; ++at) {
        if (at < skip_to) continue;
        switch (*at) {
            case '\\':
                if (in_string) skip_to = at + 2;
                break;
            case '"': in_string = !in_string; break;
            case '{':
                if (!in_string) ++depth;
                break;
            case '}':
                if (!in_string && --depth == 0) return at + 1;
                break;
            default: break;
        }
    }
    return nullptr;
#endif
}

// Position just past the closing quote of the string starting at `p` (a '"'), or nullptr.
const char* find_string_end(const char* p, const char* end) {
    for (const char* at = p + 1; at < end; ++at) {
        if (*at == '\\') {
            ++at;
        } else if (*at == '"') {
            return at + 1;
        }
    }
    return nullptr;
}

bool is_skippable(simdjson::error_code error) {
    using simdjson::error_code;
    return error == error_code::INCORRECT_TYPE || error == error_code::NUMBER_OUT_OF_RANGE ||
           error == error_code::DEPTH_ERROR || error == error_code::UTF8_ERROR;
}

enum class Top : std::uint8_t {
    Start,
    KeyOrEnd,
    Key,
    Colon,
    Value,
    CommaOrEnd,
    RecordKeyOrEnd,
    RecordKey,
    RecordColon,
    RecordValue,
    RecordCommaOrEnd,
    SkipValue,
    Done,
};

enum class TopKey : std::uint8_t { Packages, Info, RepodataVersion, Other };

// Why a record was refused, for the warning (not an error: the record is skipped).
struct Refusal {
    std::string reason;
};

}  // namespace

struct JsonStreamParser::Impl {
    StoreBuilder& builder;
    std::function<void(const std::string&)> on_warning;

    std::unique_ptr<char[]> buffer;
    std::size_t capacity = 0;  // usable bytes; kPadding more are allocated
    std::size_t begin = 0;
    std::size_t end = 0;
    std::uint64_t dropped = 0;  // bytes removed from the front of the buffer so far

    Top state = Top::Start;
    TopKey key = TopKey::Other;
    // The resumable skipper of unknown top-level values.
    int skip_depth = 0;
    bool skip_in_string = false;
    bool skip_escape = false;
    bool skip_started = false;
    bool skip_scalar = false;
    Top after_skip = Top::CommaOrEnd;

    dom::parser parser;
    RawRecord raw;
    std::string filename;
    std::string stripped_url;
    std::string info_subdir;
    std::string info_base_url;
    std::uint32_t repodata_version = 0;
    std::atomic<std::uint64_t> records{0};  // read by progress reporting on another thread
    std::uint64_t skipped = 0;

    Impl(StoreBuilder& builder_in, std::function<void(const std::string&)> warn)
        : builder(builder_in), on_warning(std::move(warn)) {}

    std::uint64_t offset(std::size_t position) const { return dropped + position; }

    tl::unexpected<Error> syntax(std::size_t position, std::string_view expected) const {
        const char* at = buffer.get() + position;
        std::string found = position < end ? fmt::format("'{}'", std::string_view(at, 1)) : "the end";
        if (position < end && (static_cast<unsigned char>(*at) < 0x20 || static_cast<unsigned char>(*at) >= 0x7f))
            found = fmt::format("byte 0x{:02x}", static_cast<unsigned char>(*at));
        return fail(ErrorKind::Input,
                    fmt::format("invalid repodata JSON at byte {}: expected {}, found {}", offset(position), expected, found));
    }

    std::span<char> writable(std::size_t minimum) {
        if (begin > 0 && (begin == end || end + minimum > capacity)) {
            std::memmove(buffer.get(), buffer.get() + begin, end - begin);
            dropped += begin;
            end -= begin;
            begin = 0;
        }
        if (end + minimum > capacity) {
            const std::size_t grown = std::max({capacity * 2, end + minimum, std::size_t{64} << 10});
            auto bigger = std::make_unique_for_overwrite<char[]>(grown + kPadding);
            if (end > 0) std::memcpy(bigger.get(), buffer.get(), end);
            std::memset(bigger.get() + end, ' ', grown + kPadding - end);
            buffer = std::move(bigger);
            capacity = grown;
        }
        return {buffer.get() + end, capacity - end};
    }

    void warn_skipped(const std::string& reason) {
        ++skipped;
        builder.count_skipped();
        if (on_warning && skipped <= kWarnedRecords)
            on_warning(fmt::format("skipped invalid record '{}': {}", filename, reason));
    }

    // Skips whitespace; false when the buffer ran out.
    bool skip_space(std::size_t& at) const {
        while (at < end && is_space(buffer[at])) ++at;
        return at < end;
    }

    Status run();
    Status read_key(std::size_t at, std::string& out, std::size_t& next, bool& complete);
    Result<bool> skip_value();
    Status parse_info(const char* data, std::size_t size);
    Status parse_record(const char* data, std::size_t size);
    Status record_field(std::string_view field, dom::element value, bool& refused, std::string& reason);
};

// Reads the string at `at` into `out` (unescaped). complete=false: more bytes are needed.
Status JsonStreamParser::Impl::read_key(std::size_t at, std::string& out, std::size_t& next, bool& complete) {
    const char* start = buffer.get() + at;
    const char* stop = find_string_end(start, buffer.get() + end);
    if (!stop) {
        complete = false;
        if (end - at > kMaxWindow) return fail(ErrorKind::Input, fmt::format("a key at byte {} is longer than 16 MiB", offset(at)));
        return {};
    }
    complete = true;
    next = static_cast<std::size_t>(stop - buffer.get());
    const std::string_view text(start + 1, static_cast<std::size_t>(stop - start) - 2);
    if (text.find('\\') == std::string_view::npos) {
        out.assign(text);
        return {};
    }
    // Escapes: let simdjson decode the string as a document of its own.
    std::string padded(start, static_cast<std::size_t>(stop - start));
    padded.append(kPadding, ' ');
    std::string_view decoded;
    if (parser.parse(padded.data(), static_cast<std::size_t>(stop - start), false).get_string().get(decoded) !=
        simdjson::SUCCESS)
        return syntax(at, "a valid JSON string");
    out.assign(decoded);
    return {};
}

// The resumable skipper: consumes what it can; true when the value ended.
Result<bool> JsonStreamParser::Impl::skip_value() {
    std::size_t at = begin;
    if (!skip_started) {
        if (!skip_space(at)) {
            begin = at;
            return false;
        }
        const char c = buffer[at];
        skip_started = true;
        skip_depth = 0;
        skip_in_string = false;
        skip_escape = false;
        skip_scalar = !(c == '{' || c == '[' || c == '"');
        if (!skip_scalar) {
            if (c == '"') skip_in_string = true;
            else skip_depth = 1;
            ++at;
            if (c == '"') skip_depth = 0;
        }
    }
    for (; at < end; ++at) {
        const char c = buffer[at];
        if (skip_scalar) {
            if (c == ',' || c == '}' || c == ']' || is_space(c)) {
                begin = at;
                return true;
            }
            continue;
        }
        if (skip_in_string) {
            if (skip_escape) {
                skip_escape = false;
            } else if (c == '\\') {
                skip_escape = true;
            } else if (c == '"') {
                skip_in_string = false;
                if (skip_depth == 0) {
                    begin = at + 1;
                    return true;
                }
            }
            continue;
        }
        if (c == '"') {
            skip_in_string = true;
        } else if (c == '{' || c == '[') {
            ++skip_depth;
        } else if (c == '}' || c == ']') {
            if (--skip_depth == 0) {
                begin = at + 1;
                return true;
            }
        }
    }
    begin = at;
    return false;
}

Status JsonStreamParser::Impl::parse_info(const char* data, std::size_t size) {
    dom::object object;
    if (parser.parse(data, size, false).get_object().get(object) != simdjson::SUCCESS) return {};  // ignored
    for (auto [name, value] : object) {
        std::string_view text;
        if (name == "subdir" && value.get_string().get(text) == simdjson::SUCCESS) info_subdir = text;
        if (name == "base_url" && value.get_string().get(text) == simdjson::SUCCESS) info_base_url = text;
    }
    return {};
}

Status JsonStreamParser::Impl::record_field(std::string_view field, dom::element value, bool& refused,
                                            std::string& reason) {
    using dom::element_type;
    const element_type type = value.type();
    auto refuse = [&](std::string_view expected) {
        refused = true;
        reason = fmt::format("'{}' must be {}", field, expected);
        return Status{};
    };
    auto required_string = [&](std::string_view& out) -> Status {
        if (type == element_type::NULL_VALUE) return {};
        if (type != element_type::STRING) return refuse("a string");
        out = value.get_string().value_unsafe();
        return {};
    };
    auto lenient_string = [&](std::string_view& out) -> Status {
        if (type == element_type::STRING) out = value.get_string().value_unsafe();
        return {};
    };
    auto number = [&](std::uint64_t& out) -> Status {
        switch (type) {
            case element_type::NULL_VALUE: return {};
            case element_type::UINT64: out = value.get_uint64().value_unsafe(); return {};
            case element_type::INT64: {
                const auto signed_value = value.get_int64().value_unsafe();
                if (signed_value < 0) return refuse("a non-negative integer");
                out = static_cast<std::uint64_t>(signed_value);
                return {};
            }
            case element_type::STRING: {
                const auto text = value.get_string().value_unsafe();
                if (!text.empty() && text.size() < 19 &&
                    std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                    out = std::stoull(std::string(text));
                    return {};
                }
                return refuse("a non-negative integer");
            }
            default: return refuse("a non-negative integer");
        }
    };
    auto timestamp = [&](std::uint64_t& out) -> Status {
        if (type == element_type::DOUBLE) {
            const double parsed = value.get_double().value_unsafe();
            if (!(parsed >= 0) || parsed > 1e17) return refuse("a non-negative number");
            // Fractional timestamps are seconds (Python's time.time()).
            out = parsed <= 253402300799.0 ? static_cast<std::uint64_t>(std::llround(parsed * 1000))
                                           : static_cast<std::uint64_t>(parsed);
            return {};
        }
        std::uint64_t raw_value = 0;
        if (auto read = number(raw_value); !read || refused) return read;
        out = normalize_timestamp(raw_value);
        return {};
    };
    auto string_list = [&](std::vector<std::string_view>& out) -> Status {
        if (type == element_type::NULL_VALUE) return {};
        if (type != element_type::ARRAY) return refuse("a list of strings");
        dom::array array;
        if (value.get_array().get(array) != simdjson::SUCCESS) return refuse("a list of strings");
        for (auto item : array) {
            std::string_view text;
            if (item.get_string().get(text) != simdjson::SUCCESS) return refuse("a list of strings");
            out.push_back(text);
        }
        return {};
    };
    auto feature_list = [&](std::vector<std::string_view>& out) -> Status {
        if (type == element_type::NULL_VALUE) return {};
        if (type == element_type::STRING) {
            split_features(value.get_string().value_unsafe(), out);
            return {};
        }
        if (type != element_type::ARRAY) return refuse("a string or a list of strings");
        dom::array array;
        if (value.get_array().get(array) != simdjson::SUCCESS) return refuse("a list of strings");
        for (auto item : array) {
            std::string_view text;
            if (item.get_string().get(text) != simdjson::SUCCESS) return refuse("a string or a list of strings");
            split_features(text, out);
        }
        return {};
    };
    auto digest = [&](std::uint8_t* out, std::size_t bytes, bool& has) -> Status {
        if (type == element_type::STRING) has = decode_hex_digest(value.get_string().value_unsafe(), out, bytes);
        return {};
    };

    switch (field.size()) {
        case 2:
            if (field == "fn") return lenient_string(raw.fn);
            break;
        case 3:
            if (field == "md5") return digest(raw.md5.data(), 16, raw.has_md5);
            if (field == "url") {
                std::string_view url;
                lenient_string(url);
                if (url.find('@') != std::string_view::npos || url.find("/t/") != std::string_view::npos) {
                    stripped_url = strip_credentials(url);
                    url = stripped_url;
                }
                raw.url = url;
                return {};
            }
            break;
        case 4:
            if (field == "name") return required_string(raw.name);
            if (field == "size") return number(raw.size);
            break;
        case 5:
            if (field == "build") return required_string(raw.build);
            break;
        case 6:
            if (field == "subdir") return lenient_string(raw.subdir);
            if (field == "sha256") return digest(raw.sha256.data(), 32, raw.has_sha256);
            if (field == "noarch") {
                if (type == element_type::NULL_VALUE) return {};
                if (type == element_type::BOOL) {
                    raw.noarch = value.get_bool().value_unsafe() ? conda::NoArchType::Generic : conda::NoArchType::None;
                    return {};
                }
                if (type == element_type::STRING) {
                    const auto text = value.get_string().value_unsafe();
                    if (text.empty()) return {};
                    if (text == "generic") {
                        raw.noarch = conda::NoArchType::Generic;
                        return {};
                    }
                    if (text == "python") {
                        raw.noarch = conda::NoArchType::Python;
                        return {};
                    }
                }
                return refuse("\"generic\", \"python\", true or empty");
            }
            break;
        case 7:
            if (field == "version") return required_string(raw.version);
            if (field == "depends") return string_list(raw.depends);
            if (field == "license") return lenient_string(raw.license);
            break;
        case 8:
            if (field == "features") return feature_list(raw.features);
            break;
        case 9:
            if (field == "timestamp") return timestamp(raw.timestamp);
            break;
        case 10:
            if (field == "constrains") return string_list(raw.constrains);
            break;
        case 12:
            if (field == "build_number") return number(raw.build_number);
            break;
        case 14:
            if (field == "license_family") return lenient_string(raw.license_family);
            if (field == "track_features") return feature_list(raw.track_features);
            break;
        case 25:
            if (field == "python_site_packages_path") return lenient_string(raw.python_site_packages_path);
            break;
        default: break;
    }
    return {};
}

Status JsonStreamParser::Impl::parse_record(const char* data, std::size_t size) {
    raw.clear();
    raw.filename = filename;
    dom::object object;
    auto error = parser.parse(data, size, false).get_object().get(object);
    if (error) {
        if (is_skippable(error)) {
            warn_skipped(simdjson::error_message(error));
            return {};
        }
        return fail(ErrorKind::Input, fmt::format("invalid repodata JSON in record '{}' (at byte {}): {}", filename,
                                                  offset(static_cast<std::size_t>(data - buffer.get())),
                                                  simdjson::error_message(error)));
    }
    bool refused = false;
    std::string reason;
    for (auto [name, value] : object) {
        if (auto handled = record_field(name, value, refused, reason); !handled) return handled;
        if (refused) {
            warn_skipped(reason);
            return {};
        }
    }
    if (auto added = builder.add(raw); !added) {
        warn_skipped(added.error().message);
    } else {
        records.fetch_add(1, std::memory_order_relaxed);
    }
    return {};
}

Status JsonStreamParser::Impl::run() {
    while (true) {
        std::size_t at = begin;
        switch (state) {
            case Top::Start:
                if (!skip_space(at)) return begin = at, Status{};
                if (buffer[at] != '{') return syntax(at, "'{' at the start of a repodata document");
                begin = at + 1;
                state = Top::KeyOrEnd;
                break;
            case Top::KeyOrEnd:
            case Top::Key: {
                if (!skip_space(at)) return begin = at, Status{};
                if (state == Top::KeyOrEnd && buffer[at] == '}') {
                    begin = at + 1;
                    state = Top::Done;
                    break;
                }
                if (buffer[at] != '"') return syntax(at, "a key");
                std::string name;
                std::size_t next = 0;
                bool complete = false;
                if (auto read = read_key(at, name, next, complete); !read) return read;
                if (!complete) return begin = at, Status{};
                key = name == "packages" || name == "packages.conda" ? TopKey::Packages
                      : name == "info"                               ? TopKey::Info
                      : name == "repodata_version"                   ? TopKey::RepodataVersion
                                                                     : TopKey::Other;
                begin = next;
                state = Top::Colon;
                break;
            }
            case Top::Colon:
                if (!skip_space(at)) return begin = at, Status{};
                if (buffer[at] != ':') return syntax(at, "':'");
                begin = at + 1;
                state = Top::Value;
                break;
            case Top::Value: {
                if (!skip_space(at)) return begin = at, Status{};
                const char c = buffer[at];
                if (key == TopKey::Packages) {
                    if (c != '{') return syntax(at, "an object of records after \"packages\"");
                    begin = at + 1;
                    state = Top::RecordKeyOrEnd;
                    break;
                }
                if (key == TopKey::Info && c == '{') {
                    const char* stop = find_object_end(buffer.get() + at, buffer.get() + end);
                    if (!stop) {
                        if (end - at > kMaxWindow) return fail(ErrorKind::Input, "the 'info' block is larger than 16 MiB");
                        return begin = at, Status{};
                    }
                    const auto size = static_cast<std::size_t>(stop - (buffer.get() + at));
                    if (auto parsed = parse_info(buffer.get() + at, size); !parsed) return parsed;
                    begin = at + size;
                    state = Top::CommaOrEnd;
                    break;
                }
                if (key == TopKey::RepodataVersion && c >= '0' && c <= '9') {
                    std::size_t stop = at;
                    while (stop < end && buffer[stop] >= '0' && buffer[stop] <= '9') ++stop;
                    if (stop == end) return begin = at, Status{};
                    const std::string_view digits(buffer.get() + at, stop - at);
                    repodata_version = digits.size() < 9 ? static_cast<std::uint32_t>(std::stoul(std::string(digits))) : 0;
                    begin = stop;
                    state = Top::CommaOrEnd;
                    break;
                }
                begin = at;
                skip_started = false;
                after_skip = Top::CommaOrEnd;
                state = Top::SkipValue;
                break;
            }
            case Top::SkipValue: {
                auto done = skip_value();
                if (!done) return fail(std::move(done.error()));
                if (!*done) return {};
                state = after_skip;
                break;
            }
            case Top::CommaOrEnd:
                if (!skip_space(at)) return begin = at, Status{};
                if (buffer[at] == ',') {
                    state = Top::Key;
                } else if (buffer[at] == '}') {
                    state = Top::Done;
                } else {
                    return syntax(at, "',' or '}'");
                }
                begin = at + 1;
                break;
            case Top::RecordKeyOrEnd:
            case Top::RecordKey: {
                if (!skip_space(at)) return begin = at, Status{};
                if (state == Top::RecordKeyOrEnd && buffer[at] == '}') {
                    begin = at + 1;
                    state = Top::CommaOrEnd;
                    break;
                }
                if (buffer[at] != '"') return syntax(at, "a record's file name");
                std::size_t next = 0;
                bool complete = false;
                if (auto read = read_key(at, filename, next, complete); !read) return read;
                if (!complete) return begin = at, Status{};
                begin = next;
                state = Top::RecordColon;
                break;
            }
            case Top::RecordColon:
                if (!skip_space(at)) return begin = at, Status{};
                if (buffer[at] != ':') return syntax(at, "':'");
                begin = at + 1;
                state = Top::RecordValue;
                break;
            case Top::RecordValue: {
                if (!skip_space(at)) return begin = at, Status{};
                if (buffer[at] != '{') {
                    warn_skipped("not a JSON object");
                    begin = at;
                    skip_started = false;
                    after_skip = Top::RecordCommaOrEnd;
                    state = Top::SkipValue;
                    break;
                }
                const char* stop = find_object_end(buffer.get() + at, buffer.get() + end);
                if (!stop) {
                    if (end - at > kMaxWindow)
                        return fail(ErrorKind::Input, fmt::format("record '{}' is larger than 16 MiB", filename));
                    return begin = at, Status{};
                }
                const auto size = static_cast<std::size_t>(stop - (buffer.get() + at));
                if (auto parsed = parse_record(buffer.get() + at, size); !parsed) return parsed;
                begin = at + size;
                state = Top::RecordCommaOrEnd;
                break;
            }
            case Top::RecordCommaOrEnd:
                if (!skip_space(at)) return begin = at, Status{};
                if (buffer[at] == ',') {
                    state = Top::RecordKey;
                } else if (buffer[at] == '}') {
                    state = Top::CommaOrEnd;
                } else {
                    return syntax(at, "',' or '}' between records");
                }
                begin = at + 1;
                break;
            case Top::Done:
                if (!skip_space(at)) return begin = at, Status{};
                return syntax(at, "the end of the document");
        }
    }
}

JsonStreamParser::JsonStreamParser(StoreBuilder& builder, std::function<void(const std::string&)> on_warning)
    : impl_(std::make_unique<Impl>(builder, std::move(on_warning))) {}
JsonStreamParser::JsonStreamParser(JsonStreamParser&&) noexcept = default;
JsonStreamParser& JsonStreamParser::operator=(JsonStreamParser&&) noexcept = default;
JsonStreamParser::~JsonStreamParser() = default;

std::span<char> JsonStreamParser::writable(std::size_t minimum) { return impl_->writable(minimum); }

Status JsonStreamParser::commit(std::size_t count) {
    auto& impl = *impl_;
    // Bytes past the data must look like whitespace for the scanners' look-ahead.
    impl.end += count;
    std::memset(impl.buffer.get() + impl.end, ' ', kPadding);
    return impl.run();
}

Status JsonStreamParser::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        const auto take = std::min<std::size_t>(bytes.size(), 1 << 20);
        auto space = writable(take);
        std::memcpy(space.data(), bytes.data(), take);
        if (auto parsed = commit(take); !parsed) return parsed;
        bytes.remove_prefix(take);
    }
    return {};
}

Status JsonStreamParser::finish() {
    auto& impl = *impl_;
    std::size_t at = impl.begin;
    impl.skip_space(at);
    if (impl.state != Top::Done) {
        if (impl.state == Top::Start && at == impl.end && impl.dropped + impl.end == 0)
            return fail(ErrorKind::Input, "the repodata document is empty");
        return fail(ErrorKind::Input, fmt::format("the repodata JSON ends too early (at byte {})", impl.offset(impl.end)));
    }
    if (at != impl.end) return impl.syntax(at, "the end of the document");
    if (impl.on_warning && impl.skipped > kWarnedRecords)
        impl.on_warning(fmt::format("skipped {} more invalid records", impl.skipped - kWarnedRecords));
    impl.builder.set_info(impl.info_subdir, impl.info_base_url, impl.repodata_version);
    return {};
}

void JsonStreamParser::reset() {
    auto& impl = *impl_;
    impl.begin = impl.end = 0;
    impl.dropped = 0;
    impl.state = Top::Start;
    impl.records = 0;
    impl.skipped = 0;
    impl.info_subdir.clear();
    impl.info_base_url.clear();
    impl.repodata_version = 0;
}

std::uint64_t JsonStreamParser::records() const { return impl_->records.load(std::memory_order_relaxed); }
std::uint64_t JsonStreamParser::bytes_parsed() const { return impl_->dropped + impl_->begin; }

Result<Store> parse_repodata_json(std::string_view json, std::function<void(const std::string&)> on_warning) {
    StoreBuilder builder;
    JsonStreamParser parser(builder, std::move(on_warning));
    if (auto parsed = parser.feed(json); !parsed) return fail(std::move(parsed.error()));
    if (auto finished = parser.finish(); !finished) return fail(std::move(finished.error()));
    return builder.finish_in_memory(0);
}

}  // namespace envctl::repodata
