// Conda package names -> PyPI distribution names.
#include "envctl/pip/conda_names.hpp"

#include <algorithm>

#include "envctl/pypi/name.hpp"

namespace envctl::pip {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

bool is_python_package(const conda::PackageRecord& record) {
    if (record.noarch == conda::NoArchType::Python) return true;
    return std::any_of(record.depends.begin(), record.depends.end(), [](const std::string& dep) {
        const auto name = dep.substr(0, dep.find_first_of(" =<>!~"));
        return name == "python" || name == "python_abi";
    });
}

std::optional<DistributionName> distribution_of_path(std::string_view path) {
    // Components up to the metadata folder: "... site-packages <folder> [rest]".
    std::vector<std::string_view> parts;
    for (std::size_t start = 0; start <= path.size();) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        if (end > start) parts.push_back(path.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    for (std::size_t i = 1; i < parts.size(); ++i) {
        const auto folder = parts[i];
        const bool dist_info = ends_with(folder, ".dist-info");
        const bool egg_info = ends_with(folder, ".egg-info");
        if (!dist_info && !egg_info) continue;
        if (parts[i - 1] != "site-packages") return std::nullopt;
        const auto stem = folder.substr(0, folder.size() - (dist_info ? 10 : 9));
        const auto dash = stem.find('-');
        if (dash == 0 || dash == std::string_view::npos) return std::nullopt;
        auto version = stem.substr(dash + 1);
        if (egg_info) version = version.substr(0, version.find('-'));  // "1.0-py3.11"
        if (version.empty()) return std::nullopt;
        return DistributionName{std::string(stem.substr(0, dash)), std::string(version)};
    }
    return std::nullopt;
}

const std::vector<std::pair<std::string_view, std::string_view>>& conda_pypi_name_table() {
    // Only packages whose files are known to hold the named distribution. Metapackages (conda
    // `matplotlib`, `dask`, `numpy` on defaults) depend on these and keep their own names.
    static const std::vector<std::pair<std::string_view, std::string_view>> table = {
        {"brotli-python", "brotli"},
        {"dask-core", "dask"},
        {"matplotlib-base", "matplotlib"},
        {"msgpack-python", "msgpack"},
        {"numpy-base", "numpy"},
        {"py-xgboost", "xgboost"},
        {"pytables", "tables"},
        {"python-build", "build"},
        {"python-duckdb", "duckdb"},
        {"python-fastjsonschema", "fastjsonschema"},
        {"python-flatbuffers", "flatbuffers"},
        {"python-graphviz", "graphviz"},
        {"python-installer", "installer"},
        {"python-kaleido", "kaleido"},
        {"python-tzdata", "tzdata"},
        {"pytorch", "torch"},
    };
    return table;
}

std::string pypi_name_of_conda_package(std::string_view conda_name) {
    const auto& table = conda_pypi_name_table();
    const auto found = std::find_if(table.begin(), table.end(), [&](const auto& entry) { return entry.first == conda_name; });
    return found != table.end() ? std::string(found->second) : pypi::normalize_name(conda_name);
}

}  // namespace envctl::pip
