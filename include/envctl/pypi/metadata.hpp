#pragma once
// Files of a wheel's .dist-info directory: METADATA / PKG-INFO (living "Core metadata"
// specification, versions 1.0 to 2.x), WHEEL, entry_points.txt and RECORD.
// Errors carry `source` (the name given for the file) and the 1-based line in Error::location.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pypi/marker.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/pypi/specifier.hpp"
#include "envctl/pypi/version.hpp"
#include "envctl/pypi/wheel.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

// The email-header format: "Name: value" lines, continuation lines starting with a space or a
// tab, then an optional body after the first empty line. CRLF line ends are accepted.
struct HeaderField {
    std::string name;   // as written
    std::string value;  // continuation lines joined with "\n"
    std::size_t line = 0;
    std::size_t column = 0;  // where the value starts
};

struct HeaderDocument {
    std::vector<HeaderField> fields;  // in file order
    std::string body;

    static Result<HeaderDocument> parse(std::string_view text, std::string_view source);

    // Field names compare case-insensitively. get() returns the first value.
    std::optional<std::string_view> get(std::string_view name) const;
    std::vector<std::string_view> get_all(std::string_view name) const;
};

struct CoreMetadata {
    std::string metadata_version;  // "2.1"
    std::string name;              // as written
    Version version;
    std::string summary;
    std::optional<SpecifierSet> requires_python;
    std::vector<Requirement> requires_dist;
    std::vector<std::string> provides_extra;  // normalized names
    std::string description;                  // the body, or the legacy Description field
    HeaderDocument headers;                   // every field, for the ones not lifted out above

    // Needs Metadata-Version (1.x or 2.x; newer minor versions are read as the specification
    // asks), a valid Name and a PEP 440 Version. Requires-Dist and Requires-Python must parse.
    static Result<CoreMetadata> parse(std::string_view text, std::string_view source = "METADATA");

    std::string normalized_name() const;
    // The Requires-Dist entries whose markers hold (extras requested in `environment.extras`).
    std::vector<Requirement> dependencies(const MarkerEnvironment& environment) const;
};

// The WHEEL file.
struct WheelInfo {
    std::uint64_t version_major = 1;  // Wheel-Version
    std::uint64_t version_minor = 0;
    std::string generator;
    bool root_is_purelib = true;
    std::vector<Tag> tags;  // every Tag line, expanded
    std::string build;      // the Build field, empty when absent

    // Rejects Wheel-Version 2.0 and later, as installers must; Root-Is-Purelib must be
    // "true" or "false".
    static Result<WheelInfo> parse(std::string_view text, std::string_view source = "WHEEL");
};

// entry_points.txt: INI sections naming groups, "name = module:attr [extras]" entries.
struct EntryPoint {
    std::string group;      // "console_scripts"
    std::string name;       // "pip"
    std::string module;     // "pip._internal.cli.main"
    std::string attribute;  // "main"; empty when the reference names a module only
    std::vector<std::string> extras;

    // "module:attr" (or "module").
    std::string object_reference() const;
    friend bool operator==(const EntryPoint&, const EntryPoint&) = default;
};
Result<std::vector<EntryPoint>> parse_entry_points(std::string_view text,
                                                   std::string_view source = "entry_points.txt");

// RECORD: CSV rows "path,algorithm=digest,size" (digest in URL-safe base64 without padding);
// the hash and size are empty for RECORD itself and for signature files.
struct RecordEntry {
    std::string path;
    std::string hash_algorithm;  // "sha256", empty when there is no hash
    std::string hash_digest;     // URL-safe base64 without padding, as written
    std::optional<std::uint64_t> size;
    friend bool operator==(const RecordEntry&, const RecordEntry&) = default;
};
Result<std::vector<RecordEntry>> parse_record(std::string_view text, std::string_view source = "RECORD");
// CSV with minimal quoting and "\n" line ends, readable by parse_record and Python's csv module.
std::string format_record(std::span<const RecordEntry> entries);

// RECORD hashes: URL-safe base64 ("-" and "_"), written without "=" padding.
std::string urlsafe_b64_encode_nopad(std::string_view bytes);
// Accepts the digest with or without padding.
Result<std::string> urlsafe_b64_decode(std::string_view text);
Result<std::string> record_digest_to_hex(std::string_view digest);
Result<std::string> hex_to_record_digest(std::string_view hex);

}  // namespace envctl::pypi
