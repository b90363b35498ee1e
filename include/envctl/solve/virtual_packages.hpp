#pragma once
// Virtual packages (CEP 30): __unix, __linux, __glibc, __archspec, __cuda, __osx, __win.
//
// detect_system() is the only I/O here (uname, the C library, /proc/cpuinfo, loading libcuda at
// run time); the rest is pure: virtual_packages() turns what was detected (for the host) or a
// platform's defaults (for --platform) plus CONDA_OVERRIDE_* values into package records.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/package_record.hpp"

namespace envctl::solve {

// What the host machine reports; empty fields were not detected.
struct SystemInfo {
    std::string linux_version;  // kernel release, numeric part: "6.1.0"
    std::string glibc_version;  // "2.36"
    std::string archspec;       // CPU microarchitecture: "x86_64_v3", "aarch64", ...
    std::string cuda_version;   // the driver's CUDA version "12.4"; empty without a driver
    std::string osx_version;    // "14.2"
    std::string win_version;    // "10.0.19045"
};

// Reads the host: uname(2) for __linux, gnu_get_libc_version() for __glibc, /proc/cpuinfo for
// __archspec, and dlopen("libcuda.so.1") + cuDriverGetVersion for __cuda (never linked; absent
// when the library or its driver is missing).
SystemInfo detect_system();

// CONDA_OVERRIDE_LINUX|GLIBC|CUDA|OSX|WIN|ARCHSPEC: a set variable replaces the detected or
// default version (the build string for __archspec); a set but empty one removes the package.
struct VirtualPackageOverrides {
    std::optional<std::string> linux_version, glibc, cuda, osx, win, archspec;
};
// Reads the CONDA_OVERRIDE_* entries of an environment map (name -> value).
VirtualPackageOverrides overrides_from_environment(const std::map<std::string, std::string>& variables);

// Default versions used for a platform that is not the host (--platform): __linux 4.18,
// __glibc 2.17, __osx 10.15 (osx-64) / 11.0 (osx-arm64), __win 0, __archspec the subdir's
// generic machine; no __cuda unless CONDA_OVERRIDE_CUDA says so.
struct PlatformDefaults {
    static constexpr std::string_view linux_version = "4.18";
    static constexpr std::string_view glibc = "2.17";
    static constexpr std::string_view osx_64 = "10.15";
    static constexpr std::string_view osx_arm64 = "11.0";
    static constexpr std::string_view win = "0";
};

// The virtual packages for solving `subdir`. `host` is what detect_system() found when
// `subdir` is the host's platform, nullptr otherwise (then the platform's defaults are used).
// Records: name, version, build ("0", or the microarchitecture for __archspec), subdir.
std::vector<conda::PackageRecord> virtual_packages(std::string_view subdir, const SystemInfo* host,
                                                   const VirtualPackageOverrides& overrides);

}  // namespace envctl::solve
