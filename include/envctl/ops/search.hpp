#pragma once
// `envctl search`: records of the configured (or given) channels that match specs, best first.
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/config/config.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/util/result.hpp"

namespace envctl::ops {

struct SearchRequest {
    std::vector<std::string> specs;     // match specs; name globs allowed ("numpy", "py*", "numpy>=1.26")
    std::vector<std::string> channels;  // -c: searched before the configured channels
    bool override_channels = false;     // only `channels`, not the configured ones
    std::string platform;               // subdir; empty: the host's
};

struct SearchMatch {
    conda::PackageRecord record;
    std::string channel_name;  // as users see it (conda-forge, or the credential-free URL)
};

// The channel list a command uses: -c channels first, then the configured ones unless
// overridden; resolved against the configuration's alias/custom/default channels.
Result<std::vector<conda::Channel>> resolve_command_channels(const std::vector<std::string>& given, bool override_channels,
                                                             const config::Config& config,
                                                             const config::Environment& environment);
conda::ChannelContext channel_context(const config::Config& config, const config::Environment& environment);

// Loads <platform> and noarch of every channel and returns the matching records: by name,
// then highest version, build number and timestamp first (channel order breaks ties).
// Fails with ErrorKind::Input for an invalid spec or platform.
Result<std::vector<SearchMatch>> search(const SearchRequest& request, const config::Config& config,
                                        const config::Environment& environment, const repodata::Options& options);

// The --json shape of a match: name, version, build, build_number, subdir, channel, fn, url,
// depends, constrains, md5, sha256, size, timestamp (plus noarch, track_features, license
// when set).
nlohmann::json search_match_json(const SearchMatch& match);

}  // namespace envctl::ops
