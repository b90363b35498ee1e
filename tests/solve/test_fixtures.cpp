// The solver on real repodata from ../shared/fixtures: conda's own solver test index (with the
// expectations of conda's test suite), defaults snapshots, the pytorch channel, rattler's dummy
// channel and mamba's sudoku. Every solution is checked by the independent consistency checker.
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "envctl/util/strings.hpp"

#include "solve_helpers.hpp"

using namespace solve_test;
using envctl::solve::Problem;

namespace {

namespace fs = std::filesystem;

std::optional<fs::path> fixture(const std::string& name) {
    const fs::path path = fs::path(ENVCTL_SHARED_DIR) / "fixtures" / "repodata" / name;
    if (!fs::exists(path)) return std::nullopt;
    return path;
}

#define REQUIRE_FIXTURE(var, name)                                                                             \
    const auto var = fixture(name);                                                                            \
    if (!var) {                                                                                                \
        WARN("skipped: ../shared/fixtures/repodata/" << name << " is absent; this test needs the shared fixtures"); \
        return;                                                                                                \
    }

// Records of a repodata.json document or of a bare {filename: record} index (conda's tests).
std::vector<PackageRecord> load(const fs::path& path, const std::string& channel, const std::string& subdir) {
    std::ifstream in(path);
    const auto document = nlohmann::json::parse(in);
    std::vector<PackageRecord> records;
    auto add = [&](const nlohmann::json& packages) {
        for (const auto& [filename, object] : packages.items()) {
            auto record = envctl::conda::record_from_json(object, filename, {channel, subdir, {}});
            REQUIRE(record);
            records.push_back(std::move(*record));
        }
    };
    if (document.contains("packages") || document.contains("packages.conda")) {
        if (document.contains("packages")) add(document["packages"]);
        if (document.contains("packages.conda")) add(document["packages.conda"]);
    } else {
        add(document);
    }
    return records;
}

std::set<std::string> dist_set(const envctl::solve::Solution& solution) {
    std::set<std::string> out;
    for (const auto& record : solution.records) out.insert(record.dist_name());
    return out;
}

envctl::solve::Solution checked(const envctl::solve::Request& request) {
    auto solution = solve_ok(request);
    const auto problems = inconsistencies(solution.records, request.virtual_packages, request.add_pip_as_python_dependency);
    INFO("first inconsistency: " << (problems.empty() ? std::string() : problems.front()));
    CHECK(problems.empty());
    return solution;
}

struct CondaIndex {
    std::vector<PackageRecord> records;
    envctl::solve::Request request(std::vector<std::string> texts) const {
        auto req = solve_test::request(records);
        req.add_pip_as_python_dependency = true;  // as conda's SolverTests run
        req.specs = specs(texts);
        return req;
    }
};

}  // namespace

TEST_CASE("conda's solver test index: expectations of conda's SolverTests", "[solve][fixtures]") {
    REQUIRE_FIXTURE(path, "conda-index.json");
    const CondaIndex index{load(*path, kChannel1, "linux-64")};

    SECTION("iopro without mkl") {
        const std::set<std::string> expected = {
            "iopro-1.4.3-np17py27_p0", "numpy-1.7.1-py27_0", "openssl-1.0.1c-0", "python-2.7.5-0",
            "readline-6.2-0",          "sqlite-3.7.13-0",    "system-5.8-1",     "tk-8.5.13-0",
            "unixodbc-2.3.1-0",        "zlib-1.2.7-0",       "distribute-0.6.36-py27_1", "pip-1.3.1-py27_1"};
        CHECK(dist_set(checked(index.request({"iopro 1.4*", "python 2.7*", "numpy 1.7*"}))) == expected);
    }
    SECTION("iopro with the mkl feature") {
        const std::set<std::string> expected = {
            "iopro-1.4.3-np17py27_p0", "mkl-rt-11.0-p0",     "numpy-1.7.1-py27_p0", "openssl-1.0.1c-0",
            "python-2.7.5-0",          "readline-6.2-0",     "sqlite-3.7.13-0",     "system-5.8-1",
            "tk-8.5.13-0",             "unixodbc-2.3.1-0",   "zlib-1.2.7-0",        "distribute-0.6.36-py27_1",
            "pip-1.3.1-py27_1"};
        CHECK(dist_set(checked(index.request({"iopro 1.4*", "python 2.7*", "numpy 1.7*", "*[track_features=mkl]"}))) ==
              expected);
    }
    SECTION("scipy with the mkl feature takes the featured builds") {
        const auto found = dist_set(checked(index.request({"scipy", "python 2.7*", "numpy 1.7*", "*[track_features=mkl]"})));
        CHECK(found.count("numpy-1.7.1-py27_p0"));
        CHECK(found.count("scipy-0.12.0-np17py27_p0"));
    }
    SECTION("anaconda 1.5.0 without mkl") {
        const auto found = dist_set(checked(index.request({"anaconda 1.5.0", "python 2.7*", "numpy 1.7*"})));
        CHECK(found.size() == 107);
        CHECK(found.count("scipy-0.12.0-np17py27_0"));
    }
    SECTION("pseudo boolean: iopro 1.5.0 was not built for numpy 1.5") {
        const std::set<std::string> expected = {
            "iopro-1.4.3-np15py27_p0", "numpy-1.5.1-py27_4", "openssl-1.0.1c-0", "python-2.7.5-0",
            "readline-6.2-0",          "sqlite-3.7.13-0",    "system-5.8-1",     "tk-8.5.13-0",
            "unixodbc-2.3.1-0",        "zlib-1.2.7-0",       "distribute-0.6.36-py27_1", "pip-1.3.1-py27_1"};
        CHECK(dist_set(checked(index.request({"iopro", "python 2.7*", "numpy 1.5*"}))) == expected);
        auto with_mkl = expected;
        with_mkl.erase("numpy-1.5.1-py27_4");
        with_mkl.insert({"numpy-1.5.1-py27_p4", "mkl-rt-11.0-p0"});
        CHECK(dist_set(checked(index.request({"iopro", "python 2.7*", "numpy 1.5*", "*[track_features=mkl]"}))) == with_mkl);
    }
    SECTION("no features unless asked for") {
        const std::set<std::string> expected = {
            "distribute-0.6.36-py26_1", "numpy-1.6.2-py26_4", "openssl-1.0.1c-0", "pip-1.3.1-py26_1",
            "python-2.6.8-6",           "readline-6.2-0",     "scipy-0.11.0-np16py26_3", "sqlite-3.7.13-0",
            "system-5.8-1",             "tk-8.5.13-0",        "zlib-1.2.7-0"};
        CHECK(dist_set(checked(index.request({"python 2.6*", "numpy 1.6*", "scipy 0.11*"}))) == expected);
        auto with_mkl = expected;
        with_mkl.erase("numpy-1.6.2-py26_4");
        with_mkl.erase("scipy-0.11.0-np16py26_3");
        with_mkl.insert({"numpy-1.6.2-py26_p4", "scipy-0.11.0-np16py26_p3", "mkl-rt-11.0-p0"});
        CHECK(dist_set(checked(index.request({"python 2.6*", "numpy 1.6*", "scipy 0.11*", "*[track_features=mkl]"}))) ==
              with_mkl);
    }
    SECTION("get dists: anaconda 1.4.0") {
        const auto found = dist_set(checked(index.request({"anaconda 1.4.0"})));
        CHECK(found.count("anaconda-1.4.0-np17py33_0"));
        CHECK(found.count("freetype-2.4.10-0"));
    }
    SECTION("irrational version") {
        const std::set<std::string> expected = {"distribute-0.6.36-py33_1", "openssl-1.0.1c-0", "pip-1.3.1-py33_1",
                                                "python-3.3.2-0",           "pytz-2012d-py33_0", "readline-6.2-0",
                                                "sqlite-3.7.13-0",          "system-5.8-1",      "tk-8.5.13-0",
                                                "zlib-1.2.7-0"};
        CHECK(dist_set(checked(index.request({"pytz 2012d", "python 3*"}))) == expected);
    }
    SECTION("newest numpy with a matching python") {
        const auto solution = checked(index.request({"numpy"}));
        CHECK(version_of(solution, "numpy") == "1.7.1");
        const auto with_python = checked(index.request({"numpy", "python 2.6*"}));
        CHECK(version_of(with_python, "python").rfind("2.6", 0) == 0);
        CHECK(version_of(with_python, "numpy") == "1.7.1");
    }
    SECTION("unsatisfiable: scipy 0.12.0b1 was not built for numpy 1.5") {
        auto req = index.request({"numpy 1.5*", "scipy 0.12.0b1"});
        const auto text = solve_unsat(req).explanation.text();
        CHECK(text.find("numpy=1.5 (requested)") != std::string::npos);
        CHECK(text.find("scipy==0.12.0b1 (requested) -> scipy 0.12.0b1 requires numpy 1.") != std::string::npos);
    }
    SECTION("unsatisfiable: numpy 1.5 has no python 3 build") {
        const auto failed = solve_unsat(index.request({"numpy 1.5*", "python 3*"}));
        const auto text = failed.explanation.text();
        CHECK(text.find("python=3 (requested)") != std::string::npos);
        CHECK(text.find("numpy=1.5 (requested) -> numpy 1.5.1 requires python 2.") != std::string::npos);
    }
    SECTION("unsatisfiable: numpy 1.5 and 1.6 together") {
        const auto failed = solve_unsat(index.request({"numpy 1.5*", "numpy 1.6*"}));
        const auto text = failed.explanation.text();
        CHECK(text.find("numpy=1.5") != std::string::npos);
        CHECK(text.find("numpy=1.6") != std::string::npos);
    }
    SECTION("nonexistent packages and versions") {
        auto failed = solve_unsat(index.request({"notarealpackage 2.0*"}));
        CHECK(failed.explanation.problems.at(0).kind == Problem::Kind::NotFound);
        failed = solve_unsat(index.request({"numpy 1.5"}));
        CHECK(failed.explanation.problems.at(0).kind == Problem::Kind::NotFound);
    }
    SECTION("an older scipy build with a newer build number wins over a broken rebuild") {
        // conda's test_unintentional_feature_downgrade: a build-number-0 copy without numpy.
        auto records = index.records;
        const auto good = std::find_if(records.begin(), records.end(), [](const PackageRecord& r) {
            return r.name == "scipy" && r.build == "np17py33_3" && r.version.str() == "0.11.0";
        });
        REQUIRE(good != records.end());
        PackageRecord bad = *good;
        bad.build = "np17py33_x0";
        bad.build_number = 0;
        bad.depends.erase(std::remove_if(bad.depends.begin(), bad.depends.end(),
                                         [](const std::string& d) { return d.rfind("numpy", 0) == 0; }),
                          bad.depends.end());
        bad.fn = "scipy-0.11.0-np17py33_x0.tar.bz2";
        records.push_back(bad);
        auto req = request(records);
        req.add_pip_as_python_dependency = true;
        req.specs = specs({"scipy 0.11.0"});
        const auto found = dist_set(checked(req));
        CHECK(found.count("scipy-0.11.0-np17py33_3"));
        CHECK(!found.count("scipy-0.11.0-np17py33_x0"));
    }
}

TEST_CASE("conda's solver test index: virtual packages (__cuda, __glibc)", "[solve][fixtures]") {
    REQUIRE_FIXTURE(path, "conda-index.json");
    const CondaIndex index{load(*path, kChannel1, "linux-64")};
    auto with_system = [&](std::vector<std::string> texts, std::vector<PackageRecord> virtuals) {
        auto req = index.request(std::move(texts));
        req.virtual_packages = std::move(virtuals);
        return req;
    };
    CHECK(dist_set(checked(with_system({"cudatoolkit"}, {virtual_package("__cuda", "10.0")}))) ==
          std::set<std::string>{"cudatoolkit-10.0-0"});
    CHECK(dist_set(checked(with_system({"cudatoolkit"}, {virtual_package("__cuda", "9.2")}))) ==
          std::set<std::string>{"cudatoolkit-9.0-0"});
    auto failed = solve_unsat(with_system({"cudatoolkit"}, {virtual_package("__cuda", "8.0")}));
    CHECK(failed.explanation.problems.at(0).kind == Problem::Kind::MissingVirtual);
    CHECK(failed.explanation.text().find("but your system has __cuda 8.0") != std::string::npos);
    failed = solve_unsat(with_system({"cudatoolkit"}, {}));
    CHECK(failed.explanation.text().find("but your system has none") != std::string::npos);
    CHECK(failed.explanation.text().find("CONDA_OVERRIDE_CUDA") != std::string::npos);

    // constrains on a virtual package: satisfied when absent, restrict when present.
    CHECK(dist_set(checked(with_system({"cuda-constrain"}, {}))) == std::set<std::string>{"cuda-constrain-11.0-0"});
    CHECK(dist_set(checked(with_system({"cuda-constrain"}, {virtual_package("__cuda", "10.0")}))) ==
          std::set<std::string>{"cuda-constrain-10.0-0"});
    failed = solve_unsat(with_system({"cuda-constrain"}, {virtual_package("__cuda", "8.0")}));
    CHECK(failed.explanation.problems.at(0).kind == Problem::Kind::Constraint);
    CHECK(failed.explanation.text().find("your system's __cuda 8.0") != std::string::npos);

    CHECK(dist_set(checked(with_system({"cuda-glibc"}, {virtual_package("__cuda", "10.0"), virtual_package("__glibc", "2.23")}))) ==
          std::set<std::string>{"cuda-glibc-10.0-0"});
    solve_unsat(with_system({"cuda-glibc"}, {virtual_package("__cuda", "8.0"), virtual_package("__glibc", "2.23")}));
    solve_unsat(with_system({"cuda-glibc"}, {virtual_package("__cuda", "10.0"), virtual_package("__glibc", "2.12")}));
}

TEST_CASE("defaults snapshots: python/numpy/scipy requests resolve to consistent sets", "[solve][fixtures]") {
    struct Case {
        const char* file;
        const char* subdir;
        std::vector<std::string> specs;
        const char* python_prefix;
    };
    const std::vector<Case> cases = {
        {"conda-index4.json", "linux-64", {"python=3.6", "numpy", "scipy"}, "3.6"},
        {"conda-index4.json", "linux-64", {"python=3.7", "numpy", "pandas"}, "3.7"},
        {"conda-index4.json", "linux-64", {"python=2.7", "scipy", "matplotlib"}, "2.7"},
        {"conda-index2.json", "linux-64", {"python=3.6", "numpy", "scipy"}, "3.6"},
        {"conda-index2.json", "linux-64", {"python=3.5", "numpy 1.9*", "pandas"}, "3.5"},
        {"conda-index5.json", "win-64", {"python=3.6", "requests", "six"}, "3.6"},
    };
    for (const auto& test : cases) {
        const auto path = fixture(test.file);
        if (!path) {
            WARN("skipped: ../shared/fixtures/repodata/" << test.file << " is absent");
            continue;
        }
        const auto records = load(*path, kChannel1, test.subdir);
        auto req = request(records);
        req.add_pip_as_python_dependency = true;
        req.specs = specs(test.specs);
        INFO(test.file << ": " << envctl::join(test.specs, " "));
        const auto solution = checked(req);
        CHECK(version_of(solution, "python").rfind(test.python_prefix, 0) == 0);
        // Requested packages get the newest version that fits the chosen python.
        for (const auto& text : test.specs) {
            const auto spec = *MatchSpec::parse(text);
            const std::string name(*spec.exact_name());
            if (name == "python") continue;
            const auto* chosen = find(solution.records, name);
            REQUIRE(chosen);
            for (const auto& record : records) {
                if (record.name != name || !spec.matches(record) || !(chosen->version < record.version)) continue;
                // A newer version must be unusable with this python.
                std::vector<PackageRecord> swapped = solution.records;
                for (auto& r : swapped)
                    if (r.name == name) r = record;
                const bool python_ok = inconsistencies({record, *find(solution.records, "python")}).empty() ||
                                       std::none_of(record.depends.begin(), record.depends.end(), [](const std::string& d) {
                                           return d.rfind("python", 0) == 0;
                                       });
                CHECK_FALSE((python_ok && inconsistencies(swapped, {}, true).empty()));
            }
        }
    }
}

TEST_CASE("rattler's dummy channel", "[solve][fixtures]") {
    REQUIRE_FIXTURE(path, "rattler-dummy-linux-64.json");
    const auto records = load(*path, kChannel1, "linux-64");
    auto req = request(records);
    req.virtual_packages = {virtual_package("__unix", "0")};

    req.specs = specs({"foobar"});
    auto solution = checked(req);
    CHECK(version_of(solution, "foobar") == "2.1");
    CHECK(version_of(solution, "bors") == "1.2.1");  // foobar depends on bors <2.0
    req.specs = specs({"foo 3.0.2"});
    solution = checked(req);
    CHECK(find(solution.records, "foo")->build == "py36h1af98f8_3");
    CHECK(solution.records.size() == 1);  // its constrains on bors add nothing
    req.specs = specs({"foo 3.0.2", "bors >=2"});
    CHECK(find(checked(req).records, "foo")->build == "py36h1af98f8_2");
    req.specs = specs({"xbar"});
    CHECK(version_of(checked(req), "xfoo") == "2");
    req.specs = specs({"track-features"});
    CHECK(version_of(checked(req), "track-features") == "1");  // fewest track_features
    req.specs = specs({"bar"});
    checked(req);
    req.virtual_packages = {};
    CHECK(solve_unsat(req).explanation.problems.at(0).kind == Problem::Kind::MissingVirtual);
    req.specs = specs({"cuda-version"});
    checked(req);  // constrains __cuda: fine without a driver
    req.virtual_packages = {virtual_package("__cuda", "11.8")};
    CHECK(solve_unsat(req).explanation.problems.at(0).kind == Problem::Kind::Constraint);
}

TEST_CASE("mamba's sudoku: the solver finishes and names the clashing clues", "[solve][fixtures]") {
    // mamba's test requests these clues (sudoku_<column>_<row>) and expects "unsolvable": the
    // fixture's box rules are not a real sudoku's, so three pairs of clues exclude each other.
    REQUIRE_FIXTURE(path, "mamba-sudoku.json");
    const auto records = load(*path, kChannel1, "noarch");
    const std::vector<std::string> puzzle = {"53..7....", "6..195...", ".98....6.", "8...6...3", "4..8.3..1",
                                             "7...2...6", ".6....28.", "...419..5", "....8..79"};
    std::vector<std::string> texts;
    for (int row = 0; row < 9; ++row)
        for (int column = 0; column < 9; ++column)
            if (const char given = puzzle[row][column]; given != '.')
                texts.push_back("sudoku_" + std::to_string(column) + "_" + std::to_string(row) + " " + std::string(1, given));
    auto req = request(records);
    req.specs = specs(texts);
    const auto failed = solve_unsat(req);
    std::set<std::string> packages;
    for (const auto& problem : failed.explanation.problems) {
        CHECK(problem.kind == Problem::Kind::Conflict);
        packages.insert(problem.package);
    }
    CHECK(packages == std::set<std::string>{"sudoku_0_1", "sudoku_2_2", "sudoku_3_4"});
    const auto text = failed.explanation.text();
    CHECK(text.find("sudoku_0_3==8 (requested) -> sudoku_0_3 8 requires sudoku_2_2 !=8") != std::string::npos);
    CHECK(text.find("sudoku_2_2==8 (requested)") != std::string::npos);

    // Without those clues the search is harder (no clash among requested packages alone), and the
    // fixture's rules still leave no solution: the solver must prove it and explain.
    std::vector<std::string> kept;
    for (const auto& clue : texts)
        if (clue != "sudoku_0_3 8" && clue != "sudoku_1_6 6" && clue != "sudoku_4_8 8") kept.push_back(clue);
    req.specs = specs(kept);
    const auto relaxed = envctl::solve::solve(req);
    REQUIRE(relaxed);
    CHECK_FALSE(relaxed->satisfiable);
    CHECK_FALSE(relaxed->explanation.problems.empty());
}
