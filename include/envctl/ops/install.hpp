#pragma once
// Making a prefix hold a given set of packages: the operation behind envctl create (without
// --dry-run), install, update and remove.
//
//   ops::ApplyRequest request;
//   request.prefix = prefix;
//   request.resolve = [&](const auto& installed) { return solve_for(installed); };  // under the lock
//   auto result = ops::apply_environment(request, config, environment, callbacks);
//
// Steps: lock the prefix (waiting for another envctl), recover a transaction an earlier run
// left behind, read conda-meta, ask `resolve` for the target environment, compute the change
// (unlink what goes, link what comes), ask `confirm`, fetch the packages to link into the
// package cache (parallel downloads with extraction overlapping them), then run the
// journaled transaction (link/transaction.hpp).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/fetch/fetch.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/link/transaction.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

// What a change does to a prefix.
struct PrefixChanges {
    std::filesystem::path prefix;
    std::vector<conda::PackageRecord> link;    // packages that come, dependency order
    std::vector<link::PrefixRecord> unlink;    // packages that go
    std::size_t unchanged = 0;                 // installed packages kept as they are
    bool empty() const { return link.empty() && unlink.empty(); }
};

// The difference between the prefix's records and the target environment. A package is kept
// when the target has the same name, version, build and channel (and the same sha256 or md5
// when both sides know it); otherwise it is unlinked and the target's record linked.
PrefixChanges diff_prefix(const std::filesystem::path& prefix, const std::vector<link::PrefixRecord>& installed,
                          const std::vector<conda::PackageRecord>& target);

struct ApplyRequest {
    std::filesystem::path prefix;
    // The environment the prefix must hold afterwards, given what it holds now. Called under
    // the prefix lock, after recovery.
    std::function<Result<std::vector<conda::PackageRecord>>(const std::vector<link::PrefixRecord>& installed)> resolve;
    // Requested specs by package name, for the records' requested_spec.
    std::vector<std::pair<std::string, std::string>> requested_specs;
    // Channels with their credentials: downloads from them authenticate; nothing stores them.
    std::vector<conda::Channel> channels;
    // History: the command line and the specs of "# update specs" / "# remove specs".
    std::string command;
    std::vector<std::string> update_specs;
    std::vector<std::string> remove_specs;
    std::optional<std::vector<std::pair<std::string, std::string>>> env_vars;  // conda-meta/state
    bool always_copy = false;
    bool link_scripts = true;
    bool compile_pyc = true;
    bool dry_run = false;  // stop after computing the change
    std::string user_agent = "envctl";
    std::string tool_version;  // written into history
};

struct ApplyCallbacks {
    // Called with the change before anything is fetched or changed; false aborts.
    std::function<bool(const PrefixChanges&)> confirm;
    // Notices (waiting for another process's lock, recovery) and warnings, one sentence each.
    std::function<void(const std::string&)> on_notice;
    std::function<void(const std::string&)> on_warning;
    std::function<void(const std::string&)> on_message;  // pre-link messages of packages
    std::function<void(const fetch::FetchProgress&)> on_fetch_progress;
    std::function<void(const link::TransactionProgress&)> on_link_progress;
    const net::CancellationToken* cancel = nullptr;
};

struct ApplyResult {
    PrefixChanges changes;
    bool aborted = false;  // confirm said no
    link::RecoveryReport recovery;
    link::TransactionResult transaction;
    std::size_t from_cache = 0;   // packages found extracted in the cache
    std::size_t extracted = 0;    // archives in the cache, extracted now
    std::size_t downloaded = 0;
    std::uint64_t downloaded_bytes = 0;
    double fetch_seconds = 0;
    double link_seconds = 0;
};

Result<ApplyResult> apply_environment(const ApplyRequest& request, const config::Config& config,
                                      const config::Environment& environment, const ApplyCallbacks& callbacks);

// The URL to download `record` from: record.url with the credentials of the channel it lives
// under, when one of `channels` has some.
std::string authenticated_download_url(const conda::PackageRecord& record, const std::vector<conda::Channel>& channels);

// The environment's python context after the change, from the target's python record.
std::optional<link::PythonContext> python_of(const std::vector<conda::PackageRecord>& target);

// --json shape: {"prefix", "link": [...], "unlink": [...], "downloaded", "cached", ...}.
nlohmann::json apply_result_json(const ApplyResult& result);
nlohmann::json record_summary_json(const conda::PackageRecord& record);

}  // namespace envctl::ops
