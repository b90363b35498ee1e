// The pip resolver: projects -> version candidates -> solve::core, widening metadata on conflicts.
#include "envctl/pip/resolve.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "envctl/pypi/name.hpp"
#include "envctl/pypi/tags.hpp"
#include "envctl/pypi/wheel.hpp"
#include "envctl/solve/core.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::pip {

namespace {

constexpr std::size_t kMaxSolves = 64;

// One version of a project that the target can install: its best wheel.
struct VersionEntry {
    pypi::Version version;
    IndexFile file;
    int tag_rank = 0;
    std::optional<pypi::CoreMetadata> metadata;
};

struct Project {
    std::string name;          // normalized
    std::string introduced_by;  // "environment.yml:12: 'x>=1'" or "required by y 2.0"
    std::vector<VersionEntry> versions;  // best first (highest version)
    std::size_t loaded = 1;     // versions (from the top) whose metadata the solve uses
    std::set<std::string> extras;
    bool direct = false;
    bool requested = false;
    std::optional<ProvidedDistribution> provided;
    std::optional<pypi::Version> provided_version;  // nullopt: conda's version is not PEP 440
};

// A requirement as the solver sees it: "name" or "name[extra]", a specifier set, or exactly
// one version of the base project (what "name[extra] V" needs).
struct SpecDef {
    std::string key;
    pypi::SpecifierSet specifier;
    std::optional<pypi::Version> exact;
    std::string text;  // for messages
};

std::string key_name(std::string_view key) { return std::string(key.substr(0, key.find('['))); }

class Resolver : public solve::core::CandidateMatcher {
public:
    Resolver(const ResolveRequest& request, IndexClient& client, pypi::TagSet tags, pypi::MarkerEnvironment environment)
        : request_(request), inputs_(*request.inputs), client_(client), tags_(std::move(tags)), environment_(std::move(environment)) {
        python_ = *pypi::Version::parse(request.target.python_version);
        for (const auto& provided : request.provided) provided_[provided.name] = provided;
        if (inputs_.pre) prereleases_ = true;
    }

    Result<Resolution> run() {
        if (auto added = add_top_level(); !added) return fail(std::move(added.error()));
        Resolution resolution;
        for (;;) {
            if (auto discovered = discover(); !discovered) return fail(std::move(discovered.error()));
            auto result = solve_once();
            ++resolution.solves;
            if (!result) return fail(std::move(result.error()));
            if (result->solved) return finish(*result, std::move(resolution));
            if (!widen(*result) || resolution.solves >= kMaxSolves)
                return fail(Error{ErrorKind::Unsatisfiable, explain(*result), std::nullopt,
                                  {"relax the version specifiers of the pip: section, or change the conda packages they conflict with"}});
        }
    }

    void candidates_for(solve::core::SpecId spec, std::vector<solve::core::CandidateId>& out) override {
        const auto& def = specs_[spec];
        const auto found = by_key_.find(def.key);
        if (found == by_key_.end()) return;
        const auto& ids = found->second;
        if (def.exact) {
            for (const auto id : ids)
                if (candidate_version_[id] && *candidate_version_[id] == *def.exact) out.push_back(id);
            return;
        }
        const auto found_project = projects_.find(key_name(def.key));
        if (found_project == projects_.end()) return;
        const auto& project = found_project->second;
        if (project.provided) {
            for (const auto id : ids)
                if (!candidate_version_[id] || def.specifier.contains(*candidate_version_[id], true)) out.push_back(id);
            return;  // a conda version envctl cannot compare is accepted
        }
        // The specification's pre-release rule over every known version of the project (loaded
        // or not): pre-releases only when asked for, named by the specifier, or when no final
        // release satisfies it.
        std::vector<pypi::Version> versions;
        for (const auto& entry : project.versions) versions.push_back(entry.version);
        std::vector<pypi::Version> allowed;
        for (const auto index : def.specifier.filter_indices(versions, prereleases_)) allowed.push_back(versions[index]);
        for (const auto id : ids)
            if (std::find(allowed.begin(), allowed.end(), *candidate_version_[id]) != allowed.end()) out.push_back(id);
    }

private:
    Status add_top_level() {
        for (const auto& constraint : inputs_.constraints)
            if (constraint.requirement.applies_to(environment_)) constraints_[constraint.normalized_name()].push_back(&constraint);
        for (const auto& line : inputs_.requirements) {
            if (!line.requirement.applies_to(environment_)) continue;
            const auto name = line.normalized_name();
            if (inputs_.no_binary_for(name) && !provided_.count(name))
                return fail(Error{ErrorKind::Input, fmt::format("{}: --no-binary asks to build '{}' from source, which envctl does not do", line.where(), name),
                                  line.location, {"remove --no-binary for it: envctl installs wheels only"}});
            top_level_.push_back(&line);
            auto& project = ensure(name, line.where());
            project.requested = true;
            for (const auto& extra : line.requirement.extras) project.extras.insert(extra);
            if (line.wheel) {
                if (direct_.count(name) && direct_[name]->wheel_url != line.wheel_url)
                    return fail(Error{ErrorKind::Input, fmt::format("{}: a second wheel for '{}' (see {})", line.where(), name, direct_[name]->where()),
                                      line.location, {}});
                direct_[name] = &line;
            }
        }
        return {};
    }

    Project& ensure(const std::string& name, std::string introduced_by) {
        auto [it, added] = projects_.try_emplace(name);
        if (added) {
            it->second.name = name;
            it->second.introduced_by = std::move(introduced_by);
            pending_.push_back(name);
        }
        return it->second;
    }

    // Loads pages of new projects and metadata of the versions in use, until nothing new appears.
    Status discover() {
        do {
            extras_changed_ = false;
            std::vector<std::string> names;
            for (auto& name : pending_)
                if (!provided_.count(name) && !direct_.count(name)) names.push_back(name);
            if (auto loaded = client_.load_projects(names); !loaded) return loaded;
            auto fresh = std::move(pending_);
            pending_.clear();
            for (const auto& name : fresh)
                if (auto built = build_versions(projects_.at(name)); !built) return built;
            if (auto loaded = load_metadata(); !loaded) return loaded;
            for (auto& [name, project] : projects_)
                for (std::size_t i = 0; i < std::min(project.loaded, project.versions.size()); ++i)
                    for (const auto& dependency : dependencies_of(project, project.versions[i], project.extras)) {
                        auto& dep = ensure(dependency.normalized_name(),
                                           fmt::format("{} {} requires '{}'", name, project.versions[i].version.to_string(), dependency.to_string()));
                        for (const auto& extra : dependency.extras)
                            if (dep.extras.insert(extra).second) extras_changed_ = true;
                    }
        } while (!pending_.empty() || needs_metadata() || extras_changed_);
        return {};
    }

    bool needs_metadata() const {
        for (const auto& [name, project] : projects_)
            for (std::size_t i = 0; i < std::min(project.loaded, project.versions.size()); ++i)
                if (!project.versions[i].metadata) return true;
        return false;
    }

    Status load_metadata() {
        std::vector<IndexFile> files;
        std::vector<VersionEntry*> targets;
        for (auto& [name, project] : projects_)
            for (std::size_t i = 0; i < std::min(project.loaded, project.versions.size()); ++i)
                if (!project.versions[i].metadata) {
                    files.push_back(project.versions[i].file);
                    targets.push_back(&project.versions[i]);
                }
        if (files.empty()) return {};
        auto metadata = client_.load_metadata(files);
        if (!metadata) return fail(std::move(metadata.error()));
        for (std::size_t i = 0; i < targets.size(); ++i) {
            auto& meta = (*metadata)[i];
            if (meta.normalized_name() != project_name_of(files[i]))
                return fail(ErrorKind::Input, fmt::format("the metadata of {} names another project ('{}')", files[i].filename, meta.name));
            targets[i]->metadata = std::move(meta);
        }
        return {};
    }

    static std::string project_name_of(const IndexFile& file) {
        if (auto wheel = pypi::WheelFilename::parse(file.filename)) return wheel->normalized_name();
        return {};
    }

    bool allowed_by_python(const IndexFile& file) const {
        if (!file.requires_python) return true;
        auto specifier = pypi::SpecifierSet::parse(*file.requires_python);
        return !specifier || specifier->contains(python_, true);  // an unreadable one is ignored, as pip does
    }

    // Versions from top-level specifiers and -c constraints only (dependencies' specifiers
    // are the solver's business).
    bool statically_allowed(const std::string& name, const pypi::Version& version, bool yanked) const {
        bool pinned = false;
        for (const auto* line : top_level_) {
            if (line->normalized_name() != name) continue;
            if (!line->requirement.specifier.contains(version, true)) return false;
            for (const auto& clause : line->requirement.specifier.specifiers())
                if ((clause.op() == pypi::SpecifierOperator::Equal && !clause.is_wildcard()) ||
                    clause.op() == pypi::SpecifierOperator::ArbitraryEqual)
                    pinned = true;
        }
        if (const auto found = constraints_.find(name); found != constraints_.end())
            for (const auto* constraint : found->second)
                if (!constraint->requirement.specifier.contains(version, true)) return false;
        return !yanked || pinned;
    }

    Status build_versions(Project& project) {
        const auto& name = project.name;
        if (const auto provided = provided_.find(name); provided != provided_.end()) {
            project.provided = provided->second;
            if (auto version = pypi::Version::parse(provided->second.version)) project.provided_version = std::move(*version);
            return {};
        }
        if (const auto direct = direct_.find(name); direct != direct_.end()) {
            const auto& line = *direct->second;
            VersionEntry entry;
            entry.version = line.wheel->version;
            entry.file.url = line.wheel_url;
            entry.file.filename = percent_decode(line.wheel_url.substr(line.wheel_url.rfind('/') + 1));
            for (const auto& hash : line.hashes) entry.file.hashes[hash.algorithm] = hash.hex;
            const auto rank = tags_.rank(*line.wheel);
            if (!rank)
                return fail(Error{ErrorKind::Input, fmt::format("{}: {} is not compatible with python {} on {}", line.where(), entry.file.filename,
                                                                request_.target.python_version, request_.target.subdir),
                                  line.location, {}});
            entry.tag_rank = *rank;
            project.direct = true;
            project.versions.push_back(std::move(entry));
            return {};
        }
        const auto& files = client_.files(name);
        std::map<pypi::Version, VersionEntry, std::greater<>> best;
        bool any_sdist = false, any_wheel = false, any_compatible = false;
        std::optional<pypi::Version> sdist_pin;
        for (const auto* line : top_level_)
            if (line->normalized_name() == name && line->sdist_version) sdist_pin = line->sdist_version;
        for (const auto& file : files) {
            const auto kind = pypi::distribution_kind(file.filename);
            if (kind == pypi::DistributionKind::SourceDistribution) any_sdist = true;
            if (kind != pypi::DistributionKind::Wheel) continue;
            auto wheel = pypi::WheelFilename::parse(file.filename);
            if (!wheel || wheel->normalized_name() != name) continue;
            any_wheel = true;
            const auto rank = tags_.rank(*wheel);
            if (!rank || !allowed_by_python(file)) continue;
            any_compatible = true;
            if (!statically_allowed(name, wheel->version, file.yanked)) continue;
            if (sdist_pin && wheel->version != *sdist_pin) continue;
            auto [it, added] = best.try_emplace(wheel->version);
            if (added || *rank < it->second.tag_rank) {
                it->second.version = wheel->version;
                it->second.file = file;
                it->second.tag_rank = *rank;
            }
        }
        if (!any_wheel && any_sdist)
            return fail(Error{ErrorKind::Input,
                              fmt::format("{}: '{}' has only source distributions on the index, which need building", project.introduced_by, name),
                              std::nullopt, {"envctl installs wheels only: build a wheel (pip wheel) and add it with --find-links, or install the package from conda"}});
        if (files.empty() && project.requested)
            return fail(Error{ErrorKind::Input, fmt::format("{}: no index has a project named '{}'", project.introduced_by, name), std::nullopt,
                              {"check the name and --index-url / pypi_index_url"}});
        if (any_wheel && !any_compatible)
            empty_reason_[name] = fmt::format("no wheel of '{}' fits python {} on {}", name, request_.target.python_version, request_.target.subdir);
        // Final releases first (newest first), then pre-releases, unless --pre: the first
        // candidates loaded are the ones a requirement without pre-release opt-in takes.
        for (auto& [version, entry] : best)
            if (prereleases_ || !version.is_prerelease()) project.versions.push_back(std::move(entry));
        if (!prereleases_)
            for (auto& [version, entry] : best)
                if (version.is_prerelease()) project.versions.push_back(std::move(entry));
        // An existing lockfile's version goes first, so relocks change as little as they can.
        if (const auto preferred = request_.preferred.find(name); preferred != request_.preferred.end())
            if (auto version = pypi::Version::parse(preferred->second)) {
                const auto at = std::find_if(project.versions.begin(), project.versions.end(),
                                             [&](const VersionEntry& entry) { return entry.version == *version; });
                if (at != project.versions.end()) std::rotate(project.versions.begin(), at, at + 1);
            }
        return {};
    }

    std::vector<pypi::Requirement> dependencies_of(const Project&, const VersionEntry& entry, const std::set<std::string>& extras) const {
        if (!entry.metadata) return {};
        std::vector<pypi::Requirement> out;
        auto environment = environment_;
        environment.extras.clear();
        out = entry.metadata->dependencies(environment);
        for (const auto& extra : extras) {
            environment.extras = {extra};
            for (auto& dep : entry.metadata->dependencies(environment))
                if (std::find(out.begin(), out.end(), dep) == out.end()) out.push_back(std::move(dep));
        }
        return out;
    }

    std::vector<pypi::Requirement> extra_dependencies(const VersionEntry& entry, const std::string& extra) const {
        if (!entry.metadata) return {};
        auto environment = environment_;
        environment.extras.clear();
        const auto base = entry.metadata->dependencies(environment);
        environment.extras = {extra};
        std::vector<pypi::Requirement> out;
        for (auto& dep : entry.metadata->dependencies(environment))
            if (std::find(base.begin(), base.end(), dep) == base.end()) out.push_back(std::move(dep));
        return out;
    }

    solve::core::SpecId spec(SpecDef def) {
        const auto key = fmt::format("{}|{}|{}", def.key, def.specifier.to_string(), def.exact ? def.exact->to_string() : "");
        const auto [it, added] = spec_ids_.try_emplace(key, static_cast<solve::core::SpecId>(specs_.size()));
        if (added) specs_.push_back(std::move(def));
        return it->second;
    }

    void requirement_specs(const pypi::Requirement& requirement, std::vector<solve::core::SpecId>& out) {
        const auto name = requirement.normalized_name();
        out.push_back(spec({name, requirement.specifier, std::nullopt, requirement.to_string()}));
        for (const auto& extra : requirement.extras)
            out.push_back(spec({fmt::format("{}[{}]", name, extra), requirement.specifier, std::nullopt, requirement.to_string()}));
    }

    Result<solve::core::CoreResult> solve_once() {
        specs_.clear();
        spec_ids_.clear();
        by_key_.clear();
        candidate_version_.clear();
        owners_.clear();
        solve::core::CoreRequest core;
        core.sources = {{"pypi", 0, false}, {"conda", 1, true}};
        const auto add = [&](solve::core::Candidate candidate, std::optional<pypi::Version> version, const Owner& owner) {
            const auto id = static_cast<solve::core::CandidateId>(core.candidates.size());
            by_key_[candidate.name].push_back(id);
            candidate_version_.push_back(std::move(version));
            owners_.push_back(owner);
            core.candidates.push_back(std::move(candidate));
            return id;
        };
        for (auto& [name, project] : projects_) {
            if (project.provided) {
                solve::core::Candidate candidate{name, 1, 1, {}, {}};
                const auto id = add(candidate, project.provided_version, Owner{&project, nullptr, {}});
                for (const auto& extra : project.extras) add({fmt::format("{}[{}]", name, extra), 1, 1, {}, {}}, project.provided_version, Owner{&project, nullptr, extra});
                core.jobs.push_back({solve::core::Job::Kind::Lock, id});
                continue;
            }
            const auto count = std::min(project.loaded, project.versions.size());
            for (std::size_t i = 0; i < count; ++i) {
                auto& entry = project.versions[i];
                const auto rank = static_cast<std::uint64_t>(project.versions.size() - i);
                solve::core::Candidate candidate{name, 0, rank, {}, {}};
                for (const auto& dependency : dependencies_of(project, entry, {})) requirement_specs(dependency, candidate.requires_specs);
                add(std::move(candidate), entry.version, Owner{&project, &entry, {}});
                for (const auto& extra : project.extras) {
                    solve::core::Candidate with_extra{fmt::format("{}[{}]", name, extra), 0, rank, {}, {}};
                    with_extra.requires_specs.push_back(spec({name, {}, entry.version, fmt::format("{}=={}", name, entry.version.to_string())}));
                    for (const auto& dependency : extra_dependencies(entry, extra)) requirement_specs(dependency, with_extra.requires_specs);
                    add(std::move(with_extra), entry.version, Owner{&project, &entry, extra});
                }
            }
        }
        for (const auto* line : top_level_) {
            std::vector<solve::core::SpecId> ids;
            requirement_specs(line->requirement, ids);
            for (const auto id : ids) {
                job_lines_[core.jobs.size()] = line;
                core.jobs.push_back({solve::core::Job::Kind::Install, id});
            }
        }
        core.spec_count = specs_.size();
        return solve::core::solve(core, *this);
    }

    // Loads more versions of the projects a failed solve names; false when none has more.
    bool widen(const solve::core::CoreResult& result) {
        std::set<std::string> names;
        for (const auto& problem : result.problems)
            for (const auto& fact : problem.facts) {
                if (fact.source) names.insert(owners_[*fact.source].project->name);
                if (fact.target) names.insert(owners_[*fact.target].project->name);
                if (fact.spec) names.insert(key_name(specs_[*fact.spec].key));
            }
        bool widened = false;
        for (const auto& name : names) {
            const auto found = projects_.find(name);
            if (found == projects_.end()) continue;
            auto& project = found->second;
            if (project.loaded >= project.versions.size()) continue;
            project.loaded = std::min(project.versions.size(), project.loaded * 2 + 1);
            widened = true;
        }
        return widened;
    }

    std::string candidate_text(solve::core::CandidateId id) const {
        const auto& owner = owners_[id];
        if (owner.project->provided) return owner.project->provided->provider;
        auto text = owner.project->name;
        if (!owner.extra.empty()) text += fmt::format("[{}]", owner.extra);
        return fmt::format("{} {}", text, owner.entry->version.to_string());
    }

    std::string explain(const solve::core::CoreResult& result) const {
        std::vector<std::string> lines;
        const auto add = [&](std::string line) {
            if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(std::move(line));
        };
        for (const auto& problem : result.problems)
            for (const auto& fact : problem.facts) {
                using K = solve::core::ProblemFact::Kind;
                const auto spec_text = [&]() -> std::string {
                    if (!fact.spec) return {};
                    const auto& def = specs_[*fact.spec];
                    std::string text = def.exact ? fmt::format("{}=={}", def.key, def.exact->to_string()) : def.key + def.specifier.to_string();
                    if (const auto reason = empty_reason_.find(key_name(def.key)); reason != empty_reason_.end())
                        text += fmt::format(" ({})", reason->second);
                    return text;
                };
                switch (fact.kind) {
                    case K::JobNothingProvides:
                    case K::Job:
                        if (fact.job && job_lines_.count(*fact.job)) {
                            const auto* line = job_lines_.at(*fact.job);
                            add(fact.kind == K::JobNothingProvides
                                    ? fmt::format("{}: no available version satisfies '{}'{}", line->where(), line->requirement.to_string(),
                                                  available_text(line->normalized_name()))
                                    : fmt::format("{} is requested", line->where()));
                        }
                        break;
                    case K::NothingProvides:
                        if (fact.source) add(fmt::format("{} requires {}, which no available version satisfies{}", candidate_text(*fact.source), spec_text(),
                                                         fact.spec ? available_text(key_name(specs_[*fact.spec].key)) : ""));
                        break;
                    case K::Requires:
                        if (fact.source) add(fmt::format("{} requires {}", candidate_text(*fact.source), spec_text()));
                        break;
                    case K::Conflicts:
                    case K::SameName:
                        if (fact.source && fact.target)
                            add(fmt::format("{} and {} cannot be installed together", candidate_text(*fact.source), candidate_text(*fact.target)));
                        break;
                    case K::Installed:
                        if (fact.source) add(fmt::format("{} is in the environment and stays", candidate_text(*fact.source)));
                        break;
                    default: break;
                }
            }
        std::string text = "cannot resolve the pip: requirements:";
        for (const auto& line : lines) text += "\n  - " + line;
        return text;
    }

    std::string available_text(const std::string& name) const {
        const auto found = projects_.find(name);
        if (found == projects_.end()) return {};
        const auto& project = found->second;
        if (project.provided) return fmt::format(" (conda provides {})", project.provided->provider);
        if (const auto reason = empty_reason_.find(name); reason != empty_reason_.end()) return fmt::format(" ({})", reason->second);
        if (project.versions.empty()) return " (no installable wheel)";
        std::vector<std::string> versions;
        for (std::size_t i = 0; i < std::min<std::size_t>(project.versions.size(), 6); ++i) versions.push_back(project.versions[i].version.to_string());
        return fmt::format(" (available: {}{})", join(versions, ", "), project.versions.size() > 6 ? ", ..." : "");
    }

    Result<Resolution> finish(const solve::core::CoreResult& result, Resolution resolution) {
        std::map<std::string, ResolvedWheel> wheels;
        for (const auto id : result.selected) {
            const auto& owner = owners_[id];
            auto& project = *owner.project;
            if (project.provided) {
                if (owner.extra.empty()) resolution.from_conda.push_back(*project.provided);
                continue;
            }
            auto& wheel = wheels[project.name];
            if (!owner.extra.empty()) {
                wheel.extras.push_back(owner.extra);
                continue;
            }
            wheel.name = project.name;
            wheel.version = owner.entry->version;
            wheel.file = owner.entry->file;
            wheel.requested = project.requested;
            wheel.direct = project.direct;
        }
        std::vector<IndexFile> unhashed;
        for (auto& [name, resolved] : wheels) {
            auto& wheel = resolved;  // lambdas cannot capture structured bindings before C++20 in clang 14
            const auto& project = projects_.at(name);
            const auto& entry = *std::find_if(project.versions.begin(), project.versions.end(),
                                              [&wheel](const VersionEntry& e) { return e.version == wheel.version; });
            std::sort(wheel.extras.begin(), wheel.extras.end());
            wheel.dependencies = dependencies_of(project, entry, {wheel.extras.begin(), wheel.extras.end()});
            wheel.sha256 = wheel.file.sha256();
            if (wheel.sha256.empty()) unhashed.push_back(wheel.file);
        }
        if (!unhashed.empty()) {
            // The lockfile needs every hash: download what the index gave none for.
            std::vector<std::string> hashes;
            auto fetched = client_.fetch_wheels(unhashed, &hashes);
            if (!fetched) return fail(std::move(fetched.error()));
            std::size_t k = 0;
            for (auto& [name, wheel] : wheels)
                if (wheel.sha256.empty()) wheel.sha256 = hashes[k++];
        }
        for (auto& [name, wheel] : wheels) resolution.wheels.push_back(std::move(wheel));
        std::sort(resolution.from_conda.begin(), resolution.from_conda.end(),
                  [](const ProvidedDistribution& a, const ProvidedDistribution& b) { return a.name < b.name; });
        return resolution;
    }

    struct Owner {
        Project* project = nullptr;
        VersionEntry* entry = nullptr;  // null for conda-provided
        std::string extra;
    };

    const ResolveRequest& request_;
    const PipInputs& inputs_;
    IndexClient& client_;
    pypi::TagSet tags_;
    pypi::MarkerEnvironment environment_;
    pypi::Version python_;
    std::optional<bool> prereleases_;
    std::map<std::string, ProvidedDistribution> provided_;
    std::map<std::string, const PipRequirement*> direct_;
    std::map<std::string, std::vector<const PipRequirement*>> constraints_;
    std::vector<const PipRequirement*> top_level_;
    std::map<std::string, Project> projects_;
    std::vector<std::string> pending_;
    std::map<std::string, std::string> empty_reason_;
    bool extras_changed_ = false;
    // Per solve.
    std::vector<SpecDef> specs_;
    std::map<std::string, solve::core::SpecId> spec_ids_;
    std::map<std::string, std::vector<solve::core::CandidateId>> by_key_;
    std::vector<std::optional<pypi::Version>> candidate_version_;
    std::vector<Owner> owners_;
    std::map<std::size_t, const PipRequirement*> job_lines_;
};

}  // namespace

std::vector<ProvidedDistribution> provided_by_conda(const std::vector<conda::PackageRecord>& records, const CondaDistributions& found) {
    std::vector<ProvidedDistribution> out;
    std::set<std::string> seen;
    const auto add = [&](std::string name, std::string version, const conda::PackageRecord& record) {
        if (!seen.insert(name).second) return;  // two records claiming one distribution: the first wins
        out.push_back({std::move(name), std::move(version), fmt::format("{} {} (conda)", record.name, record.version.str())});
    };
    for (const auto& record : records) {
        if (record.name == "python") continue;
        if (const auto files = found.find(record.name); files != found.end() && !files->second.empty()) {
            for (const auto& distribution : files->second) add(pypi::normalize_name(distribution.name), distribution.version, record);
            continue;
        }
        if (!(is_python_package(record) || record.name == "pip")) continue;
        add(pypi_name_of_conda_package(record.name), record.version.str(), record);
    }
    return out;
}

Result<PipTarget> pip_target(std::string_view subdir, const std::vector<conda::PackageRecord>& records,
                             const std::vector<conda::PackageRecord>& virtual_packages) {
    PipTarget target;
    target.subdir = std::string(subdir);
    for (const auto& record : records)
        if (record.name == "python") target.python_version = record.version.str();
    if (target.python_version.empty())
        return fail(Error{ErrorKind::Input, "the environment has pip: requirements but no python", std::nullopt,
                          {"add python to the conda dependencies"}});
    for (const auto& record : virtual_packages) {
        if (record.name == "__glibc") target.glibc_version = record.version.str();
        if (record.name == "__osx") target.macos_version = record.version.str();
    }
    return target;
}

Result<pypi::MarkerEnvironment> marker_environment(const PipTarget& target) {
    return pypi::MarkerEnvironment::for_target(target.subdir, target.python_version);
}

Result<Resolution> resolve(const ResolveRequest& request, IndexClient& client) {
    pypi::TagTarget tag_target;
    tag_target.subdir = request.target.subdir;
    tag_target.python_version = request.target.python_version;
    tag_target.glibc_version = request.target.glibc_version;
    tag_target.macos_version = request.target.macos_version;
    auto tags = pypi::TagSet::for_target(tag_target);
    if (!tags) return fail(std::move(tags.error()));
    auto environment = marker_environment(request.target);
    if (!environment) return fail(std::move(environment.error()));
    if (!pypi::Version::parse(request.target.python_version))
        return fail(ErrorKind::Input, fmt::format("python version '{}' is not a PEP 440 version", request.target.python_version));
    Resolver resolver(request, client, std::move(*tags), std::move(*environment));
    return resolver.run();
}

}  // namespace envctl::pip
