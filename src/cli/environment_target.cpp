#include "environment_target.hpp"

#include <fmt/format.h>

#include "envctl/ops/activation.hpp"
#include "envctl/ops/environments.hpp"

namespace envctl::cli {

void add_environment_target_options(CLI::App& command, EnvironmentTarget& target, bool with_file) {
    command.add_option("-p,--prefix", target.prefix, "Path of the environment");
    command.add_option("-n,--name", target.name, "Name of the environment (in the envs_dirs folders or .envctl/envs)");
    if (with_file)
        command.add_option("-f,--file", target.file, "Environment file whose per-project environment (.envctl/envs/<name>) to use");
}

namespace {

Result<std::filesystem::path> checked(std::filesystem::path path, std::string hint) {
    std::error_code error;
    if (std::filesystem::is_directory(path / "conda-meta", error)) return path;
    return fail(Error{ErrorKind::Input, fmt::format("{} is not a conda environment (it has no conda-meta folder)", path.string()),
                      {}, {std::move(hint)}});
}

}  // namespace

Result<std::filesystem::path> existing_environment(const EnvironmentTarget& target, const config::Config& config) {
    // A path is taken as it is (a prefix made by another tool may lack conda-meta/history);
    // names and the active environment are looked up as `list` and `run` do.
    if (!target.prefix.empty())
        return checked(std::filesystem::absolute(target.prefix), "create it first with `envctl create -p PATH SPEC...`");
    if (!target.name.empty() || target.file.empty())
        return ops::existing_environment(target.prefix, target.name, config, config::Environment::from_process());
    auto path = ops::environment_by_file(target.file, config);
    if (!path) return path;
    return checked(std::move(*path), fmt::format("create it first with `envctl create -f {}`", target.file));
}

}  // namespace envctl::cli
