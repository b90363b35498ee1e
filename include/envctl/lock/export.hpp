#pragma once
// `envctl export`: an installed prefix written as an environment.yml with exact pins, a CEP 23
// explicit file, or a conda-lock v1 lockfile. Feeding the output to `envctl create` rebuilds
// the same package set.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/lock/prefix.hpp"
#include "envctl/util/result.hpp"

namespace envctl::lock {

enum class ExportFormat { Environment, Explicit, Lock };

struct ExportOptions {
    ExportFormat format = ExportFormat::Environment;
    bool from_history = false;  // environment: only what the user asked for (conda-meta/history)
    bool no_builds = false;     // environment: name=version instead of name=version=build
    std::string name;           // environment `name:`; empty: the prefix folder's name
    std::string fallback_platform;          // when no record names a platform
    conda::ChannelContext channel_context;  // shows channels under the alias by name
    std::string history_text;               // conda-meta/history, for from_history
};

// The document as text. Environment: name, channels in use (most packages first), dependencies
// sorted by name, then `- pip:` with name==version of the pip-installed distributions (with
// from_history: the history's specs and the pip distributions marked REQUESTED, unpinned).
// Explicit: URLs with #sha256, in name order. Lock: one platform, conda entries
// for every record; pip distributions, which have no recorded URL or hash, are listed under
// custom_metadata envctl.pip. Fails (ErrorKind::Input) for from_history without any recorded
// request, and for explicit/lock exports of records without a URL.
Result<std::string> export_prefix(const Prefix& prefix, const ExportOptions& options);

// The environment export as JSON: {"name", "channels": [...], "dependencies": [...], "pip": [...]}.
Result<nlohmann::json> export_environment_json(const Prefix& prefix, const ExportOptions& options);

}  // namespace envctl::lock
