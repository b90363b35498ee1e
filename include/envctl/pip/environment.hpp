#pragma once
// The pip: section of an environment as the pipeline uses it: inputs read with the process's
// variables, index options from the configuration (pypi_index_url, the repodata cache's
// settings) and the file's own --index-url/--extra-index-url/--find-links, and a resolve for one
// platform after its conda solve.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/net/downloader.hpp"
#include "envctl/pip/index_client.hpp"
#include "envctl/pip/inputs.hpp"
#include "envctl/pip/resolve.hpp"
#include "envctl/spec/environment.hpp"

namespace envctl::pip {

struct PipSettings {
    std::string default_index_url = "https://pypi.org/simple";  // config pypi_index_url
    std::filesystem::path cache_dir;  // <repodata_cache_dir>/pypi
    int ttl = 1;                      // local_repodata_ttl
    bool offline = false;
    net::NetworkOptions network;
};
PipSettings pip_settings(const config::Config& config, const std::filesystem::path& repodata_cache_dir, int ttl, bool offline,
                         net::NetworkOptions network);

// The pip: lines of `environment` (relative paths against the environment file's folder).
Result<PipInputs> environment_pip_inputs(const spec::EnvironmentSpec& environment, const config::Environment& variables);

// --no-index: only --find-links; else --index-url (or the default) then --extra-index-url.
IndexOptions index_options(const PipInputs& inputs, const PipSettings& settings);

// Resolves for one platform whose conda solve gave `records` under `virtual_packages`.
// `distributions`: what the records' files are known to hold (see provided_by_conda).
Result<Resolution> resolve_for_platform(const PipInputs& inputs, IndexClient& client, std::string_view platform,
                                        const std::vector<conda::PackageRecord>& records,
                                        const std::vector<conda::PackageRecord>& virtual_packages,
                                        std::map<std::string, std::string> preferred = {},
                                        const CondaDistributions& distributions = {});

}  // namespace envctl::pip
