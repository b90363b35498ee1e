#pragma once
// Reading the metadata of a package already extracted in the cache, quickly: only
// info/index.json, info/paths.json and info/link.json are read, and only the paths that
// paths.json calls symlinks are checked on disk (an old conda-build stored some as empty
// files). Packages without paths.json go through extract::load_extracted_package, which
// looks at every path.
#include <filesystem>

#include "envctl/extract/package_info.hpp"
#include "envctl/util/result.hpp"

namespace envctl::fetch::detail {

Result<extract::PackageInfo> load_cached_package(const std::filesystem::path& directory);

}  // namespace envctl::fetch::detail
