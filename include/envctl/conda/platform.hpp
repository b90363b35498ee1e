#pragma once
// Channel subdirs ("platforms"): the known set, the host's own, and what they imply for
// virtual packages (OS family, machine architecture). Pure functions.
#include <optional>
#include <span>
#include <string_view>

namespace envctl::conda {

// Every subdir conda channels use, `noarch` included, in a stable order.
std::span<const std::string_view> known_subdirs();
bool is_known_subdir(std::string_view subdir);

// The subdir envctl was compiled for, e.g. "linux-64"; "noarch" on an unknown host.
std::string_view host_subdir();

enum class OsFamily { Linux, Osx, Win, Other };
// Linux/Osx/Win for their subdirs; Other for emscripten, wasi, zos; nullopt for noarch and
// for strings that are not subdirs of the form "<os>-<arch>".
std::optional<OsFamily> os_family(std::string_view subdir);
// True for linux and osx subdirs (the `__unix` virtual package, the `unix` selector).
bool is_unix(std::string_view subdir);
// The machine architecture conda reports for a subdir (`__archspec`), e.g. "x86_64" for
// linux-64, "arm64" for osx-arm64, "aarch64" for linux-aarch64; empty for noarch/unknown.
std::string_view machine_of(std::string_view subdir);

}  // namespace envctl::conda
