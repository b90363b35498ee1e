#pragma once
// A package record: everything repodata (CEP 36), index.json (CEP 34) and conda-meta (CEP 32)
// say about one artifact, with the version parsed. JSON conversion here does no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/version.hpp"
#include "envctl/util/result.hpp"

namespace envctl::conda {

enum class NoArchType { None, Generic, Python };
// "generic", "python", or "" for None.
std::string_view noarch_name(NoArchType type);

struct PackageRecord {
    std::string name;
    Version version;  // parsed (CEP 33)
    std::string build;
    std::uint64_t build_number = 0;
    std::vector<std::string> depends;      // match spec strings, as in repodata
    std::vector<std::string> constrains;   // match spec strings, as in repodata
    std::vector<std::string> track_features;  // de-prioritising features (repodata: one string)
    std::vector<std::string> features;        // legacy `features` (repodata: one string)
    NoArchType noarch = NoArchType::None;
    std::string subdir;
    std::string license;
    std::string license_family;
    std::string python_site_packages_path;  // CEP 20, empty when not given
    std::string md5;     // lowercase hex, empty when unknown
    std::string sha256;  // lowercase hex, empty when unknown
    std::uint64_t size = 0;
    std::uint64_t timestamp = 0;  // milliseconds since the epoch, 0 when unknown
    std::string fn;       // archive file name, e.g. "numpy-1.26.4-py312h1234_0.conda"
    std::string url;      // download URL without credentials
    std::string channel;  // canonical channel URL without credentials or subdir

    // "name-version-build" (CEP 26 distribution string).
    std::string dist_name() const;
};

// Where a record comes from, for the fields repodata entries do not carry themselves.
struct RecordOrigin {
    std::string channel;   // canonical channel URL (credential-free)
    std::string subdir;    // used when the record has no `subdir` (bare index files)
    std::string base_url;  // where archives live (CEP 15 base_url); empty: <channel>/<subdir>
};

// Reads one record object: a repodata.json entry (`filename` is its key), an index.json or a
// conda-meta/repodata_record.json document. Fields the object has (`fn`, `url`, `channel`,
// `subdir`) win over `filename` and `origin`. Real-data quirks handled: null depends/
// constrains/license, `noarch: true` (generic) and `noarch: ""`/false (none), track_features
// as a string or a list, timestamps in seconds (normalised to milliseconds), hashes that are
// not hex of the right length (treated as unknown), credentials in `url` (removed).
// Fails (ErrorKind::Input, naming the file name) on a missing name/version, an invalid
// version, a negative or non-integer number, or an unknown noarch type.
Result<PackageRecord> record_from_json(const nlohmann::json& object, std::string_view filename = {},
                                       const RecordOrigin& origin = {});

// The repodata_record.json shape: name, version, build, build_number, depends, constrains,
// subdir, channel, fn, url, md5, sha256, size, timestamp always; noarch, track_features
// (a comma-separated string), features, license, license_family, python_site_packages_path
// when set.
nlohmann::json to_json(const PackageRecord& record);

// The parts of an archive file name "name-version-build.conda" / ".tar.bz2".
struct ArchiveName {
    std::string name;
    std::string version;
    std::string build;
    std::string extension;  // ".conda" or ".tar.bz2"
};
// nullopt when the name has no known extension or not three dash-separated parts.
std::optional<ArchiveName> parse_archive_name(std::string_view filename);

}  // namespace envctl::conda
