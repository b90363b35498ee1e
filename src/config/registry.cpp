// The registry: one line per key. To add a key, add its Config field and one line here
// (docs/configuration.md then needs the regenerated table: `envctl config docs`).
#include "envctl/config/registry.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace envctl::config {

namespace {
using T = ValueType;
using M = Merge;
// clang-format off
const std::vector<KeyInfo> keys = {
    // name, type, merge, .condarc, default (YAML, or a description of a machine default), field, description
    {"channels", T::TextList, M::Combine, true, "[conda-forge]", &Config::channels, "Channels searched for packages, highest priority first: names (resolved with channel_alias), URLs or local paths."},
    {"channel_alias", T::Url, M::Replace, true, "https://conda.anaconda.org", &Config::channel_alias, "Prefix URL that turns a channel name into a URL."},
    {"custom_channels", T::UrlMap, M::Combine, true, "{}", &Config::custom_channels, "Channel name -> base URL for channels that do not live under channel_alias."},
    {"default_channels", T::UrlList, M::Replace, true, "[https://repo.anaconda.com/pkgs/main, https://repo.anaconda.com/pkgs/r]", &Config::default_channels, "What the channel name `defaults` stands for."},
    {"channel_priority", T::Choice, M::Replace, true, "flexible", &Config::channel_priority, "strict: a package comes from the highest-priority channel that has it; flexible: prefer it; disabled: newest version wins.", {"strict", "flexible", "disabled"}},
    {"pkgs_dirs", T::PathList, M::Combine, true, "$XDG_CACHE_HOME/envctl/pkgs (~/.cache/envctl/pkgs)", &Config::pkgs_dirs, "Package cache folders; the first writable one receives downloads."},
    {"envs_dirs", T::PathList, M::Combine, true, "<root_prefix>/envs", &Config::envs_dirs, "Folders where named environments (-n NAME) live, first one first."},
    {"root_prefix", T::Path, M::Replace, false, "$XDG_DATA_HOME/envctl (~/.local/share/envctl)", &Config::root_prefix, "envctl's own data folder."},
    {"repodata_cache_dir", T::Path, M::Replace, false, "$XDG_CACHE_HOME/envctl/repodata (~/.cache/envctl/repodata)", &Config::repodata_cache_dir, "Where downloaded repodata and its HTTP cache state are kept."},
    {"ssl_verify", T::SslVerify, M::Replace, true, "true", &Config::ssl_verify, "Verify TLS certificates: true, false, or the path of a CA bundle to verify with."},
    {"proxy_servers", T::UrlMap, M::Combine, true, "{}", &Config::proxy_servers, "Scheme (http, https) or scheme://host -> proxy URL; without it the usual *_proxy variables apply."},
    {"remote_max_retries", T::Integer, M::Replace, true, "3", &Config::remote_max_retries, "Retries of a download after a connection error, timeout, truncated body or HTTP 408/429/5xx."},
    {"remote_backoff_factor", T::Number, M::Replace, true, "1", &Config::remote_backoff_factor, "Seconds; retry n waits factor * 2^(n-1), plus jitter."},
    {"remote_connect_timeout_secs", T::Number, M::Replace, true, "9.15", &Config::remote_connect_timeout_secs, "Seconds allowed to establish a connection."},
    {"remote_read_timeout_secs", T::Number, M::Replace, true, "60", &Config::remote_read_timeout_secs, "Seconds a transfer may stall (no bytes received) before it is aborted and retried; 0 disables."},
    {"download_threads", T::Integer, M::Replace, false, "8", &Config::download_threads, "Transfers (and connections) in flight at once.", {}, 1},
    {"local_repodata_ttl", T::Ttl, M::Replace, true, "1", &Config::local_repodata_ttl, "Repodata cache lifetime: 0 always revalidates, 1 honours the server's Cache-Control max-age, N > 1 is N seconds."},
    {"offline", T::Bool, M::Replace, true, "false", &Config::offline, "Use no network: only file:// channels and cached data."},
    {"add_pip_as_python_dependency", T::Bool, M::Replace, true, "true", &Config::add_pip_as_python_dependency, "Make python depend on pip, as conda does."},
    {"pinned_packages", T::TextList, M::Combine, true, "[]", &Config::pinned_packages, "Match specs added to every solve as constraints."},
    {"pypi_index_url", T::Url, M::Replace, false, "https://pypi.org/simple", &Config::pypi_index_url, "PyPI simple index (PEP 503/691) for pip dependencies."},
    {"extract_threads", T::Integer, M::Replace, true, "0", &Config::extract_threads, "Archives extracted in parallel; 0 means one per CPU."},
    {"always_copy", T::Bool, M::Replace, true, "false", &Config::always_copy, "Copy files into environments instead of hard-linking them from the package cache."},
    {"compile_pyc", T::Bool, M::Replace, true, "true", &Config::compile_pyc, "Compile .pyc files of noarch: python packages when the environment has a python (--no-pyc turns it off for one command)."},
    {"repodata_use_zst", T::Bool, M::Replace, true, "true", &Config::repodata_use_zst, "Fetch repodata.json.zst when the channel has it."},
    {"repodata_use_shards", T::Bool, M::Replace, false, "true", &Config::repodata_use_shards, "Use sharded repodata (CEP 16) when the channel has it."},
    {"netrc_file", T::Path, M::Replace, false, "$NETRC (~/.netrc)", &Config::netrc_file, "netrc file with credentials for channel and index hosts."},
    {"changeps1", T::Bool, M::Replace, true, "true", &Config::changeps1, "`envctl activate` puts the environment's name in front of the shell prompt (PS1)."},
};
// clang-format on

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}
}  // namespace

std::string KeyInfo::env_var() const {
    std::string out = "ENVCTL_";
    for (char c : name) out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

bool KeyInfo::is_list() const { return type == T::TextList || type == T::UrlList || type == T::PathList; }
bool KeyInfo::is_map() const { return type == T::UrlMap; }

std::string_view KeyInfo::type_name() const {
    switch (type) {
        case T::Bool: return "bool";
        case T::Integer: return "integer";
        case T::Number: return "number";
        case T::Ttl: return "integer or bool";
        case T::Text: return "string";
        case T::Url: return "URL";
        case T::Path: return "path";
        case T::Choice: return "choice";
        case T::SslVerify: return "bool or path";
        case T::TextList: return "list of strings";
        case T::UrlList: return "list of URLs";
        case T::PathList: return "list of paths";
        case T::UrlMap: return "map of URLs";
    }
    return "value";
}

std::span<const KeyInfo> registry() { return keys; }

const KeyInfo* find_key(std::string_view name) {
    auto it = std::find_if(keys.begin(), keys.end(), [name](const KeyInfo& key) { return key.name == name; });
    return it == keys.end() ? nullptr : &*it;
}

std::string closest_key(std::string_view name) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(3, name.size() / 3) + 1;
    for (const auto& key : keys) {
        const auto distance = edit_distance(name, key.name);
        if (distance < best_distance) {
            best_distance = distance;
            best = std::string(key.name);
        }
    }
    return best;
}

}  // namespace envctl::config
