// Reading an installed prefix: conda-meta records, history requests, pip distributions.
#include "envctl/lock/prefix.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/pypi/metadata.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::lock {

namespace fs = std::filesystem;

namespace {

std::string string_field(const nlohmann::json& object, const char* key) {
    const auto found = object.find(key);
    return found != object.end() && found->is_string() ? found->get<std::string>() : std::string{};
}

Result<InstalledPackage> read_record(const fs::path& file) {
    const auto text = read_file(file);
    if (!text) return fail(text.error());
    const auto invalid = [&](std::string what) {
        return fail(Error{ErrorKind::Input, fmt::format("invalid conda-meta record: {}", what), Location{file.string(), 1, 0}, {}});
    };
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(*text);
    } catch (const nlohmann::json::exception& error) {
        return invalid(error.what());
    }
    if (!document.is_object()) return invalid("expected a JSON object");
    auto record = conda::record_from_json(document, file.stem().string() + ".conda");
    if (!record) return invalid(record.error().message);
    InstalledPackage package;
    package.record = std::move(*record);
    package.meta_file = file;
    const auto paths_data = document.find("paths_data");
    if (paths_data != document.end() && paths_data->is_object() && paths_data->contains("paths") &&
        (*paths_data)["paths"].is_array()) {
        for (const auto& item : (*paths_data)["paths"]) {
            if (!item.is_object()) continue;
            InstalledPath path;
            path.path = string_field(item, "_path");
            if (path.path.empty()) continue;
            path.path_type = string_field(item, "path_type");
            if (path.path_type.empty()) path.path_type = "hardlink";
            path.sha256 = to_lower(string_field(item, "sha256"));
            path.sha256_in_prefix = to_lower(string_field(item, "sha256_in_prefix"));
            if (const auto size = item.find("size_in_bytes"); size != item.end() && size->is_number_unsigned())
                path.size_in_bytes = size->get<std::uint64_t>();
            package.paths.push_back(std::move(path));
        }
    } else if (const auto files = document.find("files"); files != document.end() && files->is_array()) {
        for (const auto& item : *files)
            if (item.is_string()) package.paths.push_back(InstalledPath{item.get<std::string>(), "hardlink", {}, {}, {}});
    }
    if (const auto specs = document.find("requested_specs"); specs != document.end() && specs->is_array()) {
        for (const auto& spec : *specs)
            if (spec.is_string()) package.requested_specs.push_back(spec.get<std::string>());
    } else if (auto spec = string_field(document, "requested_spec"); !spec.empty()) {
        package.requested_specs.push_back(std::move(spec));
    }
    return package;
}

std::vector<fs::path> site_packages_dirs(const fs::path& prefix) {
    std::vector<fs::path> out;
    std::error_code error;
    const auto lib = prefix / "lib";
    if (fs::is_directory(lib, error))
        for (const auto& entry : fs::directory_iterator(lib, error))
            if (entry.path().filename().string().rfind("python", 0) == 0 && fs::is_directory(entry.path() / "site-packages", error))
                out.push_back(entry.path() / "site-packages");
    if (fs::is_directory(prefix / "Lib" / "site-packages", error)) out.push_back(prefix / "Lib" / "site-packages");
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<PipDistribution> pip_distributions(const fs::path& prefix, const std::set<std::string>& conda_files) {
    std::vector<PipDistribution> out;
    std::error_code error;
    for (const auto& site : site_packages_dirs(prefix)) {
        const auto site_relative = site.lexically_relative(prefix);
        for (const auto& entry : fs::directory_iterator(site, error)) {
            const auto name = entry.path().filename().string();
            if (name.size() <= 10 || name.compare(name.size() - 10, 10, ".dist-info") != 0) continue;
            const auto metadata_relative = (site_relative / name / "METADATA").generic_string();
            if (conda_files.count(metadata_relative)) continue;  // a conda package's own metadata
            auto installer = read_file(entry.path() / "INSTALLER");
            PipDistribution dist;
            dist.installer = installer ? std::string(trim(*installer)) : std::string{};
            if (dist.installer == "conda") continue;
            auto metadata_text = read_file(entry.path() / "METADATA");
            if (!metadata_text) continue;
            auto metadata = pypi::CoreMetadata::parse(*metadata_text, metadata_relative);
            if (!metadata) continue;
            dist.name = metadata->name;
            dist.version = metadata->version.to_string();
            dist.dist_info = site_relative / name;
            dist.requested = fs::exists(entry.path() / "REQUESTED", error);
            if (auto record_text = read_file(entry.path() / "RECORD")) {
                if (auto rows = pypi::parse_record(*record_text)) {
                    for (const auto& row : *rows)
                        dist.files.push_back((site_relative / row.path).lexically_normal().generic_string());
                }
            }
            out.push_back(std::move(dist));
        }
    }
    std::sort(out.begin(), out.end(), [](const PipDistribution& a, const PipDistribution& b) {
        return pypi::normalize_name(a.name) < pypi::normalize_name(b.name);
    });
    return out;
}

// The quoted strings of a Python list literal "['a', \"b\"]".
std::vector<std::string> python_list(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char quote = text[i];
        if (quote != '\'' && quote != '"') continue;
        std::string value;
        std::size_t j = i + 1;
        for (; j < text.size() && text[j] != quote; ++j) {
            if (text[j] == '\\' && j + 1 < text.size()) ++j;
            value += text[j];
        }
        out.push_back(std::move(value));
        i = j;
    }
    return out;
}

std::string spec_name(std::string_view spec) {
    auto text = trim(spec);
    if (const auto colons = text.rfind("::"); colons != std::string_view::npos) text = text.substr(colons + 2);
    std::size_t end = 0;
    while (end < text.size() && text[end] != ' ' && text[end] != '=' && text[end] != '<' && text[end] != '>' &&
           text[end] != '!' && text[end] != '[' && text[end] != '~')
        ++end;
    return to_lower(text.substr(0, end));
}

}  // namespace

const InstalledPackage* Prefix::find(std::string_view name) const {
    for (const auto& package : packages)
        if (package.record.name == name) return &package;
    return nullptr;
}

std::string Prefix::platform(std::string_view fallback) const {
    for (const auto& package : packages)
        if (!package.record.subdir.empty() && package.record.subdir != "noarch") return package.record.subdir;
    return std::string(fallback);
}

Result<Prefix> read_prefix(const fs::path& prefix) {
    std::error_code error;
    const auto meta = prefix / "conda-meta";
    if (!fs::is_directory(meta, error))
        return fail(Error{ErrorKind::Input, fmt::format("{} is not a conda environment (no conda-meta folder)", prefix.string()),
                          std::nullopt, {}});
    Prefix out;
    out.path = prefix;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(meta, error))
        if (entry.path().extension() == ".json" && entry.is_regular_file(error)) files.push_back(entry.path());
    if (error) return fail(ErrorKind::Io, fmt::format("cannot list {}: {}", meta.string(), error.message()));
    std::sort(files.begin(), files.end());
    std::set<std::string> conda_files;
    for (const auto& file : files) {
        auto package = read_record(file);
        if (!package) return fail(std::move(package.error()));
        for (const auto& path : package->paths) conda_files.insert(path.path);
        out.packages.push_back(std::move(*package));
    }
    std::stable_sort(out.packages.begin(), out.packages.end(),
                     [](const InstalledPackage& a, const InstalledPackage& b) { return a.record.name < b.record.name; });
    out.pip = pip_distributions(prefix, conda_files);
    return out;
}

std::vector<std::string> requested_specs_from_history(std::string_view history_text) {
    std::vector<std::string> order;               // names in order of first request
    std::map<std::string, std::string> specs;     // name -> latest spec
    for (const auto raw : split(history_text, '\n')) {
        const auto line = trim(raw);
        if (line.rfind('#', 0) != 0) continue;
        const auto colon = line.find(" specs:");
        if (colon == std::string_view::npos) continue;
        const auto action = trim(line.substr(1, colon - 1));
        const auto values = python_list(line.substr(colon + 7));
        if (action == "update" || action == "install" || action == "create") {
            for (const auto& spec : values) {
                const auto name = spec_name(spec);
                if (name.empty()) continue;
                if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
                specs[name] = spec;
            }
        } else if (action == "remove") {
            for (const auto& spec : values) specs.erase(spec_name(spec));
        }
    }
    std::vector<std::string> out;
    for (const auto& name : order)
        if (const auto found = specs.find(name); found != specs.end()) out.push_back(found->second);
    return out;
}

}  // namespace envctl::lock
