#pragma once
// Relocatable tar packs (specs/pack-format.md): an environment as one archive that can be
// unpacked anywhere. The files are stored as they are (each holding its prefix placeholder),
// and the archive says which files hold which placeholder, so the unpack step can rewrite them
// for the new location:
//   .envctl-pack/manifest.json     the pack as built: platform, packages, files with placeholders
//   .envctl-pack/placeholders.txt  "mode<TAB>placeholder<TAB>path" lines, kept current by unpackers
//   bin/envctl-unpack              POSIX sh: rewrites text placeholders in place (see unpack_script)
//   ...                            the environment's files, sorted by path
// The bytes depend only on the contents: entries sorted, mtime SOURCE_DATE_EPOCH or 0,
// owner 0:0, modes normalised (tar_writer.hpp), compression without timestamps.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/extract/package_info.hpp"
#include "envctl/pack/contents.hpp"
#include "envctl/pack/tar_writer.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pack {

inline constexpr std::string_view manifest_path = ".envctl-pack/manifest.json";
inline constexpr std::string_view placeholders_path = ".envctl-pack/placeholders.txt";
inline constexpr std::string_view unpack_script_path = "bin/envctl-unpack";

// One file that holds a prefix placeholder.
struct PlaceholderFile {
    std::string path;
    std::string placeholder;
    extract::FileMode mode = extract::FileMode::Text;
    bool operator==(const PlaceholderFile&) const = default;
};

struct PackManifest {
    int version = 1;
    std::string platform;
    std::string source_prefix;           // "" for packs made from packages
    std::vector<std::string> packages;   // dist names, dependency order
    std::vector<PlaceholderFile> files;  // sorted by path
    std::vector<std::pair<std::string, std::string>> env_vars;
};
std::string manifest_json(const PackManifest& manifest);
// `file` names the manifest in errors (ErrorKind::Input).
Result<PackManifest> parse_manifest(std::string_view text, std::string_view file);
// placeholders.txt lines; paths or placeholders with a tab or newline are left out (the sh
// unpacker cannot read them; envctl unpack reads the manifest).
std::string placeholder_list(const std::vector<PlaceholderFile>& files);

// The bin/envctl-unpack script.
std::string unpack_script();

// Compression from the output name: .tar.zst/.tzst -> zstd, .tar.gz/.tgz -> gzip, .tar -> none.
Result<Compression> compression_for(const std::filesystem::path& output);

struct TarPackOptions {
    std::filesystem::path output;
    int level = 0;  // compression level; 0: default
};

struct TarPackReport {
    std::size_t packages = 0;
    std::size_t entries = 0;
    std::size_t placeholder_files = 0;
    std::uint64_t archive_bytes = 0;
    std::string sha256;  // of the archive
};

// Writes the archive to a temporary sibling and renames it over `options.output`.
Result<TarPackReport> write_tar_pack(const EnvironmentContents& contents, const TarPackOptions& options);

struct UnpackReport {
    std::filesystem::path prefix;
    std::size_t entries = 0;
    std::size_t text_rewritten = 0;
    std::size_t binary_rewritten = 0;
};

// Extracts `archive` into `destination` (which must not exist or be empty) and rewrites every
// placeholder for it: text files as the installer does (all occurrences, then long shebangs
// fixed), binary files padded with NULs. Before anything is written, fails (ErrorKind::Input)
// when the destination is longer than a binary placeholder, naming the file. Entries that would
// land outside the destination, hard links and devices are refused (ErrorKind::Integrity).
Result<UnpackReport> unpack(const std::filesystem::path& archive, const std::filesystem::path& destination);

// Rewrites the files of an unpacked pack at `prefix` whose placeholders.txt placeholder is not
// `prefix` itself, and updates placeholders.txt.
Result<UnpackReport> relocate(const std::filesystem::path& prefix, const std::vector<PlaceholderFile>& files);

// Rewrites `data` (the bytes of a file holding `placeholder`) for `prefix`, as the installer does.
Result<std::string> rewrite_for_prefix(std::string_view data, std::string_view placeholder, extract::FileMode mode,
                                       std::string_view prefix);

}  // namespace envctl::pack
