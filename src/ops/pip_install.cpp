// Installing pip packages after the conda packages of an environment.
#include "envctl/ops/pip_install.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "envctl/link/transaction.hpp"
#include "envctl/pip/index_client.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {

std::vector<PipPackage> pip_packages(const std::vector<pip::ResolvedWheel>& wheels) {
    std::vector<PipPackage> out;
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
