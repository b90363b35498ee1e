#pragma once
// The conda adapter's view of one solve: candidates (records of reachable names, ranked),
// specs (depends/constrains strings, requested specs, features) and the matcher the core calls.
// Shared by the solver (solver.cpp) and the explanation builder (explain.cpp).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "envctl/solve/core.hpp"
#include "envctl/solve/solver.hpp"

namespace envctl::solve::detail {

using core::CandidateId;
using core::SpecId;

enum class Origin { Channel, Installed, Virtual, Feature };

struct CandidateInfo {
    const conda::PackageRecord* record = nullptr;
    Origin origin = Origin::Channel;
    std::uint32_t channel = 0;  // index into Request::channels; channels.size() when unknown
    std::uint64_t rank = 0;
    bool preferred = false;  // locked, or featured while its feature is active: ranks first
};

enum class SpecKind {
    Match,     // candidates matching the spec
    Violates,  // candidates of the spec's name that do not match it (for constrains)
    Feature,   // the feature's pseudo-package ("mkl@"): what legacy `features` depend on
};

struct SpecInfo {
    SpecKind kind = SpecKind::Match;
    std::string text;  // the spec as written; the feature name for Feature
    std::optional<conda::MatchSpec> parsed;
    std::string parse_error;  // set when `text` is not a valid match spec
    bool resolved = false;    // `matches` computed
    std::vector<CandidateId> matches;
};

enum class ExclusionReason { ExcludeNewer, Pin, StrictPriority };

struct Exclusion {
    const conda::PackageRecord* record = nullptr;
    ExclusionReason reason = ExclusionReason::Pin;
    std::string detail;  // the pin, or the channel that has priority
};

// What a core job stands for.
struct JobOrigin {
    enum class Kind { Requested, Feature, VirtualLock };
    Kind kind = Kind::Requested;
    std::size_t index = 0;  // Requested: index into Request::specs
};

class Model final : public core::CandidateMatcher {
public:
    explicit Model(const Request& request);
    Status build();

    // The core request: sources, candidates, jobs.
    core::CoreRequest core_request() const;
    // Ranks these candidates first among their name (locked records, active features' builds).
    void prefer(const std::vector<CandidateId>& ids);

    void candidates_for(SpecId spec, std::vector<CandidateId>& out) override;
    const std::vector<CandidateId>& matches(SpecId id);

    const Request& request() const { return request_; }
    const std::vector<CandidateInfo>& candidates() const { return candidates_; }
    const SpecInfo& spec(SpecId id) const { return specs_.at(id); }
    const std::vector<JobOrigin>& job_origins() const { return job_origins_; }
    const std::vector<Exclusion>* exclusions_of(std::string_view name) const;
    // Names with candidates, and the candidates of each.
    const std::vector<CandidateId>* candidates_named(std::string_view name) const;
    // The virtual package record of that name, if the system has it.
    const conda::PackageRecord* virtual_package(std::string_view name) const;
    // The spec id of a requested spec (Request::specs index).
    SpecId requested_spec(std::size_t index) const { return requested_specs_.at(index); }

private:
    struct Indexed {
        const conda::PackageRecord* record;
        std::uint32_t channel;
    };

    SpecId intern(std::string_view text, SpecKind kind);
    SpecId add_spec(SpecInfo info);
    void parse(SpecInfo& info) const;
    void index_channels();
    void collect_reachable();
    void add_candidates_of(const std::string& name);
    std::vector<Indexed> filtered_records(const std::string& name);
    bool channel_named_for(const std::string& name, std::uint32_t channel) const;
    void assign_ranks();
    void add_dependencies();
    void prefer_locked();
    std::uint32_t channel_of_url(std::string_view url) const;
    bool matches_record(const SpecInfo& info, const conda::PackageRecord& record) const;

    const Request& request_;
    std::vector<CandidateInfo> candidates_;
    std::vector<SpecInfo> specs_;
    std::vector<std::vector<SpecId>> requires_;
    std::vector<std::vector<SpecId>> conflicts_;
    std::unordered_map<std::string, SpecId> spec_ids_;  // key: kind prefix + text
    std::unordered_map<std::string_view, std::vector<Indexed>> channel_index_;
    std::map<std::string, std::vector<CandidateId>, std::less<>> by_name_;
    std::map<std::string, std::vector<Exclusion>, std::less<>> excluded_;
    std::deque<conda::PackageRecord> feature_records_;
    std::vector<std::string> reachable_;  // names in discovery order
    std::vector<SpecId> requested_specs_;
    mutable std::vector<JobOrigin> job_origins_;
    bool pip_available_ = false;
    bool all_names_ = false;  // a requested spec has a wildcard name
};

// Text and structure for an unsatisfiable request.
Explanation explain(Model& model, const core::CoreResult& result);

// "numpy 1.26.4 [py311h_0]" and friends, shared by the explanation.
std::string describe(const conda::PackageRecord& record);

// The package name a depends/constrains string refers to ("numpy >=1" -> "numpy",
// "conda-forge::numpy" -> "numpy"); lowercase; "*" for wildcard names.
std::string dependency_name(std::string_view spec);

}  // namespace envctl::solve::detail
