#pragma once
// Which Python distributions (PyPI names) a conda package provides, so that pip requirements
// are met by conda packages named differently from their distribution (conda `pytorch` holds
// the `torch` distribution). Pure functions: the caller (ops) reads the evidence, the files of
// extracted packages or of a prefix's conda-meta, and hands it to provided_by_conda().
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/package_record.hpp"

namespace envctl::pip {

// A distribution as its metadata folder names it.
struct DistributionName {
    std::string name;     // as written in the folder name ("ruamel.yaml", "torch"); not normalized
    std::string version;  // "2.1.0"
    bool operator==(const DistributionName&) const = default;
};

// The distribution whose metadata folder holds `path` when it lies directly in a site-packages
// folder: "lib/python3.11/site-packages/torch-2.1.0.dist-info/METADATA",
// "site-packages/six-1.16.0.dist-info" (noarch: python packages) or
// "Lib/site-packages/x-1.0-py3.11.egg-info"; nullopt for any other path (vendored metadata deeper
// in site-packages included).
std::optional<DistributionName> distribution_of_path(std::string_view path);

// The PyPI name (normalized) that a Python conda package stands for: the conda name itself
// (normalized) unless a small table of well-known conda-forge / defaults packages says otherwise
// (pytorch -> torch, matplotlib-base -> matplotlib, ...; see docs/python-packaging.md).
std::string pypi_name_of_conda_package(std::string_view conda_name);

// The conda name -> PyPI name pairs of that table, for documentation and tests.
const std::vector<std::pair<std::string_view, std::string_view>>& conda_pypi_name_table();

// Whether a conda record is a Python package: noarch: python, or it depends on python or
// python_abi.
bool is_python_package(const conda::PackageRecord& record);

// Conda record name -> the distributions found in its files (empty or absent: nothing known).
using CondaDistributions = std::map<std::string, std::vector<DistributionName>>;

}  // namespace envctl::pip
