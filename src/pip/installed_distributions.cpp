// Python distributions installed in a prefix: the *.dist-info folders of its site-packages.
#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/pip/wheel_install.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/util/fs.hpp"

namespace envctl::pip {

namespace fs = std::filesystem;

namespace {

std::string first_line(const std::string& text) {
    auto line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
    return line;
}

InstalledDistribution read_distribution(const fs::path& directory, const std::string& site_packages) {
    InstalledDistribution distribution;
    distribution.dist_info = directory.filename().string();
    distribution.site_packages = site_packages;
    // The folder name "<name>-<version>.dist-info" stands in when METADATA cannot be read.
    const auto stem = distribution.dist_info.substr(0, distribution.dist_info.size() - std::string_view(".dist-info").size());
    const auto dash = stem.find('-');
    distribution.name = stem.substr(0, dash);
    if (dash != std::string::npos) distribution.version = stem.substr(dash + 1);
    if (auto metadata = read_file(directory / "METADATA")) {
        // Only the headers matter here; the body can be large.
        const auto end = metadata->find("\n\n");
        if (end != std::string::npos) metadata->resize(end + 1);
        if (auto headers = pypi::HeaderDocument::parse(*metadata, (directory / "METADATA").string())) {
            if (auto name = headers->get("Name")) distribution.name = std::string(*name);
            if (auto version = headers->get("Version")) distribution.version = std::string(*version);
        }
    }
    if (auto installer = read_file(directory / "INSTALLER")) distribution.installer = first_line(*installer);
    struct stat status {};
    distribution.requested = ::stat((directory / "REQUESTED").c_str(), &status) == 0;
    if (auto direct = read_file(directory / "direct_url.json")) {
        const auto document = nlohmann::json::parse(*direct, nullptr, false);
        if (document.is_object() && document.contains("url") && document["url"].is_string())
            distribution.direct_url = document["url"].get<std::string>();
    }
    return distribution;
}

std::vector<std::string> site_packages_folders(const fs::path& prefix) {
    std::vector<std::string> out;
    std::error_code error;
    for (auto it = fs::directory_iterator(prefix / "lib", error); !error && it != fs::directory_iterator();
         it.increment(error)) {
        const auto name = it->path().filename().string();
        if (!name.starts_with("python")) continue;
        const auto site = "lib/" + name + "/site-packages";
        if (fs::is_directory(prefix / site)) out.push_back(site);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

Result<std::vector<InstalledDistribution>> list_distributions(const fs::path& prefix, const std::string& site_packages) {
    std::vector<InstalledDistribution> out;
    const auto folders = site_packages.empty() ? site_packages_folders(prefix) : std::vector<std::string>{site_packages};
    for (const auto& site : folders) {
        std::error_code error;
        const auto directory = prefix / site;
        if (!fs::exists(directory, error)) continue;
        for (auto it = fs::directory_iterator(directory, error); !error && it != fs::directory_iterator();
             it.increment(error)) {
            if (it->path().extension() != ".dist-info" || !it->is_directory(error)) continue;
            out.push_back(read_distribution(it->path(), site));
        }
        if (error)
            return fail(ErrorKind::Io, fmt::format("cannot list {}: {}", directory.string(), error.message()));
    }
    std::sort(out.begin(), out.end(), [](const InstalledDistribution& a, const InstalledDistribution& b) {
        const auto left = pypi::normalize_name(a.name);
        const auto right = pypi::normalize_name(b.name);
        return left != right ? left < right : a.dist_info < b.dist_info;
    });
    return out;
}

}  // namespace envctl::pip
