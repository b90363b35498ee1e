#pragma once
// The environments envctl knows: the root prefix, the folders of envs_dirs (-n NAME) and every
// prefix envctl created elsewhere (per-project `.envctl/envs/<name>`, -p PATH), which it records
// in <root_prefix>/environments.txt (one absolute path a line, like conda's
// ~/.conda/environments.txt). specs/conda-meta.md describes the file.
//
//   ops::register_environment(config.root_prefix, prefix);      // after create/install
//   auto envs = ops::list_environments(config);                  // env list, clean
#include <filesystem>
#include <string>
#include <vector>

#include "envctl/config/config.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

struct EnvironmentEntry {
    enum class Kind { Root, Named, Project, Other };
    std::filesystem::path prefix;
    std::string name;  // "base" for the root prefix, else the folder name
    Kind kind = Kind::Other;
};

std::string_view environment_kind_name(EnvironmentEntry::Kind kind);  // "root", "named", "project", "other"

// <root_prefix>/environments.txt
std::filesystem::path registry_file(const std::filesystem::path& root_prefix);

// Adds `prefix` (made absolute) to the registry unless it is already listed. Concurrent envctl
// processes serialise on <root_prefix>/.environments.lock.
Status register_environment(const std::filesystem::path& root_prefix, const std::filesystem::path& prefix);

// The root prefix (when it is an environment), the environments in envs_dirs (folder order,
// then by name) and the registered ones (by path), each once. Registered paths that no longer hold an
// environment (conda-meta/history) are dropped from the registry file.
Result<std::vector<EnvironmentEntry>> list_environments(const config::Config& config);

// The environment a read-only command (list, repoquery) works on: -p PREFIX; else -n NAME, looked
// up in each envs_dirs folder, then in .envctl/envs/ of the current folder and its parents (the
// per-project prefixes); else the active environment ($CONDA_PREFIX). The result must be an
// environment (conda-meta/history). Errors: Usage (nothing given), Input (not found).
Result<std::filesystem::path> existing_environment(const std::string& prefix, const std::string& name,
                                                   const config::Config& config, const config::Environment& environment);

}  // namespace envctl::ops
