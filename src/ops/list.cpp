// list_packages(): conda-meta records plus foreign Python distributions of a prefix.
#include "envctl/ops/list.hpp"

#include <algorithm>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/link/conda_meta.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

std::string first_line(std::string_view text) {
    const auto end = text.find_first_of("\r\n");
    return std::string(trim(text.substr(0, end)));
}

// lib/python3.X/site-packages (and lib/site-packages, Windows layout) folders of the prefix.
std::vector<fs::path> site_packages_folders(const fs::path& prefix) {
    std::vector<fs::path> out;
    std::error_code error;
    if (fs::is_directory(prefix / "lib", error))
        for (const auto& entry : fs::directory_iterator(prefix / "lib", error)) {
            const auto name = entry.path().filename().string();
            if (name.starts_with("python") && fs::is_directory(entry.path() / "site-packages", error))
                out.push_back(entry.path() / "site-packages");
        }
    if (fs::is_directory(prefix / "Lib" / "site-packages", error)) out.push_back(prefix / "Lib" / "site-packages");
    std::sort(out.begin(), out.end());
    return out;
}

// Python distributions in site-packages that no conda record owns.
std::vector<ListedPackage> python_distributions(const fs::path& prefix, const std::set<std::string>& owned) {
    std::vector<ListedPackage> out;
    std::error_code error;
    for (const auto& folder : site_packages_folders(prefix)) {
        for (const auto& entry : fs::directory_iterator(folder, error)) {
            const auto dir_name = entry.path().filename().string();
            if (!dir_name.ends_with(".dist-info") || !entry.is_directory(error)) continue;
            const auto relative = entry.path().lexically_relative(prefix).generic_string();
            if (owned.count(relative + "/METADATA") || owned.count(relative + "/RECORD")) continue;
            ListedPackage package;
            package.pypi = true;
            package.build = "pypi_0";
            package.channel = "pypi";
            package.subdir = "pypi";
            if (auto installer = read_file(entry.path() / "INSTALLER")) package.installer = first_line(*installer);
            if (auto text = read_file(entry.path() / "METADATA")) {
                if (auto headers = pypi::HeaderDocument::parse(*text, (entry.path() / "METADATA").string())) {
                    if (const auto name = headers->get("Name")) package.name = std::string(trim(*name));
                    if (const auto version = headers->get("Version")) package.version = std::string(trim(*version));
                }
            }
            if (package.name.empty() || package.version.empty()) {
                // "<name>-<version>.dist-info" stands in when METADATA cannot be read.
                const auto stem = dir_name.substr(0, dir_name.size() - std::string_view(".dist-info").size());
                const auto dash = stem.find('-');
                if (dash == std::string::npos) continue;
                package.name = stem.substr(0, dash);
                package.version = stem.substr(dash + 1);
            }
            package.name = to_lower(package.name);
            out.push_back(std::move(package));
        }
    }
    return out;
}

}  // namespace

std::string ListedPackage::dist_name() const { return fmt::format("{}-{}-{}", name, version, build); }

Result<std::vector<ListedPackage>> list_packages(const fs::path& prefix, std::string_view pattern) {
    std::optional<std::regex> filter;
    if (!pattern.empty()) {
        try {
            filter.emplace(std::string(pattern), std::regex::ECMAScript | std::regex::optimize);
        } catch (const std::regex_error& error) {
            return fail(ErrorKind::Usage, fmt::format("invalid regular expression '{}': {}", pattern, error.what()));
        }
    }
    if (!link::is_environment(prefix))
        return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment (it has no conda-meta/history)", prefix.string()),
                          std::nullopt, {"create it with `envctl create -p PATH`, or list the known ones with `envctl env list`"}});
    auto records = link::read_prefix_records(prefix);
    if (!records) return fail(std::move(records.error()));

    std::vector<ListedPackage> out;
    std::set<std::string> owned;
    for (const auto& installed : *records) {
        const auto& record = installed.record;
        ListedPackage package;
        package.name = record.name;
        package.version = record.version.str();
        package.build = record.build;
        package.build_number = record.build_number;
        package.channel = redact_url(record.channel);
        package.subdir = record.subdir;
        package.url = redact_url(record.url);
        package.requested_spec = installed.requested_spec;
        package.installer = "conda";
        out.push_back(std::move(package));
        for (const auto& path : installed.paths) owned.insert(path.path);
    }
    for (auto& package : python_distributions(prefix, owned)) out.push_back(std::move(package));
    if (filter)
        std::erase_if(out, [&](const ListedPackage& package) { return !std::regex_search(package.name, *filter); });
    std::stable_sort(out.begin(), out.end(), [](const ListedPackage& a, const ListedPackage& b) {
        return a.name != b.name ? a.name < b.name : a.pypi < b.pypi;
    });
    return out;
}

nlohmann::json list_json(const std::vector<ListedPackage>& packages) {
    auto out = nlohmann::json::array();
    for (const auto& package : packages) {
        const auto base_url = package.pypi ? std::string("https://pypi.org/") : package.channel;
        out.push_back({{"base_url", base_url},
                       {"build_number", package.build_number},
                       {"build_string", package.build},
                       {"channel", package.channel},
                       {"dist_name", package.dist_name()},
                       {"name", package.name},
                       {"platform", package.subdir},
                       {"version", package.version},
                       {"url", package.url},
                       {"requested_spec", package.requested_spec},
                       {"installer", package.installer}});
    }
    return out;
}

}  // namespace envctl::ops
