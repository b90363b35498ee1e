#include "configuration.hpp"

#include <spdlog/spdlog.h>

namespace envctl::cli {

Result<config::LoadedConfig> load_configuration(const config::Environment& environment,
                                                const config::Overrides& overrides) {
    auto loaded = config::load(environment, overrides);
    if (loaded)
        for (const auto& warning : loaded->warnings) spdlog::warn("{}", warning);
    return loaded;
}

std::string user_agent() { return std::string("envctl/") + ENVCTL_VERSION; }

}  // namespace envctl::cli
