#include "envctl/pypi/tags.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace envctl::pypi {

namespace {

struct MajorMinor {
    std::uint64_t major = 0;
    std::uint64_t minor = 0;
    friend auto operator<=>(const MajorMinor&, const MajorMinor&) = default;
};

Result<MajorMinor> parse_major_minor(std::string_view text, std::string_view what) {
    auto version = Version::parse(text);
    if (!version || version->epoch() != 0 || version->pre() || version->post() || version->dev() ||
        version->has_local()) {
        return fail(ErrorKind::Input, fmt::format("invalid {} version '{}': expected a version such as 2.17", what, text));
    }
    const auto release = version->release();
    return MajorMinor{release[0], release.size() > 1 ? release[1] : 0};
}

struct SubdirPlatform {
    std::string_view subdir;
    enum class Family { Linux, MacOs, Windows, PlatformIndependent } family;
    std::string_view arch;  // the wheel platform's architecture, or the whole Windows tag
};
constexpr SubdirPlatform subdir_platforms[] = {
    {"linux-64", SubdirPlatform::Family::Linux, "x86_64"},
    {"linux-32", SubdirPlatform::Family::Linux, "i686"},
    {"linux-aarch64", SubdirPlatform::Family::Linux, "aarch64"},
    {"linux-ppc64le", SubdirPlatform::Family::Linux, "ppc64le"},
    {"linux-ppc64", SubdirPlatform::Family::Linux, "ppc64"},
    {"linux-s390x", SubdirPlatform::Family::Linux, "s390x"},
    {"linux-armv6l", SubdirPlatform::Family::Linux, "armv6l"},
    {"linux-armv7l", SubdirPlatform::Family::Linux, "armv7l"},
    {"linux-riscv64", SubdirPlatform::Family::Linux, "riscv64"},
    {"osx-64", SubdirPlatform::Family::MacOs, "x86_64"},
    {"osx-arm64", SubdirPlatform::Family::MacOs, "arm64"},
    {"win-64", SubdirPlatform::Family::Windows, "win_amd64"},
    {"win-32", SubdirPlatform::Family::Windows, "win32"},
    {"win-arm64", SubdirPlatform::Family::Windows, "win_arm64"},
    // Emscripten wheels name a Pyodide ABI the subdir does not tell, so only pure wheels fit.
    {"emscripten-wasm32", SubdirPlatform::Family::PlatformIndependent, ""},
};

// manylinux_X_Y from the target's glibc down to 2.17 (2.5 on x86, where manylinux1 began), each
// followed by its legacy alias where there is one; then musllinux; then linux_<arch>.
Result<std::vector<std::string>> linux_platforms(std::string_view arch, const TagTarget& target) {
    std::vector<std::string> platforms;
    std::optional<MajorMinor> glibc;
    if (target.glibc_version) {
        auto parsed = parse_major_minor(*target.glibc_version, "glibc");
        if (!parsed) return fail(std::move(parsed.error()));
        if (parsed->major != 2 || parsed->minor > 1000)
            return fail(ErrorKind::Input, fmt::format("unsupported glibc version '{}'", *target.glibc_version));
        glibc = *parsed;
    } else if (!target.musl_version) {
        glibc = MajorMinor{2, 17};
    }
    if (glibc) {
        const std::uint64_t oldest_minor = (arch == "x86_64" || arch == "i686") ? 5 : 17;
        for (std::uint64_t minor = glibc->minor + 1; minor-- > oldest_minor;) {
            platforms.push_back(fmt::format("manylinux_2_{}_{}", minor, arch));
            if (minor == 17) platforms.push_back(fmt::format("manylinux2014_{}", arch));
            if (minor == 12) platforms.push_back(fmt::format("manylinux2010_{}", arch));
            if (minor == 5) platforms.push_back(fmt::format("manylinux1_{}", arch));
        }
    }
    if (target.musl_version) {
        auto musl = parse_major_minor(*target.musl_version, "musl");
        if (!musl) return fail(std::move(musl.error()));
        if (musl->major != 1 || musl->minor > 1000)
            return fail(ErrorKind::Input, fmt::format("unsupported musl version '{}'", *target.musl_version));
        for (std::uint64_t minor = musl->minor + 1; minor-- > 0;)
            platforms.push_back(fmt::format("musllinux_{}_{}_{}", musl->major, minor, arch));
    }
    platforms.push_back(fmt::format("linux_{}", arch));
    return platforms;
}

// The binary formats a macOS version can load for an architecture (fat and universal binaries
// included), as the specification lists them.
std::vector<std::string_view> mac_binary_formats(MajorMinor version, std::string_view arch) {
    if (arch == "x86_64") {
        if (version < MajorMinor{10, 4}) return {};
        return {"x86_64", "intel", "fat64", "fat32", "universal2", "universal"};
    }
    return {"arm64", "universal2"};
}

Result<std::vector<std::string>> mac_platforms(std::string_view arch, const TagTarget& target) {
    const std::string_view fallback = arch == "arm64" ? "11.0" : "10.13";
    auto parsed = parse_major_minor(target.macos_version.value_or(std::string(fallback)), "macOS");
    if (!parsed) return fail(std::move(parsed.error()));
    const auto version = *parsed;
    if (version.major < 10 || version.major > 1000 || version.minor > 1000)
        return fail(ErrorKind::Input, fmt::format("unsupported macOS version '{}'", *target.macos_version));
    if (arch == "arm64" && version.major < 11)
        return fail(ErrorKind::Input,
                    fmt::format("macOS {}.{} does not run on arm64; Apple silicon starts at 11.0", version.major,
                                version.minor));
    std::vector<std::string> platforms;
    auto add = [&](MajorMinor v, std::string_view only_format = {}) {
        for (auto format : mac_binary_formats(v, arch)) {
            if (only_format.empty() || format == only_format)
                platforms.push_back(fmt::format("macosx_{}_{}_{}", v.major, v.minor, format));
        }
    };
    if (version.major == 10) {
        // Before macOS 11 every yearly release bumped the minor version.
        for (std::uint64_t minor = version.minor + 1; minor-- > 0;) add({10, minor});
    } else {
        // From macOS 11 the major version counts releases; wheels use X_0.
        for (std::uint64_t major = version.major; major >= 11; --major) add({major, 0});
        // Binaries for 10.x still load on x86_64; on arm64 only universal2 ones carry arm64 code.
        for (std::uint64_t minor = 17; minor-- > 4;) add({10, minor}, arch == "x86_64" ? "" : "universal2");
    }
    return platforms;
}

}  // namespace

std::uint32_t TagSet::intern(Ids& ids, const std::string& value) {
    return ids.try_emplace(value, static_cast<std::uint32_t>(ids.size())).first->second;
}

Result<TagSet> TagSet::for_target(const TagTarget& target) {
    const auto* platform = std::find_if(std::begin(subdir_platforms), std::end(subdir_platforms),
                                        [&](const SubdirPlatform& p) { return p.subdir == target.subdir; });
    if (platform == std::end(subdir_platforms))
        return fail(ErrorKind::Input, fmt::format("no Python wheel platform is known for the conda subdir '{}'",
                                                  target.subdir));
    auto python = parse_major_minor(target.python_version, "Python");
    if (!python) return fail(std::move(python.error()));
    if (python->major != 3 || python->minor > 1000)
        return fail(ErrorKind::Input, fmt::format("Python {} is not supported", target.python_version));

    std::vector<std::string> platforms;
    switch (platform->family) {
        case SubdirPlatform::Family::Linux: {
            auto linux_tags = linux_platforms(platform->arch, target);
            if (!linux_tags) return fail(std::move(linux_tags.error()));
            platforms = std::move(*linux_tags);
            break;
        }
        case SubdirPlatform::Family::MacOs: {
            auto mac = mac_platforms(platform->arch, target);
            if (!mac) return fail(std::move(mac.error()));
            platforms = std::move(*mac);
            break;
        }
        case SubdirPlatform::Family::Windows: platforms.emplace_back(platform->arch); break;
        case SubdirPlatform::Family::PlatformIndependent: break;
    }

    TagSet set;
    auto& tags = set.tags_;
    tags.reserve(platforms.size() * (python->minor + 18) + 16);
    const auto major = python->major;
    const auto minor = python->minor;
    const std::string interpreter = fmt::format("cp{}{}", major, minor);
    const std::string abi = interpreter + (target.free_threaded ? "t" : "");
    const bool abi3 = !target.free_threaded && major == 3 && minor >= 2;
    // CPython-specific tags: its own ABI, then the stable ABI, then no ABI; then the stable ABI of
    // older CPythons down to 3.2.
    for (const auto& p : platforms) tags.push_back({interpreter, abi, p});
    if (abi3)
        for (const auto& p : platforms) tags.push_back({interpreter, "abi3", p});
    for (const auto& p : platforms) tags.push_back({interpreter, "none", p});
    if (abi3) {
        for (std::uint64_t older = minor; older-- > 2;) {
            for (const auto& p : platforms) tags.push_back({fmt::format("cp{}{}", major, older), "abi3", p});
        }
    }
    // Generic Python tags: pyXY, pyX, then older pyXY, on each platform and then for "any".
    std::vector<std::string> generic = {fmt::format("py{}{}", major, minor), fmt::format("py{}", major)};
    for (std::uint64_t older = minor; older-- > 0;) generic.push_back(fmt::format("py{}{}", major, older));
    for (const auto& version : generic) {
        for (const auto& p : platforms) tags.push_back({version, "none", p});
    }
    tags.push_back({interpreter, "none", "any"});
    for (const auto& version : generic) tags.push_back({version, "none", "any"});

    std::vector<std::array<std::uint32_t, 3>> ids;
    ids.reserve(tags.size());
    for (const auto& tag : tags) {
        ids.push_back({intern(set.interpreter_ids_, tag.interpreter), intern(set.abi_ids_, tag.abi),
                       intern(set.platform_ids_, tag.platform)});
    }
    set.ranks_.assign(set.interpreter_ids_.size() * set.abi_ids_.size() * set.platform_ids_.size(), -1);
    for (std::size_t i = ids.size(); i-- > 0;) {
        const auto [interpreter_id, abi_id, platform_id] = ids[i];
        const auto index = (interpreter_id * set.abi_ids_.size() + abi_id) * set.platform_ids_.size() + platform_id;
        set.ranks_[index] = static_cast<int>(i);  // backwards, so duplicates keep their best rank
    }
    return set;
}

std::optional<int> TagSet::rank(std::string_view interpreter, std::string_view abi, std::string_view platform) const {
    const auto i = interpreter_ids_.find(interpreter);
    const auto a = abi_ids_.find(abi);
    const auto p = platform_ids_.find(platform);
    if (i == interpreter_ids_.end() || a == abi_ids_.end() || p == platform_ids_.end()) return std::nullopt;
    const int r = ranks_[(i->second * abi_ids_.size() + a->second) * platform_ids_.size() + p->second];
    return r < 0 ? std::nullopt : std::optional<int>(r);
}

std::optional<int> TagSet::rank(const WheelFilename& wheel) const {
    std::optional<int> best;
    for (const auto& interpreter : wheel.python_tags) {
        const auto i = interpreter_ids_.find(interpreter);
        if (i == interpreter_ids_.end()) continue;
        for (const auto& abi : wheel.abi_tags) {
            const auto a = abi_ids_.find(abi);
            if (a == abi_ids_.end()) continue;
            for (const auto& platform : wheel.platform_tags) {
                const auto p = platform_ids_.find(platform);
                if (p == platform_ids_.end()) continue;
                const int r = ranks_[(i->second * abi_ids_.size() + a->second) * platform_ids_.size() + p->second];
                if (r >= 0 && (!best || r < *best)) best = r;
            }
        }
    }
    return best;
}

}  // namespace envctl::pypi
