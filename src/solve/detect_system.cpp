// Host detection for virtual packages: the only I/O of the solve module.
#include <dlfcn.h>
#include <sys/utsname.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include <fmt/core.h>

#include "envctl/solve/virtual_packages.hpp"

namespace envctl::solve {
namespace {

// "6.1.0-18-amd64" -> "6.1.0": up to four dot-separated numbers, as conda keeps them.
std::string numeric_release(std::string_view release) {
    std::string out;
    int components = 0;
    std::size_t i = 0;
    while (i < release.size() && components < 4) {
        const auto begin = i;
        while (i < release.size() && release[i] >= '0' && release[i] <= '9') ++i;
        if (i == begin) break;
        if (!out.empty()) out += '.';
        out.append(release.substr(begin, i - begin));
        ++components;
        if (i >= release.size() || release[i] != '.') break;
        ++i;
    }
    return out;
}

std::set<std::string> cpu_flags(const std::string& cpuinfo) {
    std::istringstream lines(cpuinfo);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("flags", 0) != 0 && line.rfind("Features", 0) != 0) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::istringstream words(line.substr(colon + 1));
        std::set<std::string> flags;
        for (std::string word; words >> word;) flags.insert(word);
        return flags;
    }
    return {};
}

std::string cpuinfo_value(const std::string& cpuinfo, std::string_view key) {
    std::istringstream lines(cpuinfo);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(key, 0) != 0) continue;
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        return value;
    }
    return {};
}

// archspec-style names: the x86-64 psABI levels (x86_64_v2 .. v4) from the CPU flags, a few
// ARM server cores by part number, else the machine name.
std::string microarchitecture(const std::string& machine) {
    std::ifstream in("/proc/cpuinfo");
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string cpuinfo = buffer.str();
    if (machine == "x86_64") {
        const auto flags = cpu_flags(cpuinfo);
        auto has_all = [&](std::initializer_list<const char*> names) {
            for (const char* name : names)
                if (!flags.count(name)) return false;
            return true;
        };
        const bool v2 = has_all({"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"});
        const bool v3 = v2 && has_all({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"});
        const bool v4 = v3 && has_all({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"});
        return v4 ? "x86_64_v4" : v3 ? "x86_64_v3" : v2 ? "x86_64_v2" : "x86_64";
    }
    if (machine == "aarch64" && cpuinfo_value(cpuinfo, "CPU implementer") == "0x41") {
        const auto part = cpuinfo_value(cpuinfo, "CPU part");
        if (part == "0xd0c") return "neoverse_n1";
        if (part == "0xd40") return "neoverse_v1";
        if (part == "0xd49") return "neoverse_n2";
        if (part == "0xd4f") return "neoverse_v2";
    }
    return machine;
}

// The CUDA version the installed driver supports, by loading the driver library at run time
// (never linked). cuDriverGetVersion needs no cuInit, so no GPU context is created.
std::string cuda_driver_version() {
    void* library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libcuda.so", RTLD_NOW | RTLD_LOCAL);
    if (!library) return {};
    using GetVersion = int (*)(int*);
    std::string version;
    if (void* symbol = dlsym(library, "cuDriverGetVersion")) {
        int value = 0;
        if (reinterpret_cast<GetVersion>(symbol)(&value) == 0 && value > 0)
            version = fmt::format("{}.{}", value / 1000, (value % 1000) / 10);
    }
    dlclose(library);
    return version;
}

}  // namespace

SystemInfo detect_system() {
    SystemInfo info;
    utsname names{};
    std::string machine;
    if (uname(&names) == 0) {
        machine = names.machine;
#if defined(__linux__)
        info.linux_version = numeric_release(names.release);
#endif
    }
#if defined(__GLIBC__)
    info.glibc_version = gnu_get_libc_version();
#endif
#if defined(__APPLE__)
    char product[64] = {};
    std::size_t size = sizeof product;
    if (sysctlbyname("kern.osproductversion", product, &size, nullptr, 0) == 0) info.osx_version = product;
#endif
    info.archspec = microarchitecture(machine);
    info.cuda_version = cuda_driver_version();
    return info;
}

}  // namespace envctl::solve
