// Loading configuration from layered sources with an explicit Environment.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>

#include "envctl/config/config.hpp"
#include "envctl/config/registry.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::config;
namespace fs = std::filesystem;

namespace {

struct Sandbox {
    TemporaryDirectory temp = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-config-test").value();
    Environment environment;

    Sandbox() {
        environment.home = temp.path() / "home";
        environment.system_dir = temp.path() / "etc" / "conda";
        fs::create_directories(environment.home);
    }
    fs::path write(const fs::path& file, const std::string& text) {
        fs::create_directories(file.parent_path());
        REQUIRE(write_file_atomic(file, text));
        return file;
    }
    fs::path home(const std::string& relative) const { return environment.home / relative; }
    fs::path envctl_file() const { return environment.home / ".config" / "envctl" / "config.yml"; }
    LoadedConfig load_ok(const Overrides& overrides = {}) {
        auto loaded = config::load(environment, overrides);
        if (!loaded) FAIL(loaded.error().to_string());
        return std::move(*loaded);
    }
};

std::vector<std::string> sources(const LoadedConfig& loaded, const std::string& key) {
    std::vector<std::string> out;
    for (const auto& origin : loaded.origins.at(key)) out.push_back(origin.to_string());
    return out;
}

}  // namespace

TEST_CASE("defaults come from the registry and the machine") {
    Sandbox sandbox;
    const auto loaded = sandbox.load_ok();
    const auto& config = loaded.config;
    const auto& home = sandbox.environment.home;
    CHECK(config.channels == std::vector<std::string>{"conda-forge"});
    CHECK(config.channel_alias == "https://conda.anaconda.org");
    CHECK(config.channel_priority == ChannelPriority::Flexible);
    CHECK(config.root_prefix == home / ".local/share/envctl");
    CHECK(config.pkgs_dirs == std::vector<fs::path>{home / ".cache/envctl/pkgs"});
    CHECK(config.repodata_cache_dir == home / ".cache/envctl/repodata");
    CHECK(config.envs_dirs == std::vector<fs::path>{home / ".local/share/envctl/envs"});
    CHECK(config.netrc_file == home / ".netrc");
    CHECK(config.download_threads == 8);
    CHECK(config.remote_connect_timeout_secs == 9.15);
    CHECK(config.pypi_index_url == "https://pypi.org/simple");
    CHECK(loaded.files.empty());
    CHECK(sources(loaded, "channels") == std::vector<std::string>{"default"});

    sandbox.environment.variables = {{"XDG_CACHE_HOME", "/x/cache"}, {"XDG_DATA_HOME", "/x/data"}, {"NETRC", "/x/netrc"}};
    const auto xdg = sandbox.load_ok().config;
    CHECK(xdg.root_prefix == "/x/data/envctl");
    CHECK(xdg.pkgs_dirs == std::vector<fs::path>{"/x/cache/envctl/pkgs"});
    CHECK(xdg.envs_dirs == std::vector<fs::path>{"/x/data/envctl/envs"});
    CHECK(xdg.netrc_file == "/x/netrc");

    sandbox.environment.variables = {{"ENVCTL_ROOT_PREFIX", "/opt/envctl"}};
    CHECK(sandbox.load_ok().config.envs_dirs == std::vector<fs::path>{"/opt/envctl/envs"});
}

TEST_CASE("Config's member defaults equal the registry's") {
    Sandbox sandbox;
    const Config from_registry = defaults(sandbox.environment);
    const Config plain{};
    for (const auto& key : registry()) {
        INFO(key.name);
        if (key.default_value.find('$') != std::string_view::npos || key.default_value.starts_with('<')) continue;
        CHECK(value_of(plain, key) == value_of(from_registry, key));
    }
}

TEST_CASE("every key has a unique name, an ENVCTL_ variable and a parseable default") {
    std::set<std::string> names;
    for (const auto& key : registry()) {
        CHECK(names.insert(std::string(key.name)).second);
        CHECK(key.env_var().starts_with("ENVCTL_"));
        CHECK_FALSE(key.description.empty());
    }
    CHECK(find_key("channels")->env_var() == "ENVCTL_CHANNELS");
    CHECK(find_key("nope") == nullptr);
    CHECK(closest_key("chanels") == "channels");
    CHECK(closest_key("download_thread") == "download_threads");
    CHECK(closest_key("completely-unrelated-name").empty());
}

TEST_CASE("sources override each other in order") {
    Sandbox sandbox;
    auto& env = sandbox.environment;
    sandbox.write(env.system_dir / ".condarc", "remote_max_retries: 4\nremote_backoff_factor: 2\n");
    sandbox.write(env.system_dir / "condarc.d" / "b.yml", "remote_max_retries: 6\n");
    sandbox.write(env.system_dir / "condarc.d" / "a.yml", "remote_max_retries: 5\nchannel_priority: strict\n");
    CHECK(sandbox.load_ok().config.remote_max_retries == 6);  // condarc.d files in name order

    sandbox.write(sandbox.home(".condarc"), "# mine\n\nremote_max_retries: 7\n");
    auto loaded = sandbox.load_ok();
    CHECK(loaded.config.remote_max_retries == 7);
    CHECK(sources(loaded, "remote_max_retries") == std::vector<std::string>{sandbox.home(".condarc").string() + ":3"});
    CHECK(loaded.config.remote_backoff_factor == 2.0);
    CHECK(loaded.config.channel_priority == ChannelPriority::Strict);
    CHECK(loaded.files.size() == 4);

    sandbox.write(sandbox.home(".config/conda/.condarc"), "remote_max_retries: 8\n");
    CHECK(sandbox.load_ok().config.remote_max_retries == 8);
    env.variables["CONDARC"] = sandbox.write(sandbox.temp.path() / "elsewhere.yml", "remote_max_retries: 9\n").string();
    CHECK(sandbox.load_ok().config.remote_max_retries == 9);
    sandbox.write(sandbox.envctl_file(), "remote_max_retries: 10\n");
    CHECK(sandbox.load_ok().config.remote_max_retries == 10);
    env.variables["ENVCTL_REMOTE_MAX_RETRIES"] = "11";
    loaded = sandbox.load_ok();
    CHECK(loaded.config.remote_max_retries == 11);
    CHECK(sources(loaded, "remote_max_retries") == std::vector<std::string>{"$ENVCTL_REMOTE_MAX_RETRIES"});
    loaded = sandbox.load_ok({{"remote_max_retries", "12"}});
    CHECK(loaded.config.remote_max_retries == 12);
    CHECK(sources(loaded, "remote_max_retries") == std::vector<std::string>{"command line"});
}

TEST_CASE("ENVCTL_CONFIG and XDG_CONFIG_HOME choose the envctl file") {
    Sandbox sandbox;
    auto& env = sandbox.environment;
    CHECK(envctl_config_file(env) == sandbox.envctl_file());
    env.variables["XDG_CONFIG_HOME"] = (sandbox.temp.path() / "xdg").string();
    CHECK(envctl_config_file(env) == sandbox.temp.path() / "xdg/envctl/config.yml");
    sandbox.write(sandbox.temp.path() / "xdg/envctl/config.yml", "offline: true\n");
    CHECK(sandbox.load_ok().config.offline);
    env.variables["ENVCTL_CONFIG"] = (sandbox.temp.path() / "custom.yml").string();
    sandbox.write(sandbox.temp.path() / "custom.yml", "download_threads: 3\n");
    const auto loaded = sandbox.load_ok();
    CHECK(loaded.config.download_threads == 3);
    CHECK_FALSE(loaded.config.offline);
}

TEST_CASE("lists merge highest first without duplicates; maps merge by name") {
    Sandbox sandbox;
    auto& env = sandbox.environment;
    sandbox.write(env.system_dir / ".condarc",
                  "channels: [a, b]\ncustom_channels:\n  mine: https://one.example/c\n  theirs: https://two.example/c\n");
    sandbox.write(sandbox.home(".condarc"),
                  "channels:\n  - c\n  - a\ncustom_channels:\n  mine: https://three.example/c\ndefault_channels:\n  - https://mirror.example/main\n");
    sandbox.write(sandbox.envctl_file(), "channels:\n- d\n");
    auto loaded = sandbox.load_ok();
    CHECK(loaded.config.channels == std::vector<std::string>{"d", "c", "a", "b"});
    CHECK(sources(loaded, "channels").size() == 3);
    CHECK(sources(loaded, "channels").front() == sandbox.envctl_file().string() + ":1");
    CHECK(loaded.config.custom_channels ==
          std::map<std::string, std::string>{{"mine", "https://three.example/c"}, {"theirs", "https://two.example/c"}});
    CHECK(loaded.config.default_channels == std::vector<std::string>{"https://mirror.example/main"});  // replaced

    env.variables["ENVCTL_CHANNELS"] = "x, y ,,d";
    loaded = sandbox.load_ok();
    CHECK(loaded.config.channels == std::vector<std::string>{"x", "y", "d", "c", "a", "b"});
    env.variables["ENVCTL_PKGS_DIRS"] = "/p1,/p2";
    CHECK(sandbox.load_ok().config.pkgs_dirs == std::vector<fs::path>{"/p1", "/p2"});
    CHECK(sandbox.load_ok({{"channels", "[z]"}}).config.channels.front() == "z");
}

TEST_CASE("type errors name the file, line and key") {
    Sandbox sandbox;
    sandbox.write(sandbox.home(".condarc"), "channels: [conda-forge]\n\nremote_max_retries: many\n");
    auto loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().kind == ErrorKind::Input);
    CHECK(loaded.error().to_string() ==
          sandbox.home(".condarc").string() + ":3:21: remote_max_retries: expected an integer >= 0, got 'many'");

    sandbox.write(sandbox.home(".condarc"), "channel_priority: sometimes\n");
    loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message == "channel_priority: expected one of strict, flexible, disabled, got 'sometimes'");
    CHECK(loaded.error().location->line == 1);

    sandbox.write(sandbox.home(".condarc"), "custom_channels: [a]\n");
    CHECK_FALSE(config::load(sandbox.environment));
    sandbox.write(sandbox.home(".condarc"), "channels:\n  - a\n  - {b: c}\n");
    loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().location->line == 3);
    sandbox.write(sandbox.home(".condarc"), "channel_alias: conda.example.com\n");
    CHECK_FALSE(config::load(sandbox.environment));
    sandbox.write(sandbox.home(".condarc"), "download_threads: 0\n");
    CHECK(config::load(sandbox.environment));  // not a .condarc key: ignored there
    sandbox.write(sandbox.envctl_file(), "download_threads: 0\n");
    loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message == "download_threads: expected an integer >= 1, got '0'");

    sandbox.write(sandbox.envctl_file(), "offline: [true\n");
    loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message.starts_with("invalid YAML"));
    CHECK(loaded.error().location->file == sandbox.envctl_file().string());

    sandbox.write(sandbox.envctl_file(), "offline: true\nchannels: [caf\xe9]\n");  // Latin-1, not UTF-8
    loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().to_string() == sandbox.envctl_file().string() + ":2:15: not valid UTF-8 text");

    sandbox.write(sandbox.envctl_file(), "- just\n- a list\n");
    CHECK_FALSE(config::load(sandbox.environment));
}

TEST_CASE("bad variables and overrides are errors naming them") {
    Sandbox sandbox;
    sandbox.environment.variables["ENVCTL_OFFLINE"] = "maybe";
    auto loaded = config::load(sandbox.environment);
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message == "$ENVCTL_OFFLINE: offline: expected true or false, got 'maybe'");
    sandbox.environment.variables["ENVCTL_OFFLINE"] = "yes";
    CHECK(sandbox.load_ok().config.offline);
    sandbox.environment.variables["ENVCTL_OFFLINE"] = "";  // empty: unset
    CHECK_FALSE(sandbox.load_ok().config.offline);

    auto unknown = config::load(sandbox.environment, {{"chanels", "x"}});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().kind == ErrorKind::Usage);
    CHECK(unknown.error().message == "unknown configuration key 'chanels'");
    CHECK(unknown.error().hints == std::vector<std::string>{"did you mean 'channels'?"});
    auto bad = config::load(sandbox.environment, {{"remote_read_timeout_secs", "-1"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::Usage);
}

TEST_CASE("unknown keys: ignored in .condarc, warned about in the envctl file") {
    Sandbox sandbox;
    sandbox.write(sandbox.home(".condarc"), "auto_activate_base: false\nchangeps1: true\nchannels: [bioconda]\n");
    sandbox.write(sandbox.envctl_file(), "channels: [x]\n\ndownload_thread: 4\n");
    const auto loaded = sandbox.load_ok();
    CHECK(loaded.config.channels == std::vector<std::string>{"x", "bioconda"});
    REQUIRE(loaded.warnings.size() == 1);
    CHECK(loaded.warnings[0] ==
          sandbox.envctl_file().string() + ":3: unknown key 'download_thread' ignored (did you mean 'download_threads'?)");
}

TEST_CASE("~ and environment variables are expanded in paths and URLs") {
    Sandbox sandbox;
    auto& env = sandbox.environment;
    env.variables = {{"CACHE", "/big/disk"}, {"TOKEN", "tk-1"}};
    sandbox.write(sandbox.home(".condarc"),
                  "pkgs_dirs:\n  - ~/pkgs\n  - $CACHE/pkgs\n  - ${CACHE}/more\n  - $UNSET_VAR/x\n"
                  "channel_alias: https://host.example/t/${TOKEN}\n"
                  "channels: [~/local-channel, conda-forge]\n"
                  "ssl_verify: ~/ca.pem\n");
    const auto config = sandbox.load_ok().config;
    CHECK(config.pkgs_dirs ==
          std::vector<fs::path>{env.home / "pkgs", "/big/disk/pkgs", "/big/disk/more", "$UNSET_VAR/x"});
    CHECK(config.channel_alias == "https://host.example/t/tk-1");
    CHECK(config.channels.front() == (env.home / "local-channel").string());
    CHECK(config.ssl_verify == SslVerify{true, env.home / "ca.pem"});

    CHECK(expand_variables("a$CACHE-b${CACHE}c$", env) == "a/big/disk-b/big/diskc$");
    CHECK(expand_variables("${UNCLOSED", env) == "${UNCLOSED");
    CHECK(expand_home("~", env) == env.home.string());
    CHECK(expand_home("~user/x", env) == "~user/x");
}

TEST_CASE("values of each type parse from text") {
    Sandbox sandbox;
    const auto& env = sandbox.environment;
    auto parse = [&](std::string_view key, std::string_view text) { return parse_text(*find_key(key), text, &env); };
    CHECK(parse("ssl_verify", "false").value() == Value{false});
    CHECK(parse("ssl_verify", "truststore").value() == Value{true});
    CHECK(parse("ssl_verify", "/etc/ca.pem").value() == Value{std::string("/etc/ca.pem")});
    CHECK(parse("local_repodata_ttl", "true").value() == Value{std::int64_t{1}});
    CHECK(parse("local_repodata_ttl", "3600").value() == Value{std::int64_t{3600}});
    CHECK(parse("remote_backoff_factor", "0.5").value() == Value{0.5});
    CHECK_FALSE(parse("remote_backoff_factor", "fast"));
    CHECK(parse("channel_priority", "STRICT").value() == Value{std::string("strict")});
    CHECK(parse("channel_priority", "false").value() == Value{std::string("disabled")});
    CHECK(parse("proxy_servers", "http=http://p:3128,https=http://q:3128").value() ==
          Value{std::map<std::string, std::string>{{"http", "http://p:3128"}, {"https", "http://q:3128"}}});
    CHECK(parse("proxy_servers", "{https: 'http://q:3128'}").value() ==
          Value{std::map<std::string, std::string>{{"https", "http://q:3128"}}});
    CHECK_FALSE(parse("proxy_servers", "http"));
    CHECK(parse("channels", "[a, b, a]").value() == Value{std::vector<std::string>{"a", "b"}});
    CHECK_FALSE(parse("pypi_index_url", "pypi.org/simple"));
    // Without an environment, values stay as written (for writing files back).
    CHECK(parse_text(*find_key("channel_alias"), "https://h/t/${TOKEN}", nullptr).value() ==
          Value{std::string("https://h/t/${TOKEN}")});
    CHECK(parse_text(*find_key("channel_alias"), "${ALIAS}", nullptr));
}

TEST_CASE("displayed values hide credentials") {
    const Value alias = std::string("https://user:pw@host.example/t/tk-123/x");
    CHECK(format_value(redacted(alias)) == "https://***@host.example/t/<TOKEN>/x");
    const Value proxies = std::map<std::string, std::string>{{"https", "http://u:secret@proxy:3128"}};
    CHECK(format_value(redacted(proxies)) == "{https: http://***@proxy:3128}");
    CHECK(format_value(Value{std::vector<std::string>{"a", "b"}}) == "[a, b]");
    CHECK(format_value(Value{9.15}) == "9.15");
}
