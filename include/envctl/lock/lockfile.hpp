#pragma once
// conda-lock v1 lockfiles (CEP 37): the model, a reader that accepts what conda-lock, micromamba
// and rattler write (and rejects everything else with file:line errors), and a deterministic
// writer whose output conda-lock and micromamba read. specs/lockfile.md describes the subset.
//
//   auto lockfile = lock::read_lockfile("envctl-lock.yml");
//   for (const auto* entry : lock::select_packages(*lockfile, "linux-64", {"main"})) ...
//   write_file_atomic(path, lock::format_lockfile(*lockfile));
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::lock {

enum class Manager { Conda, Pip };
std::string_view manager_name(Manager manager);  // "conda", "pip"

// One entry of `dependencies` (or mamba's `constrains`): name -> constraint ("" for any).
struct Dependency {
    std::string name;
    std::string constraint;
    friend bool operator==(const Dependency&, const Dependency&) = default;
};

// One `package` entry: a package for one (platform, manager, category).
struct LockedPackage {
    std::string name;
    std::string version;
    Manager manager = Manager::Conda;
    std::string platform;
    std::vector<Dependency> dependencies;  // written sorted by name
    std::vector<Dependency> constrains;    // read from mamba's files; never written (CEP 37 has no such key)
    std::string url;                       // credential-free download URL
    std::string md5;                       // lowercase hex or empty
    std::string sha256;                    // lowercase hex or empty
    std::string source_url;                // `source: {type: url, url: ...}`; empty when absent
    std::string build;                     // conda build string; empty when the file has none
    std::string category = "main";
    bool optional = false;
    std::size_t line = 0;                  // where the entry starts in the file it was read from

    friend bool operator==(const LockedPackage& a, const LockedPackage& b) {
        return a.name == b.name && a.version == b.version && a.manager == b.manager && a.platform == b.platform &&
               a.dependencies == b.dependencies && a.url == b.url && a.md5 == b.md5 && a.sha256 == b.sha256 &&
               a.source_url == b.source_url && a.build == b.build && a.category == b.category &&
               a.optional == b.optional;
    }
};

struct LockChannel {
    // As the environment file names the channel: a name (`conda-forge`) or a URL. A URL keeps
    // `${VAR}` placeholders for its credentials and never holds literal credentials.
    std::string url;
    std::vector<std::string> used_env_vars;  // the variables the placeholders name, sorted
    friend bool operator==(const LockChannel&, const LockChannel&) = default;
};

struct InputHashes {
    std::string md5;
    std::string sha256;
    friend bool operator==(const InputHashes&, const InputHashes&) = default;
};

struct LockMetadata {
    std::map<std::string, std::string> content_hash;  // platform -> lowercase hex sha256
    std::vector<LockChannel> channels;                // priority order
    std::vector<std::string> platforms;               // written sorted
    std::vector<std::string> sources;                 // relative to the lockfile's folder
    std::string created_at;                           // time_metadata.created_at; empty: absent
    std::map<std::string, std::string> git_metadata;  // kept as read
    std::map<std::string, InputHashes> inputs_metadata;
    std::map<std::string, std::string> custom_metadata;
    friend bool operator==(const LockMetadata&, const LockMetadata&) = default;
};

struct Lockfile {
    LockMetadata metadata;
    std::vector<LockedPackage> packages;
    std::vector<std::string> warnings;  // "file:line: ..." for keys the reader ignored
};

// What kind of lock-like file a text is, judged from its content (and name for explicit files).
enum class FileKind {
    CondaLockV1,  // version: 1 (or absent) with metadata + package
    PixiLock,     // rattler/pixi lock (version 3-7, `environments:`): not supported
    MambaJs,      // mambajs JSON lock (`lockVersion`): not supported
    Explicit,     // CEP 23 @EXPLICIT file
    Other,        // anything else (environment.yml, spec lists)
};
FileKind detect_kind(std::string_view text);
// Whether a file name looks like a conda-lock file: *-lock.yml / *-lock.yaml / conda-lock.yml.
bool is_lockfile_name(std::string_view filename);

// Parses a conda-lock v1 document. Errors (ErrorKind::Input) carry the file and line and say
// what was expected; other lock formats get an error naming the format.
Result<Lockfile> parse_lockfile(std::string_view text, std::string_view display_name);
Result<Lockfile> read_lockfile(const std::filesystem::path& file);

// The YAML text: a fixed header comment, `version: 1`, `metadata` (content_hash, channels,
// platforms, sources, then the optional keys that are set), `package` sorted by (platform,
// manager, name, category); keys in CEP 37's order; scalars quoted only when YAML would read
// them as something other than a string. The same value always gives the same bytes.
std::string format_lockfile(const Lockfile& lockfile);
// Sorts packages and platforms (and used_env_vars) the way format_lockfile() writes them.
void normalize(Lockfile& lockfile);

// The packages of `platform` in the given categories (all managers), each (name, manager)
// once: an entry in several selected categories is returned for the first one. File order.
std::vector<const LockedPackage*> select_packages(const Lockfile& lockfile, std::string_view platform,
                                                  std::span<const std::string> categories);

// ---- Conversions between lock entries and package records. ----

// A conda entry as a record: name/version/build (build from the entry, else the URL's file
// name), fn, url, channel and subdir from the URL (<channel>/<subdir>/<fn>), hashes, depends
// ("name constraint") and constrains. Fails (ErrorKind::Input) for pip entries and for URLs
// that do not end in a conda package file name.
Result<conda::PackageRecord> to_record(const LockedPackage& entry);
// The entry for a record locked for `platform`: depends become the dependencies map (the
// first token is the name; the rest the constraint; a repeated name keeps its first spec),
// build is set, URL credentials are removed.
LockedPackage from_record(const conda::PackageRecord& record, std::string_view platform,
                          std::string_view category = "main");
// Splits a depends string "numpy >=1.26,<2" into {"numpy", ">=1.26,<2"}.
Dependency split_dependency(std::string_view spec);

}  // namespace envctl::lock
