#include <catch2/catch.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/conda/platform.hpp"

using namespace envctl::conda;

namespace {

Channel resolve(std::string_view text, const ChannelContext& context = {}) {
    auto channel = Channel::resolve(text, context);
    INFO(text);
    if (!channel) FAIL(channel.error().message);
    return *channel;
}

}  // namespace

TEST_CASE("channel names resolve under the alias") {
    const auto forge = resolve("conda-forge");
    CHECK(forge.name() == "conda-forge");
    CHECK(forge.base_url() == "https://conda.anaconda.org/conda-forge");
    CHECK(forge.platforms().empty());
    CHECK(forge.subdir_url("linux-64") == "https://conda.anaconda.org/conda-forge/linux-64");
    CHECK(forge.credentials().empty());
    CHECK_FALSE(forge.is_local());

    const auto label = resolve("conda-forge/label/dev");
    CHECK(label.name() == "conda-forge/label/dev");
    CHECK(label.base_url() == "https://conda.anaconda.org/conda-forge/label/dev");

    const auto restricted = resolve("conda-forge/linux-64");
    CHECK(restricted.name() == "conda-forge");
    CHECK(restricted.platforms() == std::vector<std::string>{"linux-64"});

    ChannelContext context;
    context.channel_alias = "https://mirror.example.com/conda/";
    CHECK(resolve("bioconda", context).base_url() == "https://mirror.example.com/conda/bioconda");
    CHECK(resolve("https://mirror.example.com/conda/bioconda/", context).name() == "bioconda");
}

TEST_CASE("URLs keep their location and lose their credentials") {
    const auto plain = resolve("https://repo.example.com/channels/tools/");
    CHECK(plain.name() == "https://repo.example.com/channels/tools");
    CHECK(plain.base_url() == "https://repo.example.com/channels/tools");

    const auto token = resolve("https://conda.anaconda.org/t/tk-123-abc/private/noarch");
    CHECK(token.name() == "private");
    CHECK(token.base_url() == "https://conda.anaconda.org/private");
    CHECK(token.credentials().token == "tk-123-abc");
    CHECK(token.platforms() == std::vector<std::string>{"noarch"});
    CHECK(token.subdir_url("noarch") == "https://conda.anaconda.org/private/noarch");
    CHECK(token.authenticated_url("noarch") == "https://conda.anaconda.org/t/tk-123-abc/private/noarch");

    const auto basic = resolve("https://alice:s3cret@repo.example.com/chan");
    CHECK(basic.base_url() == "https://repo.example.com/chan");
    CHECK(basic.name() == "https://repo.example.com/chan");
    CHECK(basic.credentials().user == "alice");
    CHECK(basic.credentials().password == "s3cret");
    CHECK(basic.authenticated_url("linux-64") == "https://alice:s3cret@repo.example.com/chan/linux-64");

    ChannelContext secret_alias;
    secret_alias.channel_alias = "https://bob:pw@conda.example.com";
    const auto inherited = resolve("tools", secret_alias);
    CHECK(inherited.name() == "tools");
    CHECK(inherited.base_url() == "https://conda.example.com/tools");
    CHECK(inherited.credentials().user == "bob");
    CHECK(inherited.authenticated_url() == "https://bob:pw@conda.example.com/tools");
}

TEST_CASE("local paths become file URLs") {
    ChannelContext context;
    context.cwd = "/work/project";
    context.home = "/home/me";
    CHECK(resolve("file:///srv/channel").base_url() == "file:///srv/channel");
    CHECK(resolve("file:///srv/channel").name() == "file:///srv/channel");
    CHECK(resolve("/srv/channel/", context).base_url() == "file:///srv/channel");
    CHECK(resolve("./local/chan", context).base_url() == "file:///work/project/local/chan");
    CHECK(resolve("../other/chan/linux-64", context).base_url() == "file:///work/other/chan");
    CHECK(resolve("../other/chan/linux-64", context).platforms() == std::vector<std::string>{"linux-64"});
    CHECK(resolve("~/chan", context).base_url() == "file:///home/me/chan");
    CHECK(resolve("/srv/my channel", context).base_url() == "file:///srv/my%20channel");
    CHECK(resolve("C:\\conda\\chan", context).base_url() == "file:///C:/conda/chan");
    CHECK(resolve("/srv/channel").is_local());
    CHECK_FALSE(Channel::resolve("./chan", ChannelContext{}).has_value());
    CHECK_FALSE(Channel::resolve("~/chan", ChannelContext{}).has_value());

    CHECK(file_url_to_path("file:///srv/my%20channel") == "/srv/my channel");
    CHECK(file_url_to_path("file:///C:/conda/chan") == "C:/conda/chan");
    CHECK(file_url_to_path("file://localhost/srv/x") == "/srv/x");
    CHECK_FALSE(file_url_to_path("https://x/y").has_value());
    CHECK(path_to_file_url("/a#b?c%d") == "file:///a%23b%3Fc%25d");
}

TEST_CASE("custom channels and defaults") {
    ChannelContext context;
    context.custom_channels["internal"] = "https://artifacts.example.com/conda";
    const auto internal = resolve("internal", context);
    CHECK(internal.name() == "internal");
    CHECK(internal.base_url() == "https://artifacts.example.com/conda/internal");
    CHECK(resolve("internal/label/beta", context).base_url() == "https://artifacts.example.com/conda/internal/label/beta");
    CHECK(resolve("https://artifacts.example.com/conda/internal/label/beta", context).name() == "internal/label/beta");
    CHECK(resolve("pkgs/main").base_url() == "https://repo.anaconda.com/pkgs/main");

    const std::vector<std::string> list = {"conda-forge", "defaults", "nodefaults", "conda-forge", "https://conda.anaconda.org/conda-forge/"};
    auto channels = resolve_channels(list, context);
    REQUIRE(channels.has_value());
    REQUIRE(channels->size() == 3);
    CHECK((*channels)[0].name() == "conda-forge");
    CHECK((*channels)[1].base_url() == "https://repo.anaconda.com/pkgs/main");
    CHECK((*channels)[2].base_url() == "https://repo.anaconda.com/pkgs/r");
    CHECK_FALSE(Channel::resolve("defaults", context).has_value());
}

TEST_CASE("invalid channels are rejected") {
    for (const char* text : {"", "  ", "nodefaults", "bad channel", "chan?x", "https://", "a//b"}) {
        INFO(text);
        CHECK_FALSE(Channel::resolve(text, ChannelContext{}).has_value());
    }
    const auto error = Channel::resolve("https://user:pw@", ChannelContext{});
    REQUIRE_FALSE(error.has_value());
    CHECK_THAT(error.error().message, !Catch::Contains("pw"));
}

TEST_CASE("channel_matches compares resolved channels") {
    const ChannelContext context;
    CHECK(channel_matches("conda-forge", "https://conda.anaconda.org/conda-forge", context));
    CHECK(channel_matches("conda-forge", "https://conda.anaconda.org/conda-forge/", context));
    CHECK(channel_matches("https://conda.anaconda.org/conda-forge", "conda-forge", context));
    CHECK_FALSE(channel_matches("conda-forge", "https://conda.anaconda.org/bioconda", context));
    CHECK(channel_matches("defaults", "https://repo.anaconda.com/pkgs/r", context));
    CHECK(channel_matches("*", "anything", context));
    CHECK(channel_matches("*forge", "https://conda.anaconda.org/conda-forge", context));
    CHECK_FALSE(channel_matches("bad channel", "https://conda.anaconda.org/conda-forge", context));
}

TEST_CASE("platforms") {
    CHECK(is_known_subdir("linux-64"));
    CHECK(is_known_subdir("noarch"));
    CHECK(is_known_subdir("emscripten-wasm32"));
    CHECK_FALSE(is_known_subdir("linux-fake"));
    CHECK(known_subdirs().size() == 16);
    CHECK(is_known_subdir(host_subdir()));
    CHECK(os_family("linux-aarch64") == OsFamily::Linux);
    CHECK(os_family("osx-arm64") == OsFamily::Osx);
    CHECK(os_family("win-64") == OsFamily::Win);
    CHECK(os_family("zos-z") == OsFamily::Other);
    CHECK(os_family("linux-fake") == OsFamily::Linux);
    CHECK_FALSE(os_family("noarch").has_value());
    CHECK_FALSE(os_family("nonsense").has_value());
    CHECK(is_unix("osx-64"));
    CHECK_FALSE(is_unix("win-64"));
    CHECK(machine_of("linux-64") == "x86_64");
    CHECK(machine_of("osx-arm64") == "arm64");
    CHECK(machine_of("noarch").empty());
    CHECK(split_channel_subdir("conda-forge/osx-arm64") == std::pair<std::string_view, std::string_view>{"conda-forge", "osx-arm64"});
    CHECK(split_channel_subdir("conda-forge").second.empty());
    CHECK(split_channel_subdir("https://linux-64").second.empty());
}
