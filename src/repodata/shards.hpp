#pragma once
// Internal: CEP 16 sharded repodata. Subdirs whose channel serves a shard index load only the
// shards of the names needed (following depends when asked), fetched wave by wave in parallel
// and cached by hash; the others load monolithic repodata.
#include <span>
#include <string>

#include "envctl/repodata/repodata.hpp"

namespace envctl::repodata::detail {

Result<Repodata> load_with_shards(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                                  std::span<const std::string> names, bool follow_depends, const Options& options);

}  // namespace envctl::repodata::detail
