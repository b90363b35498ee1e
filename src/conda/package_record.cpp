#include "envctl/conda/package_record.hpp"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::conda {

namespace {

using json = nlohmann::json;

// Largest value taken as seconds: 9999-12-31T23:59:59Z. conda uses the same cut-off.
constexpr std::uint64_t kLastSecondTimestamp = 253402300799ULL;

struct Reader {
    const json& object;
    std::string_view label;  // the file name, for messages

    tl::unexpected<Error> error(std::string_view key, std::string_view expected) const {
        return fail(ErrorKind::Input, fmt::format("invalid package record{}{}: '{}' must be {}", label.empty() ? "" : " ",
                                                  label, key, expected));
    }

    const json* find(std::string_view key) const {
        const auto it = object.find(key);
        return it == object.end() || it->is_null() ? nullptr : &*it;
    }

    // Strings; a missing or null key is empty.
    Result<std::string> string(std::string_view key) const {
        const auto* value = find(key);
        if (!value) return std::string();
        if (!value->is_string()) return error(key, "a string");
        return value->get<std::string>();
    }

    // Optional free-text fields: anything that is not a string is ignored.
    std::string lenient_string(std::string_view key) const {
        const auto* value = find(key);
        return value && value->is_string() ? value->get<std::string>() : std::string();
    }

    Result<std::uint64_t> unsigned_number(std::string_view key) const {
        const auto* value = find(key);
        if (!value) return std::uint64_t{0};
        if (value->is_number_unsigned()) return value->get<std::uint64_t>();
        if (value->is_number_integer() && value->get<std::int64_t>() >= 0) return static_cast<std::uint64_t>(value->get<std::int64_t>());
        if (value->is_string() && is_ascii_digits(value->get_ref<const std::string&>()) && value->get_ref<const std::string&>().size() < 19)
            return static_cast<std::uint64_t>(std::stoull(value->get<std::string>()));
        return error(key, "a non-negative integer");
    }

    Result<std::vector<std::string>> string_list(std::string_view key) const {
        std::vector<std::string> out;
        const auto* value = find(key);
        if (!value) return out;
        if (!value->is_array()) return error(key, "a list of strings");
        out.reserve(value->size());
        for (const auto& item : *value) {
            if (!item.is_string()) return error(key, "a list of strings");
            out.push_back(item.get<std::string>());
        }
        return out;
    }

    // "a,b c" or ["a", " b "] -> {"a", "b"}.
    Result<std::vector<std::string>> feature_list(std::string_view key) const {
        std::vector<std::string> out;
        const auto* value = find(key);
        if (!value) return out;
        auto add_all = [&out](std::string_view text) {
            std::string spaced(text);
            for (auto& c : spaced)
                if (c == ',') c = ' ';
            for (const auto part : split_whitespace(spaced)) out.emplace_back(part);
        };
        if (value->is_string()) {
            add_all(value->get_ref<const std::string&>());
        } else if (value->is_array()) {
            for (const auto& item : *value) {
                if (!item.is_string()) return error(key, "a string or a list of strings");
                add_all(item.get_ref<const std::string&>());
            }
        } else {
            return error(key, "a string or a list of strings");
        }
        return out;
    }

    Result<NoArchType> noarch() const {
        const auto* value = find("noarch");
        if (!value) return NoArchType::None;
        if (value->is_boolean()) return value->get<bool>() ? NoArchType::Generic : NoArchType::None;
        if (value->is_string()) {
            const auto& text = value->get_ref<const std::string&>();
            if (text.empty()) return NoArchType::None;
            if (text == "generic") return NoArchType::Generic;
            if (text == "python") return NoArchType::Python;
        }
        return error("noarch", "\"generic\", \"python\", true or empty");
    }

    Result<std::uint64_t> timestamp() const {
        const auto* value = find("timestamp");
        if (!value) return std::uint64_t{0};
        std::uint64_t raw = 0;
        if (value->is_number_float()) {
            const double number = value->get<double>();
            if (!(number >= 0) || number > 1e17) return error("timestamp", "a non-negative number");
            // Fractional values are seconds (Python's time.time()).
            if (number <= static_cast<double>(kLastSecondTimestamp)) return static_cast<std::uint64_t>(std::llround(number * 1000));
            raw = static_cast<std::uint64_t>(number);
        } else {
            auto number = unsigned_number("timestamp");
            if (!number) return number;
            raw = *number;
        }
        return raw <= kLastSecondTimestamp ? raw * 1000 : raw;
    }

    // Lowercase hex of the right length, else unknown (mock repodata has placeholders).
    std::string digest(std::string_view key, std::size_t bytes) const {
        auto text = to_lower(lenient_string(key));
        return is_hex_digest(text, bytes) ? text : std::string();
    }
};

std::string canonical_channel(std::string_view channel) {
    if (channel.find("://") == std::string_view::npos) return std::string(channel);
    auto clean = strip_credentials(channel);
    while (clean.size() > 1 && clean.back() == '/') clean.pop_back();
    // conda-meta files written by older tools keep the subdir in `channel`.
    return std::string(split_channel_subdir(clean).first);
}

}  // namespace

std::string_view noarch_name(NoArchType type) {
    switch (type) {
        case NoArchType::Generic: return "generic";
        case NoArchType::Python: return "python";
        case NoArchType::None: break;
    }
    return "";
}

std::string PackageRecord::dist_name() const { return fmt::format("{}-{}-{}", name, version.str(), build); }

Result<PackageRecord> record_from_json(const json& object, std::string_view filename, const RecordOrigin& origin) {
    const Reader read{object, filename};
    if (!object.is_object()) return fail(ErrorKind::Input, fmt::format("invalid package record {}: expected a JSON object", filename));
    PackageRecord record;

#define ENVCTL_READ(target, expression)                                \
    do {                                                               \
        auto value_ = (expression);                                    \
        if (!value_) return tl::unexpected(std::move(value_.error())); \
        (target) = std::move(*value_);                                 \
    } while (false)

    ENVCTL_READ(record.name, read.string("name"));
    if (record.name.empty()) return read.error("name", "a non-empty string");
    std::string version_text;
    ENVCTL_READ(version_text, read.string("version"));
    if (version_text.empty()) return read.error("version", "a non-empty string");
    auto version = Version::parse(version_text);
    if (!version) {
        return fail(ErrorKind::Input, fmt::format("invalid package record {}: {}", filename.empty() ? record.name : std::string(filename),
                                                  version.error().message));
    }
    record.version = std::move(*version);
    ENVCTL_READ(record.build, read.string("build"));
    ENVCTL_READ(record.build_number, read.unsigned_number("build_number"));
    ENVCTL_READ(record.depends, read.string_list("depends"));
    ENVCTL_READ(record.constrains, read.string_list("constrains"));
    ENVCTL_READ(record.track_features, read.feature_list("track_features"));
    ENVCTL_READ(record.features, read.feature_list("features"));
    ENVCTL_READ(record.noarch, read.noarch());
    ENVCTL_READ(record.size, read.unsigned_number("size"));
    ENVCTL_READ(record.timestamp, read.timestamp());
#undef ENVCTL_READ

    record.subdir = read.lenient_string("subdir");
    if (record.subdir.empty()) record.subdir = origin.subdir;
    record.license = read.lenient_string("license");
    record.license_family = read.lenient_string("license_family");
    record.python_site_packages_path = read.lenient_string("python_site_packages_path");
    record.md5 = read.digest("md5", 16);
    record.sha256 = read.digest("sha256", 32);

    record.fn = read.lenient_string("fn");
    if (record.fn.empty()) record.fn = std::string(filename);
    const auto channel = read.lenient_string("channel");
    record.channel = canonical_channel(channel.empty() ? origin.channel : channel);
    record.url = strip_credentials(read.lenient_string("url"));
    if (record.url.empty() && !record.fn.empty()) {
        if (!origin.base_url.empty()) {
            record.url = join_url(strip_credentials(origin.base_url), record.fn);
        } else if (!record.channel.empty() && !record.subdir.empty() && record.channel.find("://") != std::string::npos) {
            record.url = join_url(join_url(record.channel, record.subdir), record.fn);
        }
    }
    return record;
}

json to_json(const PackageRecord& record) {
    json out = json::object();
    out["name"] = record.name;
    out["version"] = record.version.str();
    out["build"] = record.build;
    out["build_number"] = record.build_number;
    out["depends"] = record.depends;
    out["constrains"] = record.constrains;
    out["subdir"] = record.subdir;
    out["channel"] = record.channel;
    out["fn"] = record.fn;
    out["url"] = record.url;
    out["md5"] = record.md5;
    out["sha256"] = record.sha256;
    out["size"] = record.size;
    out["timestamp"] = record.timestamp;
    if (record.noarch != NoArchType::None) out["noarch"] = noarch_name(record.noarch);
    if (!record.track_features.empty()) out["track_features"] = join(record.track_features, ",");
    if (!record.features.empty()) out["features"] = join(record.features, " ");
    if (!record.license.empty()) out["license"] = record.license;
    if (!record.license_family.empty()) out["license_family"] = record.license_family;
    if (!record.python_site_packages_path.empty()) out["python_site_packages_path"] = record.python_site_packages_path;
    return out;
}

std::optional<ArchiveName> parse_archive_name(std::string_view filename) {
    ArchiveName parts;
    std::string_view stem;
    for (const std::string_view extension : {std::string_view(".conda"), std::string_view(".tar.bz2")}) {
        if (filename.size() > extension.size() && filename.substr(filename.size() - extension.size()) == extension) {
            stem = filename.substr(0, filename.size() - extension.size());
            parts.extension = std::string(extension);
        }
    }
    if (stem.empty()) return std::nullopt;
    const auto last = stem.rfind('-');
    if (last == std::string_view::npos || last == 0) return std::nullopt;
    const auto middle = stem.rfind('-', last - 1);
    if (middle == std::string_view::npos || middle == 0 || middle + 1 == last || last + 1 == stem.size()) return std::nullopt;
    parts.name = std::string(stem.substr(0, middle));
    parts.version = std::string(stem.substr(middle + 1, last - middle - 1));
    parts.build = std::string(stem.substr(last + 1));
    return parts;
}

}  // namespace envctl::conda
