#include "environment_target.hpp"

#include <fmt/format.h>

#include "envctl/link/conda_meta.hpp"
#include "envctl/ops/create.hpp"
#include "envctl/spec/environment.hpp"

namespace envctl::cli {

void add_environment_target_options(CLI::App& command, EnvironmentTarget& target, bool with_file) {
    command.add_option("-p,--prefix", target.prefix, "Path of the environment");
    command.add_option("-n,--name", target.name, "Name of the environment (in the first envs_dirs folder)");
    if (with_file)
        command.add_option("-f,--file", target.file, "Environment file whose per-project environment (.envctl/envs/<name>) to use");
}

Result<std::filesystem::path> target_prefix(const EnvironmentTarget& target, const config::Config& config) {
    ops::CreateRequest request;
    request.prefix = target.prefix;
    request.name = target.name;
    std::string file_name;
    if (target.prefix.empty() && target.name.empty() && !target.file.empty()) {
        auto parsed = spec::parse_environment_file(target.file);
        if (!parsed) return fail(std::move(parsed.error()));
        request.file = target.file;
        file_name = parsed->name;
    }
    return ops::create_prefix(request, config, file_name);
}

Result<std::filesystem::path> existing_environment(const EnvironmentTarget& target, const config::Config& config) {
    auto path = target_prefix(target, config);
    if (!path) return path;
    if (!link::is_environment(*path)) {
        const auto hint = target.file.empty() ? std::string("create it first with `envctl create -p PATH SPEC...`")
                                              : fmt::format("create it first with `envctl create -f {}`", target.file);
        return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment", path->string()), {}, {hint}});
    }
    return path;
}

}  // namespace envctl::cli
