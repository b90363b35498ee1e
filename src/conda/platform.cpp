#include "envctl/conda/platform.hpp"

#include <algorithm>
#include <array>

namespace envctl::conda {

namespace {

struct SubdirInfo {
    std::string_view subdir;
    std::optional<OsFamily> family;
    std::string_view machine;
};

constexpr std::array<SubdirInfo, 16> kSubdirs{{
    {"noarch", std::nullopt, ""},
    {"linux-64", OsFamily::Linux, "x86_64"},
    {"linux-aarch64", OsFamily::Linux, "aarch64"},
    {"linux-ppc64le", OsFamily::Linux, "ppc64le"},
    {"linux-s390x", OsFamily::Linux, "s390x"},
    {"linux-32", OsFamily::Linux, "x86"},
    {"linux-armv6l", OsFamily::Linux, "armv6l"},
    {"linux-armv7l", OsFamily::Linux, "armv7l"},
    {"osx-64", OsFamily::Osx, "x86_64"},
    {"osx-arm64", OsFamily::Osx, "arm64"},
    {"win-64", OsFamily::Win, "x86_64"},
    {"win-32", OsFamily::Win, "x86"},
    {"win-arm64", OsFamily::Win, "arm64"},
    {"emscripten-wasm32", OsFamily::Other, "wasm32"},
    {"wasi-wasm32", OsFamily::Other, "wasm32"},
    {"zos-z", OsFamily::Other, "z"},
}};

constexpr std::array<std::string_view, kSubdirs.size()> kNames = [] {
    std::array<std::string_view, kSubdirs.size()> names{};
    for (std::size_t i = 0; i < kSubdirs.size(); ++i) names[i] = kSubdirs[i].subdir;
    return names;
}();

const SubdirInfo* find(std::string_view subdir) {
    const auto it = std::find_if(kSubdirs.begin(), kSubdirs.end(),
                                 [&](const SubdirInfo& info) { return info.subdir == subdir; });
    return it == kSubdirs.end() ? nullptr : &*it;
}

}  // namespace

std::span<const std::string_view> known_subdirs() { return kNames; }

bool is_known_subdir(std::string_view subdir) { return find(subdir) != nullptr; }

std::string_view host_subdir() {
#if defined(__linux__) && (defined(__x86_64__) || defined(_M_X64))
    return "linux-64";
#elif defined(__linux__) && defined(__aarch64__)
    return "linux-aarch64";
#elif defined(__linux__) && defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "linux-ppc64le";
#elif defined(__linux__) && defined(__s390x__)
    return "linux-s390x";
#elif defined(__linux__) && defined(__i386__)
    return "linux-32";
#elif defined(__linux__) && defined(__ARM_ARCH_6__)
    return "linux-armv6l";
#elif defined(__linux__) && defined(__arm__)
    return "linux-armv7l";
#elif defined(__APPLE__) && (defined(__arm64__) || defined(__aarch64__))
    return "osx-arm64";
#elif defined(__APPLE__) && defined(__x86_64__)
    return "osx-64";
#elif defined(_WIN32) && (defined(_M_ARM64) || defined(__aarch64__))
    return "win-arm64";
#elif defined(_WIN64)
    return "win-64";
#elif defined(_WIN32)
    return "win-32";
#elif defined(__EMSCRIPTEN__)
    return "emscripten-wasm32";
#elif defined(__wasi__)
    return "wasi-wasm32";
#else
    return "noarch";
#endif
}

std::optional<OsFamily> os_family(std::string_view subdir) {
    if (const auto* info = find(subdir)) return info->family;
    // Unknown but well-formed "<os>-<arch>" subdirs (e.g. conda's test "linux-fake").
    const auto dash = subdir.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == subdir.size()) return std::nullopt;
    const auto os = subdir.substr(0, dash);
    if (os == "linux") return OsFamily::Linux;
    if (os == "osx") return OsFamily::Osx;
    if (os == "win") return OsFamily::Win;
    return OsFamily::Other;
}

bool is_unix(std::string_view subdir) {
    const auto family = os_family(subdir);
    return family == OsFamily::Linux || family == OsFamily::Osx;
}

std::string_view machine_of(std::string_view subdir) {
    const auto* info = find(subdir);
    return info ? info->machine : std::string_view{};
}

}  // namespace envctl::conda
