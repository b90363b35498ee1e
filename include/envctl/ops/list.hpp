#pragma once
// `envctl list`: the packages of a prefix, conda packages from conda-meta/*.json and Python
// distributions that another installer (pip, uv, envctl's pip support) put into site-packages
// (*.dist-info folders that no conda record owns).
//
//   auto packages = ops::list_packages(prefix, "^py");   // sorted by name
//   print(ops::list_json(*packages));                    // micromamba's `list --json` shape
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/util/result.hpp"

namespace envctl::ops {

struct ListedPackage {
    std::string name;
    std::string version;
    std::string build;         // "pypi_0" for Python distributions
    std::uint64_t build_number = 0;
    std::string channel;       // channel URL without subdir (credentials removed); "pypi"
    std::string subdir;        // "linux-64", "noarch"; "pypi"
    std::string url;           // archive URL, "" when unknown
    std::string requested_spec;  // what the user asked for, "" for dependencies
    std::string installer;     // "conda" for conda packages, else the dist-info's INSTALLER
    bool pypi = false;
    std::string dist_name() const;  // name-version-build
};

// Packages whose name matches `pattern` (an ECMAScript regex searched anywhere in the name, as
// conda's `list REGEX`; empty: all), sorted by name, conda before pypi on equal names. Fails
// with Usage for an invalid pattern, Input for a prefix that is not an environment.
Result<std::vector<ListedPackage>> list_packages(const std::filesystem::path& prefix, std::string_view pattern = {});

// [{"base_url", "build_number", "build_string", "channel", "dist_name", "name", "platform",
//   "version", "url", "requested_spec", "installer"}...]: micromamba's list --json keys (the
// first eight) plus ours.
nlohmann::json list_json(const std::vector<ListedPackage>& packages);

}  // namespace envctl::ops
