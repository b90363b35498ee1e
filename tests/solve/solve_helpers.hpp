#pragma once
// Helpers for solver tests: records built in C++, channels, requests, and an independent
// consistency checker (every depends of every chosen record is met by another chosen record or
// a virtual package, and no chosen record violates a chosen record's constrains).
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/solve/solver.hpp"

namespace solve_test {

using envctl::conda::MatchSpec;
using envctl::conda::PackageRecord;
using envctl::conda::Version;

inline const std::string kChannel1 = "https://conda.example/channel-1";
inline const std::string kChannel2 = "https://conda.example/channel-2";

struct Rec {
    PackageRecord record;

    Rec(std::string name, std::string version, std::string build = "0", std::uint64_t build_number = 0) {
        record.name = std::move(name);
        record.version = *Version::parse(version);
        record.build = std::move(build);
        record.build_number = build_number;
        record.subdir = "linux-64";
        record.channel = kChannel1;
    }
    Rec& depends(std::vector<std::string> deps) {
        record.depends = std::move(deps);
        return *this;
    }
    Rec& constrains(std::vector<std::string> specs) {
        record.constrains = std::move(specs);
        return *this;
    }
    Rec& track_features(std::vector<std::string> features) {
        record.track_features = std::move(features);
        return *this;
    }
    Rec& features(std::vector<std::string> features) {
        record.features = std::move(features);
        return *this;
    }
    Rec& timestamp(std::uint64_t ms) {
        record.timestamp = ms;
        return *this;
    }
    Rec& channel(const std::string& url) {
        record.channel = url;
        return *this;
    }
    Rec& subdir(std::string subdir) {
        record.subdir = std::move(subdir);
        if (record.subdir == "noarch") record.noarch = envctl::conda::NoArchType::Generic;
        return *this;
    }
    operator PackageRecord() const {  // NOLINT: implicit on purpose, for brace lists
        PackageRecord out = record;
        out.fn = out.name + "-" + out.version.str() + "-" + out.build + ".conda";
        out.url = out.channel + "/" + out.subdir + "/" + out.fn;
        return out;
    }
};

inline PackageRecord virtual_package(std::string name, std::string version, std::string build = "0") {
    PackageRecord record;
    record.name = std::move(name);
    record.version = *Version::parse(version);
    record.build = std::move(build);
    return record;
}

inline std::vector<MatchSpec> specs(const std::vector<std::string>& texts) {
    std::vector<MatchSpec> out;
    for (const auto& text : texts) {
        auto spec = MatchSpec::parse(text);
        REQUIRE(spec);
        out.push_back(*spec);
    }
    return out;
}

// A request over one or two channels; the record vectors must outlive the request.
inline envctl::solve::Request request(const std::vector<PackageRecord>& channel1,
                                      const std::vector<PackageRecord>& channel2 = {}) {
    envctl::solve::Request request;
    request.add_pip_as_python_dependency = false;
    request.channels.push_back({"channel-1", kChannel1, channel1});
    if (!channel2.empty()) request.channels.push_back({"channel-2", kChannel2, channel2});
    return request;
}

inline envctl::solve::Solution solve_ok(const envctl::solve::Request& request) {
    auto solution = envctl::solve::solve(request);
    REQUIRE(solution);
    if (!solution->satisfiable) FAIL("unexpectedly unsatisfiable:\n" << solution->explanation.text());
    return *solution;
}

inline envctl::solve::Solution solve_unsat(const envctl::solve::Request& request) {
    auto solution = envctl::solve::solve(request);
    REQUIRE(solution);
    if (solution->satisfiable) {
        std::string chosen;
        for (const auto& record : solution->records) chosen += record.dist_name() + " ";
        FAIL("unexpectedly satisfiable: " << chosen);
    }
    return *solution;
}

// "name-version-build" of every record, sorted.
inline std::vector<std::string> dists(const std::vector<PackageRecord>& records) {
    std::vector<std::string> out;
    for (const auto& record : records) out.push_back(record.dist_name());
    std::sort(out.begin(), out.end());
    return out;
}

inline const PackageRecord* find(const std::vector<PackageRecord>& records, const std::string& name) {
    for (const auto& record : records)
        if (record.name == name) return &record;
    return nullptr;
}

inline std::string version_of(const envctl::solve::Solution& solution, const std::string& name) {
    const auto* record = find(solution.records, name);
    return record ? record->version.str() : "<absent>";
}

// Independent of the solver: parses each spec with MatchSpec and checks it against the chosen
// set. Returns the violations found (empty when consistent).
inline std::vector<std::string> inconsistencies(const std::vector<PackageRecord>& chosen,
                                                const std::vector<PackageRecord>& virtual_packages = {},
                                                bool python_needs_pip = false) {
    std::vector<std::string> problems;
    std::map<std::string, std::vector<const PackageRecord*>> by_name;
    for (const auto& record : chosen) by_name[record.name].push_back(&record);
    for (const auto& record : virtual_packages) by_name[record.name].push_back(&record);
    for (const auto& [name, records] : by_name)
        if (records.size() > 1) problems.push_back("two records named " + name);
    for (const auto& record : chosen) {
        std::vector<std::string> depends = record.depends;
        if (python_needs_pip && record.name == "python") depends.push_back("pip");
        for (const auto& dep : depends) {
            auto spec = MatchSpec::parse(dep);
            if (!spec) {
                problems.push_back(record.dist_name() + ": unparsable dependency " + dep);
                continue;
            }
            bool met = false;
            for (const auto& [name, records] : by_name)
                for (const auto* candidate : records) met = met || spec->matches(*candidate);
            if (!met) problems.push_back(record.dist_name() + " requires " + dep + ", which no chosen record satisfies");
        }
        for (const auto& constraint : record.constrains) {
            auto spec = MatchSpec::parse(constraint);
            if (!spec) continue;
            for (const auto& [name, records] : by_name)
                for (const auto* candidate : records)
                    if (spec->name.matches(candidate->name) && !spec->matches(*candidate))
                        problems.push_back(record.dist_name() + " constrains " + constraint + " but " +
                                           candidate->dist_name() + " is chosen");
        }
    }
    return problems;
}

}  // namespace solve_test
