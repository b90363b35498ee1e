#include "shards.hpp"

namespace envctl::repodata::detail {

Result<Repodata> load_with_shards(std::span<const conda::Channel> channels, std::span<const std::string> subdirs,
                                  std::span<const std::string>, bool, const Options& options) {
    return load_all(channels, subdirs, options);
}

}  // namespace envctl::repodata::detail
