// Micro benchmark of the Python packaging types the pip resolver leans on: PEP 440 version
// parsing, sorting and specifier matching, PEP 508 requirement parsing, marker evaluation,
// wheel name parsing with tag ranking, and METADATA parsing.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON
//   cmake --build build-bench --target pypi_bench
//   build-bench/bench/pypi_bench
//
// Inputs are generated deterministically in the shapes PyPI projects use (long release
// histories with pre-, post- and dev-releases, local labels, manylinux/macOS/Windows wheels).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "envctl/pypi/metadata.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/pypi/tags.hpp"

using namespace envctl::pypi;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> version_strings(std::size_t count) {
    std::mt19937 random(42);
    std::vector<std::string> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        std::string v = fmt::format("{}.{}.{}", random() % 40, random() % 30, random() % 20);
        switch (random() % 10) {
            case 0: v += fmt::format("rc{}", random() % 3); break;
            case 1: v += fmt::format("b{}", random() % 3); break;
            case 2: v += fmt::format(".post{}", random() % 3); break;
            case 3: v += fmt::format(".dev{}", random() % 100); break;
            case 4: v += "+cu121"; break;
            default: break;
        }
        out.push_back(std::move(v));
    }
    return out;
}

std::vector<std::string> wheel_names(std::size_t count) {
    static const char* platforms[] = {
        "manylinux_2_17_x86_64.manylinux2014_x86_64", "manylinux_2_28_aarch64", "musllinux_1_1_x86_64",
        "macosx_10_9_x86_64", "macosx_11_0_arm64", "macosx_10_9_universal2", "win_amd64", "win32", "any",
        "manylinux_2_5_i686.manylinux1_i686"};
    static const char* pythons[] = {"cp38", "cp39", "cp310", "cp311", "cp312", "py3", "py2.py3"};
    std::mt19937 random(7);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < count; ++i) {
        const std::string python = pythons[random() % 7];
        const std::string platform = platforms[random() % 10];
        const std::string abi = python.rfind("py", 0) == 0 || platform == "any" ? "none" : (random() % 4 ? python : "abi3");
        out.push_back(fmt::format("numpy-1.{}.{}-{}-{}-{}.whl", random() % 30, random() % 5, python, abi, platform));
    }
    return out;
}

const std::vector<std::string> requirement_strings = {
    "numpy>=1.22,<2",
    "requests[socks,security] >= 2.31, != 2.32.0, < 3",
    "pywin32>=306; sys_platform == 'win32'",
    "pytest-black (>=0.3.7) ; (platform_python_implementation != \"PyPy\") and extra == 'testing'",
    "tomli>=1.1.0; python_version < \"3.11\"",
    "typing-extensions>=4.6; python_version < '3.12' and implementation_name == 'cpython'",
    "torch @ https://download.pytorch.org/whl/cpu/torch-2.3.0%2Bcpu-cp311-cp311-linux_x86_64.whl",
    "importlib-metadata>=4.6; python_full_version < '3.10.2'",
    "colorama; os_name == \"nt\" or platform_system == 'Windows'",
    "jaraco.packaging (>=9) ; extra == 'docs'",
};

template <class F>
double seconds(F&& body) {
    const auto start = Clock::now();
    body();
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void report(const char* what, double total, std::size_t operations) {
    std::printf("%-44s %10.1f ns/op  (%zu ops, %.1f ms)\n", what, total * 1e9 / static_cast<double>(operations),
                operations, total * 1e3);
}

}  // namespace

int main() {
    std::size_t sink = 0;
    const auto texts = version_strings(200000);
    // Parsing loops keep nothing, so that they time the parser rather than the growth of a
    // result vector (page faults dominate that on virtual machines).
    report("Version::parse", seconds([&] {
               for (const auto& text : texts) sink += Version::parse(text)->release().size();
           }),
           texts.size());
    std::vector<Version> versions;
    versions.reserve(texts.size());
    for (const auto& text : texts) versions.push_back(Version::parse(text).value());

    auto sorted = versions;
    const double sort_time = seconds([&] { std::sort(sorted.begin(), sorted.end()); });
    std::printf("%-44s %10.1f ms for %zu versions\n", "std::sort(Version)", sort_time * 1e3, sorted.size());

    report("Version::to_string", seconds([&] {
               for (const auto& version : versions) sink += version.to_string().size();
           }),
           versions.size());

    const auto set = SpecifierSet::parse(">=1.20,<30,!=12.0.*,~=1.2").value();
    report("SpecifierSet::contains (4 clauses)", seconds([&] {
               for (const auto& version : versions) sink += set.contains(version);
           }),
           versions.size());
    report("SpecifierSet::filter_indices", seconds([&] { sink += set.filter_indices(versions).size(); }),
           versions.size());

    constexpr int rounds = 20000;
    report("Requirement::parse", seconds([&] {
               for (int i = 0; i < rounds; ++i)
                   for (const auto& text : requirement_strings) sink += Requirement::parse(text).value().name.size();
           }),
           rounds * requirement_strings.size());

    std::vector<Requirement> requirements;
    for (const auto& text : requirement_strings) requirements.push_back(Requirement::parse(text).value());
    auto env = MarkerEnvironment::for_target("linux-64", "3.11.4").value();
    env.extras = {"testing"};
    report("Requirement::applies_to (marker evaluation)", seconds([&] {
               for (int i = 0; i < rounds; ++i)
                   for (const auto& requirement : requirements) sink += requirement.applies_to(env);
           }),
           rounds * requirements.size());

    TagSet tags = TagSet::for_target({"linux-64", "3.11", "2.28", std::nullopt, std::nullopt}).value();
    report("TagSet::for_target (linux-64, glibc 2.28)", seconds([&] {
               for (int i = 0; i < 1000; ++i)
                   sink += TagSet::for_target({"linux-64", "3.11", "2.28", std::nullopt, std::nullopt})->tags().size();
           }),
           1000);
    const auto names = wheel_names(100000);
    report("WheelFilename::parse", seconds([&] {
               for (const auto& name : names) sink += WheelFilename::parse(name)->platform_tags.size();
           }),
           names.size());
    std::vector<WheelFilename> wheels;
    wheels.reserve(names.size());
    for (const auto& name : names) wheels.push_back(WheelFilename::parse(name).value());
    std::size_t compatible = 0;
    report("TagSet::rank(WheelFilename)", seconds([&] {
               for (const auto& wheel : wheels) compatible += tags.rank(wheel).has_value();
           }),
           wheels.size());

    std::string metadata = "Metadata-Version: 2.1\nName: sample\nVersion: 1.0\nSummary: x\nRequires-Python: >=3.8\n";
    for (int i = 0; i < 5; ++i)
        for (const auto& text : requirement_strings) metadata += "Requires-Dist: " + text + "\n";
    metadata += "\n" + std::string(20000, 'x') + "\n";
    report("CoreMetadata::parse (50 Requires-Dist)", seconds([&] {
               for (int i = 0; i < 2000; ++i) sink += CoreMetadata::parse(metadata)->requires_dist.size();
           }),
           2000);

    std::printf("(%zu of %zu wheels compatible with linux-64/cp311/glibc 2.28; checksum %zu)\n", compatible,
                wheels.size(), sink);
    std::printf("reproduce: cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON && "
                "cmake --build build-bench --target pypi_bench && build-bench/bench/pypi_bench\n");
    return 0;
}
