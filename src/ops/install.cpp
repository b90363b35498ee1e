// apply_environment: lock, recover, resolve, diff, fetch, link.
#include "envctl/ops/install.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/net/options.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string without_trailing_slash(std::string text) {
    while (text.size() > 1 && text.back() == '/') text.pop_back();
    return text;
}

bool same_package(const conda::PackageRecord& installed, const conda::PackageRecord& target) {
    if (installed.name != target.name || installed.version.str() != target.version.str() || installed.build != target.build)
        return false;
    if (!installed.channel.empty() && !target.channel.empty() &&
        without_trailing_slash(installed.channel) != without_trailing_slash(target.channel))
        return false;
    if (!installed.sha256.empty() && !target.sha256.empty()) return to_lower(installed.sha256) == to_lower(target.sha256);
    if (!installed.md5.empty() && !target.md5.empty()) return to_lower(installed.md5) == to_lower(target.md5);
    return true;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Whether conda-meta/state would change.
bool state_differs(const fs::path& prefix, const std::vector<std::pair<std::string, std::string>>& env_vars) {
    auto text = read_file(prefix / "conda-meta" / "state");
    if (!text) return !env_vars.empty();
    return *text != link::state_json(env_vars);
}

}  // namespace

PrefixChanges diff_prefix(const fs::path& prefix, const std::vector<link::PrefixRecord>& installed,
                          const std::vector<conda::PackageRecord>& target) {
    PrefixChanges changes;
    changes.prefix = prefix;
    std::map<std::string, const conda::PackageRecord*> wanted;
    for (const auto& record : target) wanted[record.name] = &record;
    std::map<std::string, const link::PrefixRecord*> have;
    for (const auto& record : installed) have[record.record.name] = &record;
    for (const auto& record : installed) {
        const auto it = wanted.find(record.record.name);
        if (it != wanted.end() && same_package(record.record, *it->second)) {
            ++changes.unchanged;
            continue;
        }
        changes.unlink.push_back(record);
    }
    std::vector<const conda::PackageRecord*> coming;
    for (const auto& record : target) {
        const auto it = have.find(record.name);
        if (it != have.end() && same_package(it->second->record, record)) continue;
        coming.push_back(&record);
    }
    for (const auto i : link::dependency_order(coming)) changes.link.push_back(*coming[i]);
    return changes;
}

std::string authenticated_download_url(const conda::PackageRecord& record, const std::vector<conda::Channel>& channels) {
    for (const auto& channel : channels) {
        if (channel.credentials().empty()) continue;
        const auto base = channel.base_url() + "/";
        if (record.url.starts_with(base)) return channel.authenticated_url() + "/" + record.url.substr(base.size());
    }
    return record.url;
}

std::optional<link::PythonContext> python_of(const std::vector<conda::PackageRecord>& target) {
    for (const auto& record : target)
        if (record.name == "python") return link::python_context(record);
    return std::nullopt;
}

Result<ApplyResult> apply_environment(const ApplyRequest& request, const config::Config& config,
                                      const config::Environment& environment, const ApplyCallbacks& callbacks) {
    auto notice = [&](const std::string& text) {
        if (callbacks.on_notice) callbacks.on_notice(text);
    };
    ApplyResult result;
    const auto prefix = fs::path(without_trailing_slash(fs::absolute(request.prefix).lexically_normal().string()));
    const bool existed = fs::exists(prefix);
    auto lock = link::PrefixLock::acquire(
        prefix, [&] { notice(fmt::format("waiting for another envctl process to finish with {}", prefix.string())); });
    if (!lock) return fail(std::move(lock.error()));
    auto recovery = link::recover(prefix, *lock);
    if (!recovery) return fail(std::move(recovery.error()));
    result.recovery = std::move(*recovery);
    if (result.recovery.outcome != link::RecoveryReport::Outcome::Nothing)
        notice(fmt::format("{}: {}", prefix.string(), result.recovery.summary()));
    auto installed = link::read_prefix_records(prefix);
    if (!installed) return fail(std::move(installed.error()));
    auto target = request.resolve(*installed);
    if (!target) {
        if (!existed) {
            std::error_code ignored;  // leave no empty folder behind for a request that failed
            fs::remove_all(prefix, ignored);
        }
        return fail(std::move(target.error()));
    }
    result.changes = diff_prefix(prefix, *installed, *target);
    for (const auto& record : result.changes.link)
        if (record.url.empty())
            return fail(ErrorKind::Input, fmt::format("package {} has no download URL", record.dist_name()));
    const bool needs_state = request.env_vars && state_differs(prefix, *request.env_vars);
    const bool needs_history = !link::is_environment(prefix);
    if (request.dry_run) return result;
    if (!result.changes.empty() && callbacks.confirm && !callbacks.confirm(result.changes)) {
        result.aborted = true;
        return result;
    }
    if (result.changes.empty() && !needs_state && !needs_history) return result;

    const auto fetch_start = std::chrono::steady_clock::now();
    std::vector<fetch::FetchedPackage> fetched;
    if (!result.changes.link.empty()) {
        auto cache = fetch::PackageCache::open(config.pkgs_dirs);
        if (!cache) return fail(std::move(cache.error()));
        std::vector<fetch::PackageRequest> requests;
        for (const auto& record : result.changes.link)
            requests.push_back({record, authenticated_download_url(record, request.channels)});
        fetch::FetchOptions options;
        options.network = net::network_options(config, environment, request.user_agent);
        options.extract_threads = config.extract_threads > 0 ? static_cast<std::size_t>(config.extract_threads)
                                                              : std::max(1u, std::thread::hardware_concurrency());
        options.on_progress = callbacks.on_fetch_progress;
        options.cancel = callbacks.cancel;
        auto packages = fetch::fetch_packages(*cache, requests, options);
        if (!packages) return fail(std::move(packages.error()));
        fetched = std::move(*packages);
    }
    result.fetch_seconds = seconds_since(fetch_start);

    std::map<std::string, std::string> requested(request.requested_specs.begin(), request.requested_specs.end());
    std::vector<link::LinkSource> sources;
    sources.reserve(fetched.size());
    for (auto& package : fetched) {
        switch (package.source) {
            case fetch::PackageSource::Cache: ++result.from_cache; break;
            case fetch::PackageSource::Extracted: ++result.extracted; break;
            case fetch::PackageSource::Downloaded:
                ++result.downloaded;
                result.downloaded_bytes += package.downloaded_bytes;
                break;
        }
        link::LinkSource source;
        source.record = std::move(package.record);
        source.directory = std::move(package.directory);
        source.archive = std::move(package.archive);
        source.info = std::move(package.info);
        source.warnings = std::move(package.warnings);
        if (const auto it = requested.find(source.record.name); it != requested.end()) source.requested_spec = it->second;
        sources.push_back(std::move(source));
    }

    link::TransactionOptions options;
    options.always_copy = request.always_copy;
    options.link_scripts = request.link_scripts;
    options.compile_pyc = request.compile_pyc;
    options.python = python_of(*target);
    options.root_prefix = config.root_prefix;
    options.command = request.command;
    options.tool_version = request.tool_version;
    options.update_specs = request.update_specs;
    options.remove_specs = request.remove_specs;
    options.env_vars = request.env_vars;
    options.on_progress = callbacks.on_link_progress;
    options.on_warning = callbacks.on_warning;
    options.on_message = callbacks.on_message;
    const auto link_start = std::chrono::steady_clock::now();
    auto transaction = link::execute(prefix, result.changes.unlink, std::move(sources), options, *lock);
    if (!transaction) return fail(std::move(transaction.error()));
    result.link_seconds = seconds_since(link_start);
    result.transaction = std::move(*transaction);
    return result;
}

json record_summary_json(const conda::PackageRecord& record) {
    return json{{"name", record.name},       {"version", record.version.str()},
                {"build", record.build},     {"build_number", record.build_number},
                {"channel", record.channel}, {"subdir", record.subdir},
                {"fn", record.fn},           {"url", redact_url(record.url)},
                {"dist_name", record.dist_name()}};
}

json apply_result_json(const ApplyResult& result) {
    json link = json::array();
    for (const auto& record : result.changes.link) link.push_back(record_summary_json(record));
    json unlink = json::array();
    for (const auto& record : result.changes.unlink) unlink.push_back(record_summary_json(record.record));
    json out = {{"success", true},
                {"prefix", result.changes.prefix.string()},
                {"actions", {{"LINK", std::move(link)}, {"UNLINK", std::move(unlink)}}},
                {"aborted", result.aborted},
                {"unchanged", result.changes.unchanged},
                {"cache", {{"downloaded", result.downloaded},
                           {"downloaded_bytes", result.downloaded_bytes},
                           {"extracted", result.extracted},
                           {"cached", result.from_cache}}},
                {"timings", {{"fetch_seconds", result.fetch_seconds}, {"link_seconds", result.link_seconds}}},
                {"files", {{"hardlinks", result.transaction.hardlinks},
                           {"copies", result.transaction.copies},
                           {"prefix_replaced", result.transaction.replaced},
                           {"symlinks", result.transaction.symlinks},
                           {"pyc", result.transaction.pyc_files}}},
                {"clobbered", result.transaction.clobbered}};
    if (result.recovery.outcome != link::RecoveryReport::Outcome::Nothing) out["recovery"] = result.recovery.summary();
    if (!result.transaction.messages.empty()) out["messages"] = result.transaction.messages;
    return out;
}

}  // namespace envctl::ops
