// Conda package names -> PyPI distribution names (pip/conda_names.hpp) and provided_by_conda().
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "envctl/pip/conda_names.hpp"
#include "envctl/pip/resolve.hpp"

using namespace envctl;

namespace {

conda::PackageRecord record(std::string name, const std::string& version, std::vector<std::string> depends = {"python >=3.8"}) {
    conda::PackageRecord out;
    out.name = std::move(name);
    out.version = *conda::Version::parse(version);
    out.build = "py_0";
    out.depends = std::move(depends);
    return out;
}

}  // namespace

TEST_CASE("distribution_of_path reads metadata folders directly in site-packages") {
    using pip::DistributionName;
    CHECK(pip::distribution_of_path("lib/python3.11/site-packages/torch-2.1.0.dist-info/METADATA") == DistributionName{"torch", "2.1.0"});
    CHECK(pip::distribution_of_path("site-packages/ruamel.yaml-0.18.5.dist-info/RECORD") == DistributionName{"ruamel.yaml", "0.18.5"});
    CHECK(pip::distribution_of_path("site-packages/typing_extensions-4.9.0.dist-info") == DistributionName{"typing_extensions", "4.9.0"});
    CHECK(pip::distribution_of_path("Lib/site-packages/pywin32-306.dist-info/INSTALLER") == DistributionName{"pywin32", "306"});
    // egg-info folders and files: the python tag after the version is dropped.
    CHECK(pip::distribution_of_path("lib/python3.10/site-packages/PyYAML-6.0-py3.10.egg-info/PKG-INFO") == DistributionName{"PyYAML", "6.0"});
    CHECK(pip::distribution_of_path("lib/python3.10/site-packages/pycosat-0.6.6-py3.10.egg-info") == DistributionName{"pycosat", "0.6.6"});
    CHECK(pip::distribution_of_path("site-packages/six-1.16.0.egg-info/PKG-INFO") == DistributionName{"six", "1.16.0"});
    // Not metadata of an installed distribution.
    CHECK_FALSE(pip::distribution_of_path("lib/python3.11/site-packages/pip/_vendor/rich-13.0.dist-info/METADATA"));
    CHECK_FALSE(pip::distribution_of_path("share/doc/torch-2.1.0.dist-info/METADATA"));
    CHECK_FALSE(pip::distribution_of_path("lib/python3.11/site-packages/torch/__init__.py"));
    CHECK_FALSE(pip::distribution_of_path("site-packages/noversion.dist-info/METADATA"));
    CHECK_FALSE(pip::distribution_of_path("site-packages/-1.0.dist-info/METADATA"));
    CHECK_FALSE(pip::distribution_of_path("site-packages/name-.dist-info/METADATA"));
    CHECK_FALSE(pip::distribution_of_path(""));
}

TEST_CASE("pypi_name_of_conda_package maps well-known conda names and normalizes the rest") {
    CHECK(pip::pypi_name_of_conda_package("pytorch") == "torch");
    CHECK(pip::pypi_name_of_conda_package("matplotlib-base") == "matplotlib");
    CHECK(pip::pypi_name_of_conda_package("py-xgboost") == "xgboost");
    CHECK(pip::pypi_name_of_conda_package("msgpack-python") == "msgpack");
    CHECK(pip::pypi_name_of_conda_package("pytables") == "tables");
    CHECK(pip::pypi_name_of_conda_package("numpy-base") == "numpy");
    // python-* names that PyPI uses as they are stay.
    CHECK(pip::pypi_name_of_conda_package("python-dateutil") == "python-dateutil");
    CHECK(pip::pypi_name_of_conda_package("typing_extensions") == "typing-extensions");
    CHECK(pip::pypi_name_of_conda_package("ruamel.yaml") == "ruamel-yaml");
    for (const auto& [conda_name, pypi_name] : pip::conda_pypi_name_table()) {
        CHECK(conda_name != pypi_name);
        CHECK(pip::pypi_name_of_conda_package(conda_name) == pypi_name);
    }
}

TEST_CASE("provided_by_conda: found distributions, else the table, else the record name") {
    const std::vector<conda::PackageRecord> records = {
        record("python", "3.11.4", {}),
        record("pytorch", "2.1.0"),
        record("foo-conda", "1.5"),
        record("numpy", "1.26.4"),
        record("zlib", "1.2.13", {"libgcc-ng >=12"}),  // not a Python package
        record("attrs", "23.1.0"),
    };
    SECTION("without evidence") {
        const auto provided = pip::provided_by_conda(records);
        std::vector<std::string> names;
        names.reserve(provided.size());
        for (const auto& p : provided) names.push_back(p.name);
        CHECK(names == std::vector<std::string>{"torch", "foo-conda", "numpy", "attrs"});
        CHECK(provided[0].version == "2.1.0");
        CHECK(provided[0].provider == "pytorch 2.1.0 (conda)");
    }
    SECTION("with the distributions found in the packages' files") {
        pip::CondaDistributions found;
        found["foo-conda"] = {{"Bar_Dist", "1.5.post1"}, {"baz", "0.1"}};
        found["pytorch"] = {{"torch", "2.1.0+cpu"}};
        found["zlib"] = {{"zlib-bindings", "1.0"}};  // evidence counts even for a non-Python record
        const auto provided = pip::provided_by_conda(records, found);
        std::map<std::string, std::string> versions;
        for (const auto& p : provided) versions[p.name] = p.version;
        CHECK(versions == std::map<std::string, std::string>{{"torch", "2.1.0+cpu"}, {"bar-dist", "1.5.post1"}, {"baz", "0.1"},
                                                             {"numpy", "1.26.4"}, {"zlib-bindings", "1.0"}, {"attrs", "23.1.0"}});
        CHECK_FALSE(versions.count("foo-conda"));
        const auto bar = std::find_if(provided.begin(), provided.end(), [](const auto& p) { return p.name == "bar-dist"; });
        CHECK(bar->provider == "foo-conda 1.5 (conda)");
    }
    SECTION("two records claiming one distribution: the first one wins") {
        pip::CondaDistributions found;
        found["foo-conda"] = {{"attrs", "23.1.0"}};
        const auto provided = pip::provided_by_conda(records, found);
        CHECK(std::count_if(provided.begin(), provided.end(), [](const auto& p) { return p.name == "attrs"; }) == 1);
    }
}
