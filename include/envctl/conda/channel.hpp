#pragma once
// Conda channels, resolved without I/O from what users write: a name (`conda-forge`,
// `conda-forge/label/dev`), an http(s) or file:// URL, or an absolute/relative path, optionally
// followed by a platform (`conda-forge/linux-64`) that restricts the channel to that subdir.
//
// Credentials (`user:password@`, `/t/<token>/`) are split off: name(), base_url() and
// subdir_url() never contain them; only authenticated_url() does, for the downloader.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"
#include "envctl/util/url.hpp"

namespace envctl::conda {

// Where channel names point. The config module fills it from .condarc and ENVCTL_* variables.
struct ChannelContext {
    // Base URL for channel names: `conda-forge` -> <channel_alias>/conda-forge. May carry
    // credentials, which channels under it inherit.
    std::string channel_alias = "https://conda.anaconda.org";
    // Channel name -> base URL; the channel lives at <base URL>/<name> (conda's custom_channels).
    std::map<std::string, std::string, std::less<>> custom_channels;
    // What `defaults` expands to.
    std::vector<std::string> default_channels = {"https://repo.anaconda.com/pkgs/main",
                                                 "https://repo.anaconda.com/pkgs/r"};
    // Directory relative channel paths are resolved against; empty: relative paths are an error.
    std::string cwd;
    // Replaces a leading `~`; empty: `~` paths are an error.
    std::string home;
};

class Channel {
public:
    // Resolves one channel. `defaults` is several channels: use resolve_channels() for it.
    static Result<Channel> resolve(std::string_view input, const ChannelContext& context);

    // What users see: the name for channels under the alias or in custom_channels
    // ("conda-forge", "conda-forge/label/dev"), else the credential-free base URL.
    const std::string& name() const { return name_; }
    // Credential-free URL without trailing slash or platform, e.g. https://conda.anaconda.org/conda-forge.
    const std::string& base_url() const { return base_url_; }
    const UrlCredentials& credentials() const { return credentials_; }
    // The platform given after the channel (conda-forge/linux-64); empty means all subdirs.
    const std::vector<std::string>& platforms() const { return platforms_; }
    bool is_local() const { return base_url_.rfind("file://", 0) == 0; }

    // <base_url>/<subdir>, credential-free.
    std::string subdir_url(std::string_view subdir) const;
    // The same URL with the channel's credentials, for the downloader only: never log it.
    // With an empty subdir, the channel's base URL with credentials.
    std::string authenticated_url(std::string_view subdir = {}) const;

    friend bool operator==(const Channel& a, const Channel& b) {
        return a.base_url_ == b.base_url_ && a.platforms_ == b.platforms_;
    }

private:
    std::string name_;
    std::string base_url_;
    std::string authenticated_base_;
    UrlCredentials credentials_;
    std::vector<std::string> platforms_;
};

// Resolves a channel list in order: `defaults` expands to context.default_channels,
// `nodefaults` is dropped, and later duplicates of a channel are dropped.
Result<std::vector<Channel>> resolve_channels(std::span<const std::string> channels, const ChannelContext& context);

// Whether a record whose channel is `record_channel` (a canonical channel URL, as in
// PackageRecord::channel) belongs to the channel a match spec names (`spec_channel`: name,
// URL, path, `defaults`, or a glob). False when `spec_channel` cannot be resolved.
bool channel_matches(std::string_view spec_channel, std::string_view record_channel, const ChannelContext& context);

// "/opt/chan" -> "file:///opt/chan", "C:\chan" -> "file:///C:/chan"; spaces, '%', '#' and '?'
// are percent-encoded.
std::string path_to_file_url(std::string_view absolute_path);
// The local path of a file:// URL, percent-decoded; nullopt for other URLs.
std::optional<std::string> file_url_to_path(std::string_view url);
// "%21" -> "!"; malformed escapes are kept as they are.
std::string percent_decode(std::string_view text);

// Splits a trailing known subdir off a channel string: "conda-forge/linux-64" ->
// {"conda-forge", "linux-64"}; {text, ""} when there is none.
std::pair<std::string_view, std::string_view> split_channel_subdir(std::string_view text);

}  // namespace envctl::conda
