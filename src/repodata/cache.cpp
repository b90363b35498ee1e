#include "envctl/repodata/cache.hpp"

#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/repodata/store.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"
#include "format.hpp"

namespace envctl::repodata {

namespace {

using json = nlohmann::json;

json file_json(const CachedFile& file) {
    return json{{"file", file.file},
                {"etag", file.etag},
                {"last_modified", file.last_modified},
                {"cache_control", file.cache_control},
                {"fetched_at", file.fetched_at},
                {"checked_at", file.checked_at},
                {"size", file.size},
                {"mtime_ns", file.mtime_ns}};
}

template <class T>
void read_field(const json& object, const char* key, T& out) {
    const auto it = object.find(key);
    if (it == object.end()) return;
    if constexpr (std::is_same_v<T, std::string>) {
        if (it->is_string()) out = it->get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
        if (it->is_boolean()) out = it->get<bool>();
    } else {
        if (it->is_number_integer()) out = it->get<T>();
    }
}

CachedFile file_from_json(const json& object) {
    CachedFile file;
    if (!object.is_object()) return file;
    read_field(object, "file", file.file);
    read_field(object, "etag", file.etag);
    read_field(object, "last_modified", file.last_modified);
    read_field(object, "cache_control", file.cache_control);
    read_field(object, "fetched_at", file.fetched_at);
    read_field(object, "checked_at", file.checked_at);
    read_field(object, "size", file.size);
    read_field(object, "mtime_ns", file.mtime_ns);
    // Only our own file names: never a path taken from the state file.
    static const char* const known[] = {"repodata.json.zst", "repodata.json", "repodata.json.bz2",
                                        "repodata_shards.msgpack.zst"};
    if (std::find(std::begin(known), std::end(known), file.file) == std::end(known)) file = CachedFile{};
    return file;
}

}  // namespace

std::string cache_state_json(const CacheState& state) {
    json variants = json::object();
    for (const auto& [name, check] : state.variants)
        variants[name] = json{{"available", check.available}, {"checked_at", check.checked_at}};
    json document{{"url", strip_credentials(state.url)},
                  {"repodata", file_json(state.repodata)},
                  {"shard_index", file_json(state.shard_index)},
                  {"variants", variants}};
    return document.dump(2) + "\n";
}

Result<CacheState> parse_cache_state(std::string_view text) {
    auto document = json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return fail(ErrorKind::Input, "the repodata cache state is not a JSON object");
    CacheState state;
    read_field(document, "url", state.url);
    if (auto it = document.find("repodata"); it != document.end()) state.repodata = file_from_json(*it);
    if (auto it = document.find("shard_index"); it != document.end()) state.shard_index = file_from_json(*it);
    if (auto it = document.find("variants"); it != document.end() && it->is_object()) {
        for (const auto& [name, value] : it->items()) {
            if (!value.is_object()) continue;
            VariantCheck check;
            read_field(value, "available", check.available);
            read_field(value, "checked_at", check.checked_at);
            state.variants[name] = check;
        }
    }
    return state;
}

CacheState read_cache_state(const std::filesystem::path& file, std::string* problem) {
    std::error_code error;
    if (!std::filesystem::exists(file, error)) return {};
    auto text = read_file(file);
    if (!text) {
        if (problem) *problem = text.error().message;
        return {};
    }
    auto state = parse_cache_state(*text);
    if (!state) {
        if (problem) *problem = fmt::format("{}: {}", file.string(), state.error().message);
        return {};
    }
    return *state;
}

Status write_cache_state(const std::filesystem::path& file, const CacheState& state) {
    return write_file_atomic(file, cache_state_json(state));
}

std::string cache_folder_name(std::string_view subdir_url) {
    auto clean = strip_credentials(subdir_url);
    while (!clean.empty() && clean.back() == '/') clean.pop_back();
    return sha256_hex(clean).substr(0, 16);
}

std::optional<std::int64_t> cache_max_age(std::string_view cache_control) {
    const auto lower = to_lower(cache_control);
    if (lower.find("no-store") != std::string::npos || lower.find("no-cache") != std::string::npos) return 0;
    for (auto part : split(lower, ',')) {
        part = trim(part);
        if (!part.starts_with("max-age")) continue;
        part.remove_prefix(7);
        part = trim(part);
        if (part.empty() || part.front() != '=') continue;
        part = trim(part.substr(1));
        if (!part.empty() && part.front() == '"') part = part.substr(1, part.size() >= 2 ? part.size() - 2 : 0);
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (error == std::errc() && value >= 0) return value;
    }
    return std::nullopt;
}

bool is_fresh(const CachedFile& file, int ttl, std::int64_t now) {
    if (file.file.empty() || ttl <= 0 || file.checked_at <= 0) return false;
    if (now < file.checked_at) return false;  // a clock that went backwards: ask again
    std::int64_t lifetime = ttl;
    if (ttl == 1) lifetime = cache_max_age(file.cache_control).value_or(0);
    return now - file.checked_at < lifetime;
}

std::uint64_t store_key(std::string_view url, const CachedFile& file) {
    detail::FastHash hash(Store::format_version);
    const auto add = [&hash](std::string_view text) {
        const std::uint64_t size = text.size();
        hash.update(&size, sizeof(size));
        hash.update(text.data(), text.size());
    };
    add(strip_credentials(url));
    add(file.file);
    add(file.etag);
    add(file.last_modified);
    hash.update(&file.size, sizeof(file.size));
    hash.update(&file.mtime_ns, sizeof(file.mtime_ns));
    return hash.digest();
}

}  // namespace envctl::repodata
