// Virtual packages: host detection, platform defaults and CONDA_OVERRIDE_* handling.
#include <map>

#include <catch2/catch.hpp>

#include "envctl/conda/platform.hpp"
#include "envctl/solve/virtual_packages.hpp"

using envctl::solve::SystemInfo;
using envctl::solve::VirtualPackageOverrides;

namespace {

// "name=version=build" for each record, in order.
std::map<std::string, std::string> shown(const std::vector<envctl::conda::PackageRecord>& records) {
    std::map<std::string, std::string> out;
    for (const auto& record : records) out[record.name] = record.version.str() + "=" + record.build;
    return out;
}

SystemInfo linux_host() {
    SystemInfo host;
    host.linux_version = "6.1.0";
    host.glibc_version = "2.36";
    host.archspec = "x86_64_v3";
    return host;
}

}  // namespace

TEST_CASE("the host's virtual packages", "[solve][virtual]") {
    const auto host = linux_host();
    CHECK(shown(envctl::solve::virtual_packages("linux-64", &host, {})) ==
          std::map<std::string, std::string>{{"__archspec", "1=x86_64_v3"}, {"__glibc", "2.36=0"},
                                             {"__linux", "6.1.0=0"}, {"__unix", "0=0"}});
    auto with_driver = host;
    with_driver.cuda_version = "12.4";
    CHECK(shown(envctl::solve::virtual_packages("linux-64", &with_driver, {})).at("__cuda") == "12.4=0");
}

TEST_CASE("CONDA_OVERRIDE_* replace or remove virtual packages", "[solve][virtual]") {
    const auto host = linux_host();
    const auto overrides = envctl::solve::overrides_from_environment({{"CONDA_OVERRIDE_CUDA", "11.8"},
                                                                      {"CONDA_OVERRIDE_GLIBC", ""},
                                                                      {"CONDA_OVERRIDE_ARCHSPEC", "haswell"},
                                                                      {"CONDA_OVERRIDE_LINUX", "5.4"},
                                                                      {"UNRELATED", "1"}});
    CHECK(overrides.cuda == "11.8");
    CHECK(overrides.glibc == "");
    CHECK_FALSE(overrides.osx.has_value());
    CHECK(shown(envctl::solve::virtual_packages("linux-64", &host, overrides)) ==
          std::map<std::string, std::string>{{"__archspec", "1=haswell"}, {"__cuda", "11.8=0"},
                                             {"__linux", "5.4=0"}, {"__unix", "0=0"}});
    // An empty CUDA override hides a detected driver.
    auto with_driver = host;
    with_driver.cuda_version = "12.4";
    VirtualPackageOverrides no_cuda;
    no_cuda.cuda = "";
    CHECK(shown(envctl::solve::virtual_packages("linux-64", &with_driver, no_cuda)).count("__cuda") == 0);
}

TEST_CASE("--platform uses that platform's defaults", "[solve][virtual]") {
    CHECK(shown(envctl::solve::virtual_packages("osx-arm64", nullptr, {})) ==
          std::map<std::string, std::string>{{"__archspec", "1=arm64"}, {"__osx", "11.0=0"}, {"__unix", "0=0"}});
    CHECK(shown(envctl::solve::virtual_packages("osx-64", nullptr, {})).at("__osx") == "10.15=0");
    CHECK(shown(envctl::solve::virtual_packages("win-64", nullptr, {})) ==
          std::map<std::string, std::string>{{"__archspec", "1=x86_64"}, {"__win", "0=0"}});
    CHECK(shown(envctl::solve::virtual_packages("linux-aarch64", nullptr, {})) ==
          std::map<std::string, std::string>{{"__archspec", "1=aarch64"}, {"__glibc", "2.17=0"},
                                             {"__linux", "4.18=0"}, {"__unix", "0=0"}});
    VirtualPackageOverrides overrides;
    overrides.osx = "14.0";
    overrides.cuda = "12.0";
    CHECK(shown(envctl::solve::virtual_packages("osx-arm64", nullptr, overrides)).at("__osx") == "14.0=0");
    CHECK(shown(envctl::solve::virtual_packages("osx-arm64", nullptr, overrides)).at("__cuda") == "12.0=0");
    CHECK(envctl::solve::virtual_packages("noarch", nullptr, overrides).empty());
    // Unparsable override values leave the package out instead of failing.
    overrides.osx = "not a version!";
    CHECK(shown(envctl::solve::virtual_packages("osx-arm64", nullptr, overrides)).count("__osx") == 0);
}

TEST_CASE("detecting this machine", "[solve][virtual]") {
    const auto info = envctl::solve::detect_system();
#if defined(__linux__)
    CHECK(!info.linux_version.empty());
    CHECK(envctl::conda::Version::parse(info.linux_version).has_value());
#endif
#if defined(__GLIBC__)
    CHECK(!info.glibc_version.empty());
#endif
#if defined(__x86_64__)
    CHECK(info.archspec.rfind("x86_64", 0) == 0);
#endif
    // __cuda depends on the machine: a version when a driver is installed, else nothing.
    if (!info.cuda_version.empty()) CHECK(envctl::conda::Version::parse(info.cuda_version).has_value());
}
