#include "envctl/pypi/metadata.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "envctl/pypi/name.hpp"
#include "envctl/util/ascii.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::pypi {

namespace {

Error located(std::string_view source, std::size_t line, std::size_t column, std::string message) {
    return Error{ErrorKind::Input, std::move(message), Location{std::string(source), line, column}, {}};
}

// Splits into lines without their "\n" or "\r\n".
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        auto line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

// The legacy Description field indents continuation lines with 8 spaces (setuptools), or with
// 7 spaces and "|" (PEP 314); the indentation is not part of the text.
std::string_view description_continuation(std::string_view line) {
    std::size_t strip = 0;
    while (strip < 8 && strip < line.size() && (line[strip] == ' ' || line[strip] == '\t')) ++strip;
    if (strip >= 7 && strip < line.size() && line[strip] == '|') ++strip;
    return line.substr(strip);
}

Result<std::uint64_t> parse_count(std::string_view text) {
    if (text.empty() || !is_ascii_digits(text) || text.size() > 19)
        return fail(ErrorKind::Input, fmt::format("expected a number, found '{}'", text));
    return std::stoull(std::string(text));
}

}  // namespace

Result<HeaderDocument> HeaderDocument::parse(std::string_view text, std::string_view source) {
    HeaderDocument document;
    const auto lines = lines_of(text);
    std::size_t index = 0;
    for (; index < lines.size(); ++index) {
        const auto line = lines[index];
        const auto number = index + 1;
        if (line.empty()) {
            ++index;
            break;
        }
        if (line.front() == ' ' || line.front() == '\t') {
            if (document.fields.empty())
                return fail(located(source, number, 1, "a continuation line comes before any field"));
            auto& field = document.fields.back();
            field.value.push_back('\n');
            field.value += ascii_iequals(field.name, "Description") ? description_continuation(line) : trim(line);
            continue;
        }
        const auto colon = line.find(':');
        const auto name = colon == std::string_view::npos ? std::string_view{} : line.substr(0, colon);
        if (name.empty() || std::any_of(name.begin(), name.end(), [](char c) { return c == ' ' || c == '\t'; }))
            return fail(located(source, number, 1, fmt::format("expected 'Name: value', found '{}'", line)));
        auto value_start = colon + 1;
        while (value_start < line.size() && (line[value_start] == ' ' || line[value_start] == '\t')) ++value_start;
        document.fields.push_back(HeaderField{std::string(name), std::string(trim(line.substr(value_start))), number,
                                              value_start + 1});
    }
    for (std::size_t i = index; i < lines.size(); ++i) {
        document.body += lines[i];
        if (i + 1 < lines.size() || (!text.empty() && text.back() == '\n')) document.body.push_back('\n');
    }
    return document;
}

std::optional<std::string_view> HeaderDocument::get(std::string_view name) const {
    for (const auto& field : fields) {
        if (ascii_iequals(field.name, name)) return std::string_view(field.value);
    }
    return std::nullopt;
}

std::vector<std::string_view> HeaderDocument::get_all(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& field : fields) {
        if (ascii_iequals(field.name, name)) values.emplace_back(field.value);
    }
    return values;
}

Result<CoreMetadata> CoreMetadata::parse(std::string_view text, std::string_view source) {
    auto headers = HeaderDocument::parse(text, source);
    if (!headers) return fail(std::move(headers.error()));
    CoreMetadata metadata;
    auto required = [&](std::string_view field) -> Result<const HeaderField*> {
        for (const auto& f : headers->fields) {
            if (ascii_iequals(f.name, field)) return &f;
        }
        return fail(located(source, 0, 0, fmt::format("the required field {} is missing", field)));
    };

    auto metadata_version = required("Metadata-Version");
    if (!metadata_version) return fail(std::move(metadata_version.error()));
    const auto& mv = **metadata_version;
    auto parsed_mv = Version::parse(mv.value);
    // Newer minor versions stay readable; a new major version may change meanings.
    if (!parsed_mv || parsed_mv->release().size() != 2 || parsed_mv->release()[0] < 1 ||
        parsed_mv->release()[0] > 2 || parsed_mv->to_string() != mv.value)
        return fail(located(source, mv.line, mv.column,
                            fmt::format("unsupported Metadata-Version '{}': envctl reads versions 1.0 to 2.x",
                                        mv.value)));
    metadata.metadata_version = mv.value;

    auto name = required("Name");
    if (!name) return fail(std::move(name.error()));
    if (!is_valid_name((*name)->value))
        return fail(located(source, (*name)->line, (*name)->column,
                            fmt::format("invalid Name '{}': expected letters, digits, '-', '_' and '.'",
                                        (*name)->value)));
    metadata.name = (*name)->value;

    auto version = required("Version");
    if (!version) return fail(std::move(version.error()));
    auto parsed_version = Version::parse((*version)->value);
    if (!parsed_version)
        return fail(located(source, (*version)->line, (*version)->column, parsed_version.error().message));
    metadata.version = std::move(*parsed_version);

    for (const auto& field : headers->fields) {
        if (ascii_iequals(field.name, "Requires-Dist")) {
            auto requirement = Requirement::parse(field.value);
            if (!requirement) {
                const auto column = field.column - 1 + requirement.error().location.value_or(Location{}).column;
                return fail(located(source, field.line, column,
                                    fmt::format("in Requires-Dist: {}", requirement.error().message)));
            }
            metadata.requires_dist.push_back(std::move(*requirement));
        } else if (ascii_iequals(field.name, "Requires-Python")) {
            auto specifier = SpecifierSet::parse(field.value);
            if (!specifier)
                return fail(located(source, field.line, field.column,
                                    fmt::format("in Requires-Python: {}", specifier.error().message)));
            metadata.requires_python = std::move(*specifier);
        } else if (ascii_iequals(field.name, "Provides-Extra")) {
            if (field.value.empty())
                return fail(located(source, field.line, field.column, "Provides-Extra needs a name"));
            metadata.provides_extra.push_back(normalize_name(field.value));
        } else if (ascii_iequals(field.name, "Summary") && metadata.summary.empty()) {
            metadata.summary = field.value;
        }
    }
    metadata.description = headers->body;
    if (trim(metadata.description).empty()) metadata.description = std::string(headers->get("Description").value_or(""));
    metadata.headers = std::move(*headers);
    return metadata;
}

std::string CoreMetadata::normalized_name() const { return normalize_name(name); }

std::vector<Requirement> CoreMetadata::dependencies(const MarkerEnvironment& environment) const {
    std::vector<Requirement> out;
    for (const auto& requirement : requires_dist) {
        if (requirement.applies_to(environment)) out.push_back(requirement);
    }
    return out;
}

Result<WheelInfo> WheelInfo::parse(std::string_view text, std::string_view source) {
    auto headers = HeaderDocument::parse(text, source);
    if (!headers) return fail(std::move(headers.error()));
    WheelInfo info;
    bool have_version = false;
    for (const auto& field : headers->fields) {
        if (ascii_iequals(field.name, "Wheel-Version")) {
            const auto parts = split(field.value, '.');
            auto major = parse_count(parts[0]);
            auto minor = parse_count(parts.size() == 2 ? parts[1] : std::string_view{});
            if (!major || !minor)
                return fail(located(source, field.line, field.column,
                                    fmt::format("invalid Wheel-Version '{}': expected MAJOR.MINOR", field.value)));
            if (*major != 1)
                return fail(located(source, field.line, field.column,
                                    fmt::format("unsupported Wheel-Version {}: envctl installs version 1 wheels",
                                                field.value)));
            info.version_major = *major;
            info.version_minor = *minor;
            have_version = true;
        } else if (ascii_iequals(field.name, "Root-Is-Purelib")) {
            const auto value = to_lower(field.value);
            if (value != "true" && value != "false")
                return fail(located(source, field.line, field.column,
                                    fmt::format("invalid Root-Is-Purelib '{}': expected true or false", field.value)));
            info.root_is_purelib = value == "true";
        } else if (ascii_iequals(field.name, "Tag")) {
            auto tags = parse_tags(field.value);
            if (!tags) return fail(located(source, field.line, field.column, tags.error().message));
            info.tags.insert(info.tags.end(), tags->begin(), tags->end());
        } else if (ascii_iequals(field.name, "Generator")) {
            info.generator = field.value;
        } else if (ascii_iequals(field.name, "Build")) {
            info.build = field.value;
        }
    }
    if (!have_version) return fail(located(source, 0, 0, "the required field Wheel-Version is missing"));
    return info;
}

std::string EntryPoint::object_reference() const { return attribute.empty() ? module : module + ":" + attribute; }

Result<std::vector<EntryPoint>> parse_entry_points(std::string_view text, std::string_view source) {
    std::vector<EntryPoint> entries;
    std::optional<std::string> group;
    const auto lines = lines_of(text);
    for (std::size_t index = 0; index < lines.size(); ++index) {
        const auto number = index + 1;
        const auto line = trim(lines[index]);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.front() == '[') {
            if (line.back() != ']' || trim(line.substr(1, line.size() - 2)).empty())
                return fail(located(source, number, 1, fmt::format("expected '[group]', found '{}'", line)));
            group = std::string(trim(line.substr(1, line.size() - 2)));
            continue;
        }
        const auto equals = line.find('=');
        if (equals == std::string_view::npos)
            return fail(located(source, number, 1, fmt::format("expected 'name = module:attribute', found '{}'", line)));
        if (!group) return fail(located(source, number, 1, "an entry point comes before any [group]"));
        EntryPoint entry;
        entry.group = *group;
        entry.name = std::string(trim(line.substr(0, equals)));
        auto reference = trim(line.substr(equals + 1));
        if (entry.name.empty()) return fail(located(source, number, 1, "an entry point needs a name before '='"));
        if (const auto bracket = reference.find('['); bracket != std::string_view::npos) {
            if (reference.back() != ']')
                return fail(located(source, number, 1, fmt::format("expected ']' to end the extras in '{}'", reference)));
            for (auto extra : split(reference.substr(bracket + 1, reference.size() - bracket - 2), ',')) {
                if (!trim(extra).empty()) entry.extras.push_back(normalize_name(trim(extra)));
            }
            reference = trim(reference.substr(0, bracket));
        }
        const auto colon = reference.find(':');
        entry.module = std::string(trim(reference.substr(0, colon)));
        if (colon != std::string_view::npos) entry.attribute = std::string(trim(reference.substr(colon + 1)));
        auto invalid_part = [](std::string_view part) {
            return part.empty() || part.front() == '.' || part.back() == '.' ||
                   std::any_of(part.begin(), part.end(), [](char c) {
                       return c == ' ' || c == '\t' || c == ':' || c == '[' || c == ']' || c == '=';
                   });
        };
        if (invalid_part(entry.module) || (colon != std::string_view::npos && invalid_part(entry.attribute)))
            return fail(located(source, number, 1,
                                fmt::format("invalid object reference '{}': expected module.path or "
                                            "module.path:object.attribute",
                                            reference)));
        entries.push_back(std::move(entry));
    }
    return entries;
}

namespace {

// One CSV record as Python's csv module writes it: fields separated by ",", optionally quoted
// with '"' (a quote inside doubled); a quoted field may span lines.
class CsvReader {
public:
    explicit CsvReader(std::string_view text) : text_(text) {}
    bool done() const { return pos_ >= text_.size(); }
    std::size_t line() const { return line_; }

    Result<std::vector<std::string>> row() {
        std::vector<std::string> fields(1);
        bool quoted = false;
        bool was_quoted = false;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (quoted) {
                if (c == '"') {
                    if (pos_ < text_.size() && text_[pos_] == '"') {
                        fields.back().push_back('"');
                        ++pos_;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') ++line_;
                    fields.back().push_back(c);
                }
            } else if (c == '"' && fields.back().empty() && !was_quoted) {
                quoted = was_quoted = true;
            } else if (c == ',') {
                fields.emplace_back();
                was_quoted = false;
            } else if (c == '\n' || (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n')) {
                if (c == '\r') ++pos_;
                ++line_;
                return fields;
            } else if (was_quoted) {
                return fail(ErrorKind::Input, "unexpected text after a closing quote");
            } else {
                fields.back().push_back(c);
            }
        }
        if (quoted) return fail(ErrorKind::Input, "a quoted field is not closed");
        return fields;
    }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
};

bool needs_quotes(std::string_view field) { return field.find_first_of(",\"\r\n") != std::string_view::npos; }

void append_csv_field(std::string& out, std::string_view field) {
    if (!needs_quotes(field)) {
        out += field;
        return;
    }
    out.push_back('"');
    for (char c : field) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
}

}  // namespace

Result<std::vector<RecordEntry>> parse_record(std::string_view text, std::string_view source) {
    std::vector<RecordEntry> entries;
    CsvReader reader(text);
    while (!reader.done()) {
        const auto number = reader.line();
        auto fields = reader.row();
        if (!fields) return fail(located(source, number, 0, fields.error().message));
        if (fields->size() == 1 && fields->front().empty()) continue;
        if (fields->size() != 3)
            return fail(located(source, number, 0,
                                fmt::format("expected 3 fields (path,hash,size), found {}", fields->size())));
        RecordEntry entry;
        entry.path = std::move((*fields)[0]);
        if (entry.path.empty()) return fail(located(source, number, 0, "a RECORD row needs a path"));
        const auto& hash = (*fields)[1];
        if (!hash.empty()) {
            const auto equals = hash.find('=');
            if (equals == std::string::npos || equals == 0 || equals + 1 == hash.size())
                return fail(located(source, number, 0,
                                    fmt::format("invalid hash '{}': expected algorithm=digest", hash)));
            entry.hash_algorithm = hash.substr(0, equals);
            entry.hash_digest = hash.substr(equals + 1);
        }
        if (!(*fields)[2].empty()) {
            auto size = parse_count((*fields)[2]);
            if (!size)
                return fail(located(source, number, 0, fmt::format("invalid size '{}': {}", (*fields)[2],
                                                                    size.error().message)));
            entry.size = *size;
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

std::string format_record(std::span<const RecordEntry> entries) {
    std::string out;
    for (const auto& entry : entries) {
        append_csv_field(out, entry.path);
        out.push_back(',');
        if (!entry.hash_algorithm.empty()) append_csv_field(out, entry.hash_algorithm + "=" + entry.hash_digest);
        out.push_back(',');
        if (entry.size) out += std::to_string(*entry.size);
        out.push_back('\n');
    }
    return out;
}

namespace {
constexpr std::string_view urlsafe_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
}

std::string urlsafe_b64_encode_nopad(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const auto n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        for (int shift : {18, 12, 6, 0}) out.push_back(urlsafe_alphabet[(n >> shift) & 63]);
    }
    const auto rest = bytes.size() - i;
    if (rest == 1) {
        const auto n = byte(i) << 16;
        out.push_back(urlsafe_alphabet[(n >> 18) & 63]);
        out.push_back(urlsafe_alphabet[(n >> 12) & 63]);
    } else if (rest == 2) {
        const auto n = (byte(i) << 16) | (byte(i + 1) << 8);
        for (int shift : {18, 12, 6}) out.push_back(urlsafe_alphabet[(n >> shift) & 63]);
    }
    return out;
}

Result<std::string> urlsafe_b64_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    if (text.size() % 4 == 1)
        return fail(ErrorKind::Input, fmt::format("invalid base64 digest '{}': wrong length", text));
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : text) {
        const auto value = urlsafe_alphabet.find(c);
        if (value == std::string_view::npos)
            return fail(ErrorKind::Input,
                        fmt::format("invalid base64 digest '{}': unexpected character '{}'", text, c));
        buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    // Leftover bits must be zero, or two spellings would decode alike.
    if ((buffer & ((1u << bits) - 1)) != 0)
        return fail(ErrorKind::Input, fmt::format("invalid base64 digest '{}': non-canonical ending", text));
    return out;
}

Result<std::string> record_digest_to_hex(std::string_view digest) {
    auto bytes = urlsafe_b64_decode(digest);
    if (!bytes) return fail(std::move(bytes.error()));
    return to_hex(reinterpret_cast<const std::uint8_t*>(bytes->data()), bytes->size());
}

Result<std::string> hex_to_record_digest(std::string_view hex) {
    auto bytes = from_hex(hex);
    if (!bytes) return fail(std::move(bytes.error()));
    return urlsafe_b64_encode_nopad(*bytes);
}

}  // namespace envctl::pypi
