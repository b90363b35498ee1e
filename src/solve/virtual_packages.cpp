// Virtual package records for a target platform: detected values (host) or the platform's
// defaults, with CONDA_OVERRIDE_* applied. Pure.
#include "envctl/solve/virtual_packages.hpp"

#include "envctl/conda/platform.hpp"

namespace envctl::solve {
namespace {

// The value to use: the override when set (empty: none), else `fallback` (empty: none).
std::optional<std::string> pick(const std::optional<std::string>& override_value, std::string_view fallback) {
    if (override_value) {
        if (override_value->empty()) return std::nullopt;
        return *override_value;
    }
    if (fallback.empty()) return std::nullopt;
    return std::string(fallback);
}

void add(std::vector<conda::PackageRecord>& out, std::string_view subdir, std::string name, const std::string& version,
         std::string build = "0") {
    auto parsed = conda::Version::parse(version);
    if (!parsed) return;  // an unusable override or detection result: leave the package out
    conda::PackageRecord record;
    record.name = std::move(name);
    record.version = std::move(*parsed);
    record.build = std::move(build);
    record.subdir = std::string(subdir);
    record.fn = record.name + "-" + record.version.str() + "-" + record.build;
    out.push_back(std::move(record));
}

}  // namespace

VirtualPackageOverrides overrides_from_environment(const std::map<std::string, std::string>& variables) {
    auto get = [&](const char* name) -> std::optional<std::string> {
        const auto found = variables.find(name);
        if (found == variables.end()) return std::nullopt;
        return found->second;
    };
    VirtualPackageOverrides overrides;
    overrides.linux_version = get("CONDA_OVERRIDE_LINUX");
    overrides.glibc = get("CONDA_OVERRIDE_GLIBC");
    overrides.cuda = get("CONDA_OVERRIDE_CUDA");
    overrides.osx = get("CONDA_OVERRIDE_OSX");
    overrides.win = get("CONDA_OVERRIDE_WIN");
    overrides.archspec = get("CONDA_OVERRIDE_ARCHSPEC");
    return overrides;
}

std::vector<conda::PackageRecord> virtual_packages(std::string_view subdir, const SystemInfo* host,
                                                   const VirtualPackageOverrides& overrides) {
    std::vector<conda::PackageRecord> out;
    const auto family = conda::os_family(subdir);
    if (!family) return out;  // noarch or not a platform

    if (const auto cuda = pick(overrides.cuda, host ? std::string_view(host->cuda_version) : std::string_view{}))
        add(out, subdir, "__cuda", *cuda);
    if (conda::is_unix(subdir)) add(out, subdir, "__unix", "0");
    switch (*family) {
    case conda::OsFamily::Linux:
        if (const auto version = pick(overrides.linux_version, host ? std::string_view(host->linux_version)
                                                                    : PlatformDefaults::linux_version))
            add(out, subdir, "__linux", *version);
        if (const auto version = pick(overrides.glibc, host ? std::string_view(host->glibc_version) : PlatformDefaults::glibc))
            add(out, subdir, "__glibc", *version);
        break;
    case conda::OsFamily::Osx: {
        const auto fallback = subdir == "osx-arm64" ? PlatformDefaults::osx_arm64 : PlatformDefaults::osx_64;
        if (const auto version = pick(overrides.osx, host && !host->osx_version.empty() ? std::string_view(host->osx_version) : fallback))
            add(out, subdir, "__osx", *version);
        break;
    }
    case conda::OsFamily::Win:
        if (const auto version = pick(overrides.win, host && !host->win_version.empty() ? std::string_view(host->win_version)
                                                                                         : PlatformDefaults::win))
            add(out, subdir, "__win", *version);
        break;
    case conda::OsFamily::Other:
        break;
    }
    const std::string_view generic = conda::machine_of(subdir);
    const std::string_view archspec = host && !host->archspec.empty() ? std::string_view(host->archspec) : generic;
    if (const auto name = pick(overrides.archspec, archspec)) add(out, subdir, "__archspec", "1", *name);
    return out;
}

}  // namespace envctl::solve
