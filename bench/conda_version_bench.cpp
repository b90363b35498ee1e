// Micro benchmark of the conda types the repodata loader and the solver lean on: version
// parsing and comparison, match spec parsing and version spec matching.
//
//   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON
//   cmake --build build-bench --target conda_version_bench
//   build-bench/bench/conda_version_bench [repodata.json ...]
//
// Without arguments it reads every file of ../shared/fixtures/repodata. Inputs are the real
// version and depends/constrains strings of those files, each parsed many times over.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/version.hpp"

using namespace envctl::conda;
using Clock = std::chrono::steady_clock;

namespace {

struct Inputs {
    std::vector<std::string> versions;  // one per record, duplicates kept (what a loader sees)
    std::vector<std::string> specs;     // unique depends/constrains strings
};

void collect(const std::filesystem::path& file, Inputs& inputs, std::unordered_set<std::string>& seen_specs) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto document = nlohmann::json::parse(buffer.str(), nullptr, false);
    if (!document.is_object()) return;
    auto add_records = [&](const nlohmann::json& records) {
        for (const auto& [fn, record] : records.items()) {
            if (!record.is_object() || !record.contains("version") || !record["version"].is_string()) continue;
            inputs.versions.push_back(record["version"].get<std::string>());
            for (const char* key : {"depends", "constrains"}) {
                if (!record.contains(key) || !record[key].is_array()) continue;
                for (const auto& spec : record[key])
                    if (spec.is_string() && seen_specs.insert(spec.get<std::string>()).second) inputs.specs.push_back(spec);
            }
        }
    };
    if (document.contains("packages") || document.contains("packages.conda") || document.contains("info")) {
        for (const char* key : {"packages", "packages.conda"})
            if (document.contains(key) && document[key].is_object()) add_records(document[key]);
    } else {
        add_records(document);
    }
}

template <class F>
double nanoseconds_per_item(std::size_t items, F&& body) {
    // Repeat until at least 0.3 s have passed; report the best of the rounds.
    double best = 1e300;
    const auto deadline = Clock::now() + std::chrono::milliseconds(300);
    do {
        const auto start = Clock::now();
        body();
        const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
        best = std::min(best, elapsed / static_cast<double>(items));
    } while (Clock::now() < deadline);
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> files;
    for (int i = 1; i < argc; ++i) files.emplace_back(argv[i]);
    if (files.empty()) {
        const auto directory = std::filesystem::path(ENVCTL_SHARED_DIR) / "fixtures" / "repodata";
        if (!std::filesystem::is_directory(directory)) {
            std::fprintf(stderr, "no input: pass repodata.json files or provide %s\n", directory.c_str());
            return 2;
        }
        for (const auto& entry : std::filesystem::directory_iterator(directory))
            if (entry.path().extension() == ".json") files.push_back(entry.path());
        std::sort(files.begin(), files.end());
    }
    Inputs inputs;
    std::unordered_set<std::string> seen_specs;
    for (const auto& file : files) collect(file, inputs, seen_specs);
    std::printf("inputs: %zu files, %zu version strings, %zu unique depends/constrains strings\n", files.size(),
                inputs.versions.size(), inputs.specs.size());

    std::vector<Version> versions;
    versions.reserve(inputs.versions.size());
    std::size_t sink = 0;
    const double parse_ns = nanoseconds_per_item(inputs.versions.size(), [&] {
        versions.clear();
        for (const auto& text : inputs.versions) {
            auto version = Version::parse(text);
            if (version) versions.push_back(std::move(*version));
        }
        sink += versions.size();
    });

    std::mt19937_64 random(42);
    std::vector<std::pair<std::size_t, std::size_t>> pairs(1 << 20);
    for (auto& pair : pairs) pair = {random() % versions.size(), random() % versions.size()};
    const double compare_ns = nanoseconds_per_item(pairs.size(), [&] {
        for (const auto& [a, b] : pairs) sink += versions[a] < versions[b];
    });
    std::vector<Version> sorted = versions;
    std::size_t comparisons = 0;
    const auto sort_start = Clock::now();
    std::sort(sorted.begin(), sorted.end(), [&](const Version& a, const Version& b) {
        ++comparisons;
        return a < b;
    });
    const double sort_ns = std::chrono::duration<double, std::nano>(Clock::now() - sort_start).count() / static_cast<double>(comparisons);
    const double hash_ns = nanoseconds_per_item(versions.size(), [&] {
        for (const auto& version : versions) sink += version.hash();
    });

    std::vector<MatchSpec> specs;
    specs.reserve(inputs.specs.size());
    const double spec_ns = nanoseconds_per_item(inputs.specs.size(), [&] {
        specs.clear();
        for (const auto& text : inputs.specs) {
            auto spec = MatchSpec::parse(text);
            if (spec) specs.push_back(std::move(*spec));
        }
        sink += specs.size();
    });
    std::vector<std::pair<std::size_t, std::size_t>> spec_pairs(1 << 19);
    for (auto& pair : spec_pairs) pair = {random() % specs.size(), random() % versions.size()};
    const double match_ns = nanoseconds_per_item(spec_pairs.size(), [&] {
        for (const auto& [s, v] : spec_pairs) sink += specs[s].version.matches(versions[v]);
    });

    std::printf("Version::parse            %7.1f ns/version   (%zu versions)\n", parse_ns, inputs.versions.size());
    std::printf("Version <                 %7.1f ns/compare   (random pairs)\n", compare_ns);
    std::printf("Version < in std::sort    %7.1f ns/compare   (%zu comparisons)\n", sort_ns, comparisons);
    std::printf("Version::hash             %7.1f ns/version\n", hash_ns);
    std::printf("MatchSpec::parse          %7.1f ns/spec      (%zu unique specs)\n", spec_ns, inputs.specs.size());
    std::printf("VersionSpec::matches      %7.1f ns/match     (random spec/version pairs)\n", match_ns);
    std::printf("sizeof(Version) = %zu bytes, sizeof(MatchSpec) = %zu bytes  [checksum %zu]\n", sizeof(Version),
                sizeof(MatchSpec), sink % 10);
    std::printf("reproduce: cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DENVCTL_BENCH=ON && "
                "cmake --build build-bench --target conda_version_bench && build-bench/bench/conda_version_bench\n");
    return 0;
}
