#pragma once
// How commands get their configuration: config::load() on this process's environment plus the
// command's overrides, with warnings logged. Commands that use the network build a Downloader
// from network_options(loaded.config, environment, user_agent()).
#include <string>

#include "envctl/config/config.hpp"

namespace envctl::cli {

// Loads the effective configuration for `environment` and logs its warnings on stderr.
Result<config::LoadedConfig> load_configuration(const config::Environment& environment,
                                                const config::Overrides& overrides = {});
// "envctl/<version>".
std::string user_agent();

}  // namespace envctl::cli
