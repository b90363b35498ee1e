// Finding the environment a user names (`run`, `shell activate`): paths, named environments,
// per-project environments next to an environment file.
#include <system_error>

#include <fmt/core.h>

#include "envctl/ops/activation.hpp"
#include "envctl/ops/create.hpp"
#include "envctl/ops/lock_install.hpp"
#include "envctl/spec/environment.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

bool has_conda_meta(const fs::path& prefix) {
    std::error_code error;
    return fs::is_directory(prefix / "conda-meta", error);
}

fs::path expand_home(std::string_view text) {
    if (text == "~" || text.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        if (home != nullptr) return fs::path(home) / std::string(text.substr(text.size() > 1 ? 2 : 1));
    }
    return fs::path(std::string(text));
}

}  // namespace

Result<fs::path> environment_by_name_or_path(std::string_view text, const config::Config& config, const fs::path& cwd) {
    if (text.empty()) return fail(Error{ErrorKind::Usage, "no environment given", {}, {"give a path or an environment name"}});
    if (text.find('/') != std::string_view::npos || text.starts_with('.') || text.starts_with('~')) {
        auto path = expand_home(text);
        if (path.is_relative()) path = cwd / path;
        path = path.lexically_normal();
        if (!has_conda_meta(path))
            return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment (it has no conda-meta folder)", path.string()),
                              {},
                              {"create it with `envctl create -p PATH SPEC...`"}});
        return path;
    }
    std::vector<fs::path> looked;
    auto folders = config.envs_dirs;
    if (folders.empty()) folders.push_back(config.root_prefix / "envs");
    for (auto directory = fs::absolute(cwd); ; directory = directory.parent_path()) {
        folders.push_back(directory / ".envctl" / "envs");
        if (directory == directory.parent_path()) break;
    }
    for (const auto& folder : folders) {
        const auto candidate = folder / std::string(text);
        if (has_conda_meta(candidate)) return candidate;
        looked.push_back(folder);
    }
    return fail(Error{ErrorKind::Input,
                      fmt::format("no environment named '{}' (looked in {} and .envctl/envs of this folder and its parents)",
                                  text, looked.front().string()),
                      {},
                      {"give its path instead, or list environments with `envctl env list`"}});
}

Result<fs::path> environment_by_file(const fs::path& file, const config::Config& config) {
    std::error_code error;
    if (!fs::exists(file, error))
        return fail(Error{ErrorKind::Usage, fmt::format("{}: no such file", file.string()), {}, {}});
    std::string name;
    if (!is_locked_input(file)) {
        auto parsed = spec::parse_environment_file(file);
        if (!parsed) return fail(std::move(parsed.error()));
        name = parsed->name;
    }
    CreateRequest request;
    request.file = file;
    return create_prefix(request, config, name);
}

Result<fs::path> environment_of_project(const config::Config& config, const fs::path& cwd) {
    for (auto directory = fs::absolute(cwd); ; directory = directory.parent_path()) {
        for (const char* name : {"environment.yml", "environment.yaml"}) {
            std::error_code error;
            if (fs::is_regular_file(directory / name, error)) return environment_by_file(directory / name, config);
        }
        if (directory == directory.parent_path()) break;
    }
    return fail(Error{ErrorKind::Usage, "no environment given, and no environment.yml in this folder or its parents", {},
                      {"use -p PATH, -n NAME or -f environment.yml"}});
}

}  // namespace envctl::ops
