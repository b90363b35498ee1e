#pragma once
// Internals of wheel installation (see include/envctl/pip/wheel_install.hpp): staging a wheel
// into a folder with every member verified, prefix-relative path arithmetic, small file helpers.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "envctl/pip/wheel_install.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pip::detail {

inline constexpr std::string_view staging_directory = "conda-meta/.envctl-pip-staging";
inline constexpr std::string_view trash_directory = "conda-meta/.envctl-pip-trash";
inline constexpr std::string_view journal_file = "conda-meta/.envctl-pip-transaction.json";
inline constexpr std::string_view installer_name = "envctl";

// A file of a staged wheel. `target` is relative to the prefix; the staged copy lives at
// <staging>/<target>.
struct StagedFile {
    std::string target;
    std::string sha256_digest;  // RECORD form: URL-safe base64 without padding, of the staged bytes
    std::uint64_t size = 0;
    bool compile = false;  // a .py source in site-packages
};

struct StagedWheel {
    std::string name;       // from METADATA
    std::string version;
    std::string dist_info;  // prefix-relative .dist-info directory
    std::filesystem::path staging;
    std::vector<StagedFile> files;  // RECORD excluded (written at the end of the transaction)
    std::vector<std::string> scripts;
};

struct StageContext {
    std::string prefix;          // absolute, no trailing slash
    std::string site_packages;   // relative to the prefix
    std::string python_version;  // "3.11"
    WheelLimits limits;
};

// Extracts `wheel` into `staging` (an empty folder), mapping members to their prefix-relative
// targets, verifying RECORD hashes and sizes, rewriting "#!python" shebangs, generating entry
// point scripts and INSTALLER/REQUESTED/direct_url.json. Errors name the wheel file.
Result<StagedWheel> stage_wheel(const WheelToInstall& wheel, const StageContext& context,
                                const std::filesystem::path& staging);

// A member path or RECORD path: relative, "/"-separated, no "", "." or ".." components, no
// backslash, well-formed UTF-8 without control characters.
bool is_safe_relative_path(std::string_view path);

// A RECORD path (relative to site-packages, may climb with "../") as a prefix-relative path;
// empty when it leaves the prefix or is absolute.
std::string record_path_to_target(std::string_view site_packages, std::string_view record_path);
// The inverse: the path RECORD stores for a prefix-relative target.
std::string target_to_record_path(std::string_view site_packages, std::string_view target);

// __pycache__/<stem>.cpython-XY.pyc next to a .py target, for python "X.Y".
std::string pyc_target(std::string_view source_target, std::string_view python_version);

// RECORD-form digests of a file or bytes (sha256, sha384 or sha512).
Result<std::string> record_digest_of_file(const std::string& path, std::string_view algorithm);
std::string record_sha256(std::string_view data);

Error io_error(std::string_view what, const std::string& path, int error_number);
// Writes `contents` to a temporary sibling and renames it over `path`; fsyncs first when `durable`
// (the journal's first write only: a wheel install must not pay one fsync per file).
Status replace_file(const std::string& path, std::string_view contents, bool durable);
// Creates `relative`'s parent directories under `root` (mkdir -p), remembering what exists.
class DirectoryMaker {
public:
    explicit DirectoryMaker(std::string root) : root_(std::move(root)) {}
    Status ensure_parent(std::string_view relative);

private:
    std::string root_;
    std::vector<std::string> known_;  // small; checked from the back (siblings come together)
};

// Runs argv with stdin from /dev/null; returns the exit status (128 + signal) and the output.
struct ProcessOutput {
    int status = 0;
    std::string output;
};
Result<ProcessOutput> run_process(const std::vector<std::string>& argv);

}  // namespace envctl::pip::detail
