// Installing pip packages after the conda packages of an environment.
#include "envctl/ops/pip_install.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/fetch/cache.hpp"
#include "envctl/link/transaction.hpp"
#include "envctl/pip/index_client.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {

std::vector<PipPackage> pip_packages(const std::vector<pip::ResolvedWheel>& wheels) {
    std::vector<PipPackage> out;
    out.reserve(wheels.size());
    for (const auto& wheel : wheels)
        out.push_back({wheel.name, wheel.version.to_string(), wheel.file.url, wheel.sha256, wheel.requested, wheel.direct});
    return out;
}

Result<std::vector<PipPackage>> pip_packages(const std::vector<lock::LockedPackage>& entries,
                                             const std::vector<std::string>& requested) {
    std::vector<PipPackage> out;
    for (const auto& entry : entries) {
        if (entry.manager != lock::Manager::Pip) continue;
        if (entry.sha256.empty())
            return fail(Error{ErrorKind::Input, fmt::format("the locked pip package {} {} has no sha256", entry.name, entry.version),
                              std::nullopt, {"relock with envctl lock, which records a sha256 for every wheel"}});
        const auto name = pypi::normalize_name(entry.name);
        const bool is_requested = std::find(requested.begin(), requested.end(), name) != requested.end();
        // An index serves wheels under its own paths; a wheel URL outside any index page is a
        // direct reference (file:// wheels, `name @ URL`), which we cannot tell apart here:
        // file:// URLs are treated as direct.
        out.push_back({name, entry.version, entry.url, entry.sha256, is_requested, entry.url.starts_with("file:")});
    }
    return out;
}

namespace {

namespace fs = std::filesystem;

void add_distribution(std::vector<pip::DistributionName>& out, pip::DistributionName distribution) {
    if (std::find(out.begin(), out.end(), distribution) == out.end()) out.push_back(std::move(distribution));
}

// The metadata folders directly in the site-packages folders of an extracted package:
// site-packages/ (noarch: python), lib/python*/site-packages/, Lib/site-packages/ (Windows).
std::vector<pip::DistributionName> extracted_distributions(const fs::path& entry) {
    std::vector<std::string> sites{"site-packages", "Lib/site-packages"};
    std::error_code error;
    for (auto it = fs::directory_iterator(entry / "lib", error); !error && it != fs::directory_iterator(); it.increment(error))
        if (it->path().filename().string().starts_with("python")) sites.push_back("lib/" + it->path().filename().string() + "/site-packages");
    std::vector<pip::DistributionName> out;
    for (const auto& site : sites) {
        std::error_code listing;
        for (auto it = fs::directory_iterator(entry / site, listing); !listing && it != fs::directory_iterator(); it.increment(listing))
            if (auto distribution = pip::distribution_of_path(site + "/" + it->path().filename().string()))
                add_distribution(out, std::move(*distribution));
    }
    return out;
}

// The metadata folders among the files conda-meta lists for `record` in `prefix`.
std::vector<pip::DistributionName> installed_distributions(const fs::path& prefix, const conda::PackageRecord& record) {
    std::vector<pip::DistributionName> out;
    const auto file = prefix / "conda-meta" / fmt::format("{}-{}-{}.json", record.name, record.version.str(), record.build);
    auto text = read_file(file);
    if (!text) return out;
    const auto document = nlohmann::json::parse(*text, nullptr, false);
    if (!document.is_object() || !document.contains("files") || !document["files"].is_array()) return out;
    for (const auto& path : document["files"])
        if (path.is_string())
            if (auto distribution = pip::distribution_of_path(path.get_ref<const std::string&>())) add_distribution(out, std::move(*distribution));
    return out;
}

}  // namespace

pip::CondaDistributions conda_distributions(const std::vector<conda::PackageRecord>& records, const std::vector<fs::path>& pkgs_dirs,
                                            const fs::path& prefix) {
    pip::CondaDistributions out;
    for (const auto& record : records) {
        if (record.name == "python" || !pip::is_python_package(record)) continue;
        std::vector<pip::DistributionName> found;
        if (!prefix.empty()) found = installed_distributions(prefix, record);
        if (found.empty()) {
            const auto archive = fetch::checked_archive_name(record);
            if (!archive) continue;
            const auto stem = fetch::archive_stem(*archive);
            for (const auto& directory : pkgs_dirs)
                if (fetch::is_complete_entry(directory / stem, record)) {
                    found = extracted_distributions(directory / stem);
                    break;
                }
        }
        if (!found.empty()) out[record.name] = std::move(found);
    }
    return out;
}

std::vector<std::string> requested_pip_names(const std::vector<std::string>& lines) {
    std::vector<std::string> names;
    for (const auto& line : lines) {
        if (line.empty() || line.front() == '-') continue;
        if (auto requirement = pypi::Requirement::parse(line)) names.push_back(requirement->normalized_name());
    }
    return names;
}

Result<PipInstallOutcome> install_pip_packages(const PipInstallRequest& request) {
    PipInstallOutcome outcome;
    if (request.packages.empty()) return outcome;
    const auto python = std::find_if(request.records.begin(), request.records.end(),
                                     [](const conda::PackageRecord& record) { return record.name == "python"; });
    if (python == request.records.end())
        return fail(Error{ErrorKind::Input, "pip packages need python in the environment", std::nullopt, {"add python to the dependencies"}});
    const auto context = link::python_context(*python);
    if (!context) return fail(ErrorKind::Input, fmt::format("cannot tell the site-packages of python {}", python->version.str()));

    std::vector<pip::IndexFile> files;
    for (const auto& package : request.packages) {
        pip::IndexFile file;
        file.url = package.url;
        const auto path = std::string_view(package.url).substr(0, package.url.find_first_of("?#"));
        file.filename = pip::percent_decode(path.substr(path.rfind('/') + 1));
        file.hashes["sha256"] = package.sha256;
        files.push_back(std::move(file));
    }
    pip::IndexOptions options;
    options.cache_dir = request.settings.cache_dir;
    options.offline = request.settings.offline;
    options.network = request.settings.network;
    pip::IndexClient client(options);
    auto paths = client.fetch_wheels(files);
    if (!paths) return fail(std::move(paths.error()));
    outcome.downloaded = client.stats().wheels_downloaded;

    auto lock = link::PrefixLock::acquire(request.prefix);
    if (!lock) return fail(std::move(lock.error()));
    if (auto recovered = pip::recover_pip_transaction(request.prefix, *lock); !recovered) return fail(std::move(recovered.error()));
    pip::PipTransaction change;
    change.prefix = request.prefix;
    change.python = *context;
    change.compile_pyc = request.compile_pyc;
    change.on_warning = request.on_warning;
    for (std::size_t i = 0; i < request.packages.size(); ++i) {
        const auto& package = request.packages[i];
        pip::WheelToInstall wheel;
        wheel.wheel = (*paths)[i];
        wheel.requested = package.requested;
        wheel.expected_sha256 = package.sha256;
        if (package.direct) wheel.direct_url = pip::DirectUrl{strip_credentials(package.url), package.sha256};
        change.install.push_back(std::move(wheel));
    }
    auto result = pip::apply_pip_transaction(change, *lock);
    if (!result) return fail(std::move(result.error()));
    outcome.installed = std::move(result->installed);
    outcome.removed = std::move(result->removed);
    return outcome;
}

}  // namespace envctl::ops
