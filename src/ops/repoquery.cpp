// repoquery(): depends / whoneeds over a prefix's records or channels' repodata.
#include "envctl/ops/repoquery.hpp"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/ops/search.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;
using Kind = RepoqueryRequest::Kind;

struct Candidate {
    conda::PackageRecord record;
    std::size_t priority = 0;  // channel index; 0 in a prefix
};

bool names_package(const conda::PackageRecord& record, const std::string& name) {
    return std::any_of(record.depends.begin(), record.depends.end(),
                       [&](const std::string& dep) { return repodata::dependency_name(dep) == name; });
}

// Where records come from: a prefix or channels.
class Universe {
public:
    virtual ~Universe() = default;
    virtual Result<const std::vector<Candidate>*> named(const std::string& name) = 0;
    virtual Result<const std::vector<Candidate>*> dependents(const std::string& name) = 0;
};

class PrefixUniverse final : public Universe {
public:
    explicit PrefixUniverse(std::vector<link::PrefixRecord> records) {
        for (auto& installed : records) records_.push_back({std::move(installed.record), 0});
    }
    Result<const std::vector<Candidate>*> named(const std::string& name) override {
        return &filtered(named_, name, [&](const Candidate& c) { return c.record.name == name; });
    }
    Result<const std::vector<Candidate>*> dependents(const std::string& name) override {
        return &filtered(dependents_, name, [&](const Candidate& c) { return names_package(c.record, name); });
    }

private:
    template <typename Keep>
    const std::vector<Candidate>& filtered(std::map<std::string, std::vector<Candidate>>& cache, const std::string& name,
                                           Keep keep) {
        auto [it, added] = cache.try_emplace(name);
        if (added)
            for (const auto& candidate : records_)
                if (keep(candidate)) it->second.push_back(candidate);
        return it->second;
    }
    std::vector<Candidate> records_;
    std::map<std::string, std::vector<Candidate>> named_, dependents_;
};

class ChannelUniverse final : public Universe {
public:
    ChannelUniverse(std::vector<conda::Channel> channels, std::vector<std::string> subdirs, repodata::Options options)
        : channels_(std::move(channels)), subdirs_(std::move(subdirs)), options_(std::move(options)) {}

    // Depends: the records of every name reachable from `root`, loaded once.
    Result<const std::vector<Candidate>*> named(const std::string& name) override {
        if (!reachable_) {
            const std::vector<std::string> roots = {root_};
            auto loaded = repodata::load_names(channels_, subdirs_, roots, true, options_);
            if (!loaded) return fail(std::move(loaded.error()));
            reachable_ = std::make_unique<repodata::Repodata>(std::move(*loaded));
        }
        auto [it, added] = named_.try_emplace(name);
        if (added)
            for (auto& record : reachable_->records_named(name)) it->second.push_back({record, priority_of(record)});
        return &it->second;
    }

    // WhoNeeds: a scan of every record of every subdir (loaded once) for depends naming `name`.
    Result<const std::vector<Candidate>*> dependents(const std::string& name) override {
        if (!all_) {
            auto loaded = repodata::load_all(channels_, subdirs_, options_);
            if (!loaded) return fail(std::move(loaded.error()));
            all_ = std::make_unique<repodata::Repodata>(std::move(*loaded));
        }
        auto [it, added] = dependents_.try_emplace(name);
        if (!added) return &it->second;
        for (const auto& subdir : all_->subdirs()) {
            const auto& store = *subdir.store;
            for (std::size_t index = 0; index < store.size(); ++index) {
                const auto view = store.record(index);
                bool hit = false;
                for (const auto dep : view.depends())
                    if (repodata::dependency_name(dep) == name) {
                        hit = true;
                        break;
                    }
                if (hit) it->second.push_back({store.materialize(index, subdir.context), subdir.channel_index});
            }
        }
        return &it->second;
    }

    void set_root(std::string name) { root_ = std::move(name); }

private:
    std::size_t priority_of(const conda::PackageRecord& record) const {
        for (std::size_t i = 0; i < channels_.size(); ++i)
            if (channels_[i].base_url() == record.channel) return i;
        return channels_.size();
    }
    std::vector<conda::Channel> channels_;
    std::vector<std::string> subdirs_;
    repodata::Options options_;
    std::string root_;
    std::unique_ptr<repodata::Repodata> reachable_, all_;
    std::map<std::string, std::vector<Candidate>> named_, dependents_;
};

// Higher channel priority, version, build number, timestamp first.
bool better(const Candidate& a, const Candidate& b) {
    if (a.priority != b.priority) return a.priority < b.priority;
    if (const auto c = a.record.version <=> b.record.version; c != 0) return c > 0;
    if (a.record.build_number != b.record.build_number) return a.record.build_number > b.record.build_number;
    if (a.record.timestamp != b.record.timestamp) return a.record.timestamp > b.record.timestamp;
    return a.record.build < b.record.build;
}

const Candidate* best_matching(const std::vector<Candidate>& candidates, const conda::MatchSpec& spec,
                               const conda::ChannelContext& context) {
    const Candidate* best = nullptr;
    for (const auto& candidate : candidates)
        if (spec.matches(candidate.record, context) && (!best || better(candidate, *best))) best = &candidate;
    return best;
}

class TreeBuilder {
public:
    TreeBuilder(Universe& universe, Kind kind, bool tree, conda::ChannelContext context)
        : universe_(universe), kind_(kind), tree_(tree), context_(std::move(context)) {}

    Status expand(QueryNode& node) {
        expanded_.insert(node.record.name);
        if (kind_ == Kind::Depends) {
            for (const auto& dep : node.record.depends) {
                const auto name = repodata::dependency_name(dep);
                if (name.empty() || name.starts_with("__")) continue;
                QueryNode child;
                child.spec = dep;
                auto spec = conda::MatchSpec::parse(dep);
                auto candidates = universe_.named(name);
                if (!candidates) return fail(std::move(candidates.error()));
                const Candidate* best = spec ? best_matching(**candidates, *spec, context_) : nullptr;
                if (!best) {
                    child.missing = true;
                    child.record.name = name;
                } else {
                    child.record = best->record;
                }
                node.children.push_back(std::move(child));
            }
        } else {
            auto candidates = universe_.dependents(node.record.name);
            if (!candidates) return fail(std::move(candidates.error()));
            std::map<std::string, const Candidate*> best_by_name;
            for (const auto& candidate : **candidates) {
                auto& best = best_by_name[candidate.record.name];
                if (!best || better(candidate, *best)) best = &candidate;
            }
            for (const auto& [name, candidate] : best_by_name) {
                QueryNode child;
                child.record = candidate->record;
                for (const auto& dep : candidate->record.depends)
                    if (repodata::dependency_name(dep) == node.record.name) child.spec = dep;
                node.children.push_back(std::move(child));
            }
        }
        for (auto& child : node.children) {
            if (child.missing) continue;
            const bool seen = !listed_.insert(child.record.name).second;
            if (!seen) packages.push_back(child.record);
            if (!tree_) continue;
            if (expanded_.count(child.record.name)) {
                child.repeated = true;
                continue;
            }
            if (auto done = expand(child); !done) return done;
        }
        return {};
    }

    std::vector<conda::PackageRecord> packages;

    void mark_listed(const std::string& name) { listed_.insert(name); }

private:
    Universe& universe_;
    Kind kind_;
    bool tree_;
    conda::ChannelContext context_;
    std::set<std::string> expanded_, listed_;
};

nlohmann::json node_json(const QueryNode& node) {
    nlohmann::json out = {{"name", node.record.name}, {"spec", node.spec}, {"missing", node.missing}, {"repeated", node.repeated}};
    if (!node.missing) {
        out["version"] = node.record.version.str();
        out["build"] = node.record.build;
        out["channel"] = redact_url(node.record.channel);
        out["subdir"] = node.record.subdir;
    }
    auto children = nlohmann::json::array();
    for (const auto& child : node.children) children.push_back(node_json(child));
    out["children"] = std::move(children);
    return out;
}

std::string node_label(const QueryNode& node) {
    if (node.missing) return fmt::format("{} (missing: nothing provides {})", node.record.name, node.spec);
    std::string text = fmt::format("{} {} {}", node.record.name, node.record.version.str(), node.record.build);
    if (node.repeated) text += " (shown above)";
    return text;
}

void draw(const QueryNode& node, const std::string& indent, std::string& out) {
    for (std::size_t i = 0; i < node.children.size(); ++i) {
        const bool last = i + 1 == node.children.size();
        out += indent + (last ? "└─ " : "├─ ") + node_label(node.children[i]) + "\n";
        draw(node.children[i], indent + (last ? "   " : "│  "), out);
    }
}

}  // namespace

Result<RepoqueryResult> repoquery(const RepoqueryRequest& request, const config::Config& config,
                                  const config::Environment& environment, const repodata::Options& options) {
    auto spec = conda::MatchSpec::parse(request.spec);
    if (!spec) return fail(std::move(spec.error()));
    const auto name = spec->exact_name();
    if (!name)
        return fail(Error{ErrorKind::Usage, fmt::format("'{}' does not name one package", request.spec), std::nullopt,
                          {"repoquery needs an exact package name, e.g. `numpy` or `numpy>=1.26`"}});
    const auto context = channel_context(config, environment);

    std::unique_ptr<Universe> universe;
    RepoqueryResult result;
    result.kind = request.kind;
    result.query = request.spec;
    if (!request.prefix.empty()) {
        if (!link::is_environment(request.prefix))
            return fail(Error{ErrorKind::Input,
                              fmt::format("{} is not an environment (it has no conda-meta/history)", request.prefix.string()),
                              std::nullopt, {"list the known environments with `envctl env list`"}});
        auto records = link::read_prefix_records(request.prefix);
        if (!records) return fail(std::move(records.error()));
        universe = std::make_unique<PrefixUniverse>(std::move(*records));
        result.source = "prefix";
    } else {
        auto channels = resolve_command_channels(request.channels, request.override_channels, config, environment);
        if (!channels) return fail(std::move(channels.error()));
        if (channels->empty())
            return fail(Error{ErrorKind::Usage, "no channels to query", std::nullopt,
                              {"give one with -c/--channel, or query an environment with -p/-n"}});
        const std::string platform = request.platform.empty() ? std::string(conda::host_subdir()) : request.platform;
        if (!conda::is_known_subdir(platform) || platform == "noarch")
            return fail(ErrorKind::Usage, fmt::format("unknown platform '{}'", platform));
        auto channel_universe = std::make_unique<ChannelUniverse>(std::move(*channels),
                                                                  std::vector<std::string>{platform, "noarch"}, options);
        channel_universe->set_root(std::string(*name));
        universe = std::move(channel_universe);
        result.source = "channels";
    }

    auto roots = universe->named(std::string(*name));
    if (!roots) return fail(std::move(roots.error()));
    result.root.spec = request.spec;
    const Candidate* root = best_matching(**roots, *spec, context);
    if (!root) {
        result.root.missing = true;
        result.root.record.name = std::string(*name);
        return result;
    }
    result.root.record = root->record;
    TreeBuilder builder(*universe, request.kind, request.tree, context);
    builder.mark_listed(result.root.record.name);
    if (auto done = builder.expand(result.root); !done) return fail(std::move(done.error()));
    result.packages = std::move(builder.packages);
    return result;
}

nlohmann::json repoquery_json(const RepoqueryResult& result, bool tree) {
    auto records = nlohmann::json::array();
    for (const auto& record : result.packages) records.push_back(conda::to_json(record));
    auto roots = nlohmann::json::array();
    if (!result.root.missing) roots.push_back(conda::to_json(result.root.record));
    const std::string type = result.kind == Kind::Depends ? "depends" : "whoneeds";
    nlohmann::json out = {
        {"query", {{"query", result.query}, {"type", type}}},
        {"result",
         {{"graph_roots", roots},
          {"msg", result.root.missing ? fmt::format("no package matches {}", result.query) : std::string()},
          {"pkgs", records}}},
        {"source", result.source},
    };
    if (tree) out["tree"] = node_json(result.root);
    return out;
}

std::string repoquery_text(const RepoqueryResult& result, bool tree) {
    if (result.root.missing) return fmt::format("No package matches {} in the {}.\n", result.query,
                                                result.source == "prefix" ? "environment" : "channels");
    const bool depends = result.kind == Kind::Depends;
    if (tree) {
        std::string out = node_label(result.root) + "\n";
        draw(result.root, "", out);
        return out;
    }
    std::string out = fmt::format("{} {} {} {}:\n\n", result.root.record.name, result.root.record.version.str(),
                                  result.root.record.build, depends ? "depends on" : "is needed by");
    if (result.root.children.empty()) return out + (depends ? "  (nothing)\n" : "  (nothing in the " + result.source + ")\n");
    std::size_t widths[3] = {4, 7, 5};
    for (const auto& child : result.root.children) {
        widths[0] = std::max(widths[0], child.record.name.size());
        widths[1] = std::max(widths[1], child.missing ? 7 : child.record.version.str().size());
        widths[2] = std::max(widths[2], child.record.build.size());
    }
    out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", "Name", widths[0], "Version", widths[1], "Build", widths[2],
                       depends ? "Required as" : "Requires");
    for (const auto& child : result.root.children) {
        if (child.missing) {
            out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", child.record.name, widths[0], "missing", widths[1], "",
                               widths[2], child.spec);
            continue;
        }
        out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", child.record.name, widths[0], child.record.version.str(),
                           widths[1], child.record.build, widths[2], child.spec);
    }
    return out;
}

}  // namespace envctl::ops
