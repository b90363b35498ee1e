#pragma once
// The pip step of the installing commands: after the conda packages are linked, install the
// environment's wheels (ops::install_pip_packages) and report them.
#include <filesystem>
#include <vector>

#include "command.hpp"
#include "envctl/config/config.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/ops/pip_install.hpp"

namespace envctl::cli {

// Returns the exit code: 0 when there was nothing to do or everything installed.
int install_pip_step(const GlobalOptions& global, const std::filesystem::path& prefix,
                     const std::vector<conda::PackageRecord>& records, std::vector<ops::PipPackage> packages,
                     const config::Config& config, const config::Environment& environment);

}  // namespace envctl::cli
