// Parses every record, version and dependency string of the real repodata fixtures
// (../shared/fixtures/repodata). Skips with a message when the fixtures are absent.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "envctl/conda/match_spec.hpp"
#include "envctl/conda/package_record.hpp"

using namespace envctl::conda;
namespace fs = std::filesystem;

namespace {

fs::path fixtures() { return fs::path(ENVCTL_SHARED_DIR) / "fixtures" / "repodata"; }

nlohmann::json load(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return nlohmann::json::parse(buffer.str());
}

// repodata.json documents have packages/packages.conda; conda's bare index files are the
// {filename: record} dict itself.
std::vector<std::pair<std::string, const nlohmann::json*>> records_of(const nlohmann::json& document) {
    std::vector<std::pair<std::string, const nlohmann::json*>> out;
    const bool wrapped = document.contains("packages") || document.contains("packages.conda") || document.contains("info");
    if (!wrapped) {
        for (const auto& [fn, record] : document.items()) out.emplace_back(fn, &record);
        return out;
    }
    for (const char* key : {"packages", "packages.conda"}) {
        if (!document.contains(key) || !document[key].is_object()) continue;
        for (const auto& [fn, record] : document[key].items()) out.emplace_back(fn, &record);
    }
    return out;
}

// Dependency strings in the fixtures that are rejected on purpose: rattler's hand-written mock
// of conditional dependencies (`[when=...]`), which envctl does not support.
const std::set<std::string> kExpectedRejections = {
    "linux-dependency[when=\"__linux\"]",
    "osx-dependency[when=\"__osx\"]",
    "win-dependency[when=\"__win\"]",
    "package[when=\"side-dependency=0.2\"]",
};

}  // namespace

TEST_CASE("every record, version and spec of the real repodata fixtures parses") {
    if (!fs::is_directory(fixtures())) {
        WARN("skipped: " << fixtures() << " is absent (the shared fixtures are not checked out)");
        return;
    }
    std::size_t files = 0, records = 0, specs = 0, round_trips = 0;
    std::set<std::string> rejected_versions, rejected_specs, unstable;
    for (const auto& entry : fs::directory_iterator(fixtures())) {
        if (entry.path().extension() != ".json") continue;
        ++files;
        const auto document = load(entry.path());
        for (const auto& [fn, object] : records_of(document)) {
            if (!object->is_object()) continue;
            ++records;
            const auto record = record_from_json(*object, fn, RecordOrigin{"https://conda.anaconda.org/test", "linux-64", ""});
            if (!record) {
                rejected_versions.insert(entry.path().filename().string() + ": " + record.error().message);
                continue;
            }
            for (const auto* list : {&record->depends, &record->constrains}) {
                for (const auto& text : *list) {
                    ++specs;
                    const auto spec = MatchSpec::parse(text);
                    if (!spec) {
                        rejected_specs.insert(text);
                        if (!kExpectedRejections.count(text)) UNSCOPED_INFO(spec.error().message);
                        continue;
                    }
                    // The canonical text must be stable and mean the same.
                    const auto again = MatchSpec::parse(spec->str());
                    if (again && *again == *spec && again->str() == spec->str()) {
                        ++round_trips;
                    } else {
                        unstable.insert(text + " -> " + spec->str());
                    }
                }
            }
        }
    }
    std::cout << "real repodata: " << files << " files, " << records << " records (" << rejected_versions.size()
              << " rejected), " << specs << " depends/constrains (" << rejected_specs.size() << " distinct rejected, "
              << round_trips << " canonical round trips)\n";
    for (const auto& text : rejected_versions) std::cout << "  rejected record: " << text << "\n";
    for (const auto& text : rejected_specs) std::cout << "  rejected spec: " << text << "\n";
    for (const auto& text : unstable) std::cout << "  unstable: " << text << "\n";
    CHECK(files >= 20);
    CHECK(records > 19000);
    CHECK(rejected_versions.empty());
    CHECK(rejected_specs == kExpectedRejections);
    CHECK(unstable.empty());
}
