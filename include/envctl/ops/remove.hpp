#pragma once
// envctl remove and envctl env remove.
#include <filesystem>
#include <string>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/ops/install.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

// The installed records that stay when `names` go: the named packages and, unless `force`,
// every installed package that depends on one of them (transitively), as conda removes them.
// Fails (ErrorKind::Input) when a name is not installed.
Result<std::vector<conda::PackageRecord>> environment_without(const std::vector<link::PrefixRecord>& installed,
                                                              const std::vector<std::string>& names, bool force);

struct RemoveEnvironmentResult {
    link::RecoveryReport recovery;
    link::TransactionResult transaction;  // the packages unlinked (pre-unlink scripts ran)
    std::size_t other_files = 0;          // files no package owned, removed with the prefix
};

// Unlinks every package (running pre-unlink scripts unless !link_scripts), then deletes the
// prefix folder. Refuses (Input) a folder that is not an environment (no conda-meta/).
Result<RemoveEnvironmentResult> remove_environment(const std::filesystem::path& prefix, bool link_scripts,
                                                   const ApplyCallbacks& callbacks);

}  // namespace envctl::ops
