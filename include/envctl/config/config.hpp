#pragma once
// envctl's configuration: a plain Config value loaded from layered sources (built-in defaults,
// conda's .condarc files, the envctl config file, ENVCTL_* variables, command-line overrides),
// with the origin of every effective value. Loading reads only the files and variables named by
// an explicit Environment: no hidden globals, so it is testable.
//
// Every key is declared once in the registry (envctl/config/registry.hpp); adding a key is a
// field here plus one line there.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::config {

enum class ChannelPriority { Strict, Flexible, Disabled };
std::string_view channel_priority_name(ChannelPriority priority);
std::optional<ChannelPriority> parse_channel_priority(std::string_view text);

// ssl_verify: true (verify with the default CA store), false, or a CA bundle path (verify with it).
struct SslVerify {
    bool enabled = true;
    std::filesystem::path ca_bundle;
    bool operator==(const SslVerify&) const = default;
};

// The effective configuration. Default member values equal the registry's defaults (a unit
// test checks it); machine-dependent paths are empty until load() or defaults() fill them.
struct Config {
    std::vector<std::string> channels = {"conda-forge"};
    std::string channel_alias = "https://conda.anaconda.org";
    std::map<std::string, std::string> custom_channels;
    std::vector<std::string> default_channels = {"https://repo.anaconda.com/pkgs/main", "https://repo.anaconda.com/pkgs/r"};
    ChannelPriority channel_priority = ChannelPriority::Flexible;
    std::vector<std::filesystem::path> pkgs_dirs;
    std::vector<std::filesystem::path> envs_dirs;
    std::filesystem::path root_prefix;
    std::filesystem::path repodata_cache_dir;
    SslVerify ssl_verify;
    std::map<std::string, std::string> proxy_servers;
    int remote_max_retries = 3;
    double remote_backoff_factor = 1.0;
    double remote_connect_timeout_secs = 9.15;
    double remote_read_timeout_secs = 60.0;
    int download_threads = 8;
    // 0: always revalidate; 1: honour the server's Cache-Control max-age; N > 1: N seconds.
    int local_repodata_ttl = 1;
    bool offline = false;
    bool add_pip_as_python_dependency = true;
    std::vector<std::string> pinned_packages;
    std::string pypi_index_url = "https://pypi.org/simple";
    int extract_threads = 0;  // 0: one per CPU
    bool always_copy = false;
    bool compile_pyc = true;
    bool repodata_use_zst = true;
    bool repodata_use_shards = true;
    std::filesystem::path netrc_file;
    bool changeps1 = true;
};

// What loading may read: environment variables, the home directory and the system config
// folder (/etc/conda; tests point it elsewhere).
struct Environment {
    std::map<std::string, std::string> variables;
    std::filesystem::path home;
    std::filesystem::path system_dir = "/etc/conda";

    // The variable's value, or nullopt when it is unset or empty.
    std::optional<std::string> get(std::string_view name) const;
    // This process's environment and $HOME (or the password database's home).
    static Environment from_process();
};

// Where an effective value came from.
struct Origin {
    enum class Kind { Default, File, Variable, CommandLine };
    Kind kind = Kind::Default;
    std::string file;      // Kind::File
    std::size_t line = 0;  // Kind::File, 1-based
    std::string variable;  // Kind::Variable, e.g. "ENVCTL_CHANNELS"
    // "default", "/home/me/.condarc:3", "$ENVCTL_CHANNELS", "command line".
    std::string to_string() const;
};

// Key -> value text given on the command line (parsed like an ENVCTL_* variable's value).
using Overrides = std::map<std::string, std::string>;

struct LoadedConfig {
    Config config;
    // For each key, the sources that gave its effective value, highest precedence first
    // (several for merged lists and maps).
    std::map<std::string, std::vector<Origin>> origins;
    std::vector<std::filesystem::path> files;  // config files read, lowest precedence first
    std::vector<std::string> warnings;         // e.g. unknown keys in the envctl config file
};

// Every source, lowest precedence first: defaults; /etc/conda/.condarc, /etc/conda/condarc,
// /etc/conda/condarc.d/*.yml|*.yaml; $CONDA_ROOT/.condarc; ~/.conda/.condarc; ~/.condarc;
// $XDG_CONFIG_HOME/conda/.condarc (~/.config/conda/.condarc); $CONDARC; the envctl config file
// (envctl_config_file()); ENVCTL_* variables; `overrides`.
// Errors (ErrorKind::Input, or Usage for an unknown override key) name the file, line and key.
Result<LoadedConfig> load(const Environment& environment, const Overrides& overrides = {});
// Only the built-in and machine-dependent defaults.
Config defaults(const Environment& environment);

// The conda config files load() reads, in order, whether or not they exist.
std::vector<std::filesystem::path> condarc_files(const Environment& environment);
// $ENVCTL_CONFIG, else $XDG_CONFIG_HOME/envctl/config.yml, else ~/.config/envctl/config.yml.
std::filesystem::path envctl_config_file(const Environment& environment);

}  // namespace envctl::config
