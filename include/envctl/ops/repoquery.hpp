#pragma once
// `envctl repoquery depends|whoneeds`: what a package needs, or what needs it, in a prefix
// (its conda-meta records) or in channels (their repodata).
//
//   ops::RepoqueryRequest request;
//   request.kind = ops::RepoqueryRequest::Kind::Depends;
//   request.spec = "numpy";
//   request.prefix = "/work/env";   // or: request.channels = {"conda-forge"}
//   auto result = ops::repoquery(request, config, environment, repodata_options);
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

struct RepoqueryRequest {
    enum class Kind { Depends, WhoNeeds };
    Kind kind = Kind::Depends;
    std::string spec;                   // match spec of the package asked about
    bool tree = false;                  // follow the relation transitively
    std::filesystem::path prefix;       // query this environment; empty: channels
    std::vector<std::string> channels;  // -c, before the configured ones
    bool override_channels = false;
    std::string platform;               // subdir for channel queries; empty: the host's
};

// One package in the answer. For `depends`, `spec` is the dependency that led to it (the query
// for the root); a spec that nothing matches gives a node with `missing` set and no record.
struct QueryNode {
    conda::PackageRecord record;
    std::string spec;
    bool missing = false;
    bool repeated = false;  // shown earlier in the tree; its children are not repeated
    std::vector<QueryNode> children;
};

struct RepoqueryResult {
    RepoqueryRequest::Kind kind = RepoqueryRequest::Kind::Depends;
    std::string query;
    std::string source;  // "prefix" or "channels"
    QueryNode root;      // the package asked about (missing when nothing matches the spec)
    // Every distinct package of the tree below the root, in the order first reached.
    std::vector<conda::PackageRecord> packages;
};

// Depends: the root is the best record matching the spec (installed one in a prefix; highest
// version, build number, timestamp in channel order otherwise); its children are the best
// records matching each of its depends. WhoNeeds: the children are the records whose depends
// name the root's package (in channels, the best record of each such package name). With
// `tree` the relation is followed until every package was expanded once.
// Errors: Usage (bad spec, no channels), Input (not an environment), Network.
Result<RepoqueryResult> repoquery(const RepoqueryRequest& request, const config::Config& config,
                                  const config::Environment& environment, const repodata::Options& options);

// {"query": {"query": spec, "type": "depends"|"whoneeds"}, "result": {"graph_roots": [record],
//  "msg": "", "pkgs": [records]}, "tree": {...}} -- micromamba's repoquery --json keys, plus
// "tree" (nested {"name", "version", "build", "channel", "spec", "missing", "repeated",
// "children"}) when the request asked for a tree.
nlohmann::json repoquery_json(const RepoqueryResult& result, bool tree);

// The text answer: a table of packages, or the tree drawn with ├─ └─.
std::string repoquery_text(const RepoqueryResult& result, bool tree);

}  // namespace envctl::ops
