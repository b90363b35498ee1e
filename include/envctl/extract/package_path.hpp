#pragma once
// Paths inside a conda package: one canonical relative form ("lib/libz.so") and the checks
// that keep every path, and every symlink target, inside the package root. Used for archive
// entry names and for the `_path` values of info/paths.json alike. Pure functions.
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl::extract {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view text);

// The canonical form of a package path: components joined by "/", without "." or empty
// components, leading "./" or a trailing "/". Returns "" for the package root itself.
// Fails (ErrorKind::Integrity) on absolute paths, ".." components, invalid UTF-8, and
// NUL or other control characters.
Result<std::string> normalize_package_path(std::string_view raw);

// Checks a symlink stored at `link_path` (canonical form) pointing to `target`, resolved
// lexically against the link's directory: fails on an absolute or empty target, control
// characters, invalid UTF-8, or a target that climbs above the package root.
Status check_symlink_target(std::string_view link_path, std::string_view target);

// `text` with control characters and bytes that are not UTF-8 shown as \xNN, for messages.
std::string printable_path(std::string_view text);

}  // namespace envctl::extract
