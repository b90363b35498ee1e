// The pip: section for the pipeline: inputs, index options, one platform's resolve.
#include "envctl/pip/environment.hpp"

#include "envctl/config/registry.hpp"

namespace envctl::pip {

PipSettings pip_settings(const config::Config& config, const std::filesystem::path& repodata_cache_dir, int ttl, bool offline,
                         net::NetworkOptions network) {
    PipSettings settings;
    settings.default_index_url = config.pypi_index_url;
    settings.cache_dir = repodata_cache_dir.empty() ? std::filesystem::path() : repodata_cache_dir / "pypi";
    settings.ttl = ttl;
    settings.offline = offline;
    settings.network = std::move(network);
    return settings;
}

Result<PipInputs> environment_pip_inputs(const spec::EnvironmentSpec& environment, const config::Environment& variables) {
    std::error_code ignored;
    const auto base = std::filesystem::absolute(std::filesystem::path(environment.source), ignored).parent_path();
    const VariableLookup lookup = [&variables](std::string_view name) { return variables.get(name); };
    return read_pip_inputs(environment.pip, base, lookup);
}

IndexOptions index_options(const PipInputs& inputs, const PipSettings& settings) {
    IndexOptions options;
    if (!inputs.no_index) {
        options.index_urls.push_back(inputs.index_url.empty() ? settings.default_index_url : inputs.index_url);
        for (const auto& url : inputs.extra_index_urls) options.index_urls.push_back(url);
    }
    options.find_links = inputs.find_links;
    options.cache_dir = settings.cache_dir;
    options.ttl = settings.ttl;
    options.offline = settings.offline;
    options.network = settings.network;
    return options;
}

Result<Resolution> resolve_for_platform(const PipInputs& inputs, IndexClient& client, std::string_view platform,
                                        const std::vector<conda::PackageRecord>& records,
                                        const std::vector<conda::PackageRecord>& virtual_packages,
                                        std::map<std::string, std::string> preferred, const CondaDistributions& distributions) {
    auto target = pip_target(platform, records, virtual_packages);
    if (!target) return fail(std::move(target.error()));
    ResolveRequest request;
    request.inputs = &inputs;
    request.target = std::move(*target);
    request.provided = provided_by_conda(records, distributions);
    request.preferred = std::move(preferred);
    return resolve(request, client);
}

}  // namespace envctl::pip
