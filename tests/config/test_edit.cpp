// Editing config files in place, and the generated key reference in the docs.
#include <catch2/catch.hpp>
#include <filesystem>

#include "envctl/config/edit.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
using namespace envctl::config;
namespace fs = std::filesystem;

namespace {
std::string edit(std::string_view text, std::string_view key, std::optional<Value> value) {
    auto edited = edited_text(text, key, value, "config.yml");
    if (!edited) FAIL(edited.error().to_string());
    return *edited;
}
}  // namespace

TEST_CASE("setting a key changes only its lines") {
    const std::string original =
        "# my settings\n"
        "channels:\n"
        "  - conda-forge   # main\n"
        "  - bioconda\n"
        "\n"
        "# network\n"
        "remote_max_retries: 3\n"
        "offline: false\n";
    CHECK(edit(original, "remote_max_retries", Value{std::int64_t{5}}) ==
          "# my settings\nchannels:\n  - conda-forge   # main\n  - bioconda\n\n# network\nremote_max_retries: 5\noffline: false\n");
    CHECK(edit(original, "channels", Value{std::vector<std::string>{"a", "b"}}) ==
          "# my settings\nchannels:\n  - a\n  - b\n\n# network\nremote_max_retries: 3\noffline: false\n");
    CHECK(edit(original, "channels", std::nullopt) == "# my settings\n\n# network\nremote_max_retries: 3\noffline: false\n");
    CHECK(edit(original, "ssl_verify", Value{false}) == original + "ssl_verify: false\n");
    CHECK(edit(original, "proxy_servers", Value{std::map<std::string, std::string>{{"https", "http://p:3128"}}}) ==
          original + "proxy_servers:\n  https: http://p:3128\n");
    CHECK(edit(original, "not_there", std::nullopt) == original);
}

TEST_CASE("edits of empty, unterminated and flow-style documents") {
    CHECK(edit("", "offline", Value{true}) == "offline: true\n");
    CHECK(edit("# only a comment", "offline", Value{true}) == "# only a comment\noffline: true\n");
    CHECK(edit("offline: true", "remote_backoff_factor", Value{0.5}) == "offline: true\nremote_backoff_factor: 0.5\n");
    const auto flow = edit("{offline: true, channels: [a]}", "offline", Value{false});
    CHECK(flow.find("offline: false") != std::string::npos);
    CHECK(flow.find("channels") != std::string::npos);
    CHECK_FALSE(edited_text("- a\n- b\n", "offline", Value{true}, "config.yml"));
    auto not_utf8 = edited_text("channels:\n\xfe\xff\xff\xfe  - g # mc", "channels", std::nullopt, "config.yml");
    REQUIRE_FALSE(not_utf8);
    CHECK(not_utf8.error().to_string() == "config.yml:2:1: not valid UTF-8 text");
    CHECK(edited_text("# caf\xc3\xa9 \xe2\x82\xac\n", "offline", Value{true}, "config.yml"));
    auto broken = edited_text("offline: [\n", "offline", Value{true}, "config.yml");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().kind == ErrorKind::Input);
    // Found by fuzz_config: a key given twice cannot be edited faithfully.
    auto twice = edited_text("channels:\n  - a\noffline: false\nchannels:\n  - b\n", "offline", Value{true}, "config.yml");
    REQUIRE_FALSE(twice);
    CHECK(twice.error().kind == ErrorKind::Input);
    CHECK(twice.error().to_string().rfind("config.yml:4:", 0) == 0);
}

TEST_CASE("values that need quoting survive a round trip") {
    const auto text = edit("", "pinned_packages", Value{std::vector<std::string>{"numpy >=1.26,<2", "python 3.11.*", "#x"}});
    CHECK(text.find("numpy >=1.26,<2") != std::string::npos);
    auto dir = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-edit-test").value();
    const auto file = dir.path() / "sub" / "config.yml";
    REQUIRE(write_file_value(file, *find_key("pinned_packages"),
                             Value{std::vector<std::string>{"numpy >=1.26,<2", "python 3.11.*", "#x"}}));
    auto read = read_file_value(file, *find_key("pinned_packages"));
    REQUIRE(read);
    REQUIRE(*read);
    CHECK(**read == Value{std::vector<std::string>{"numpy >=1.26,<2", "python 3.11.*", "#x"}});
    REQUIRE(write_file_value(file, *find_key("channel_alias"), Value{std::string("https://h/t/${TOKEN}")}));
    CHECK(read_file(file).value().find("${TOKEN}") != std::string::npos);  // written unexpanded
    CHECK(remove_file_key(file, "channel_alias").value());
    CHECK_FALSE(remove_file_key(file, "channel_alias").value());
    CHECK_FALSE(remove_file_key(dir.path() / "missing.yml", "offline").value());
    CHECK_FALSE(read_file_value(dir.path() / "missing.yml", *find_key("offline")).value());
}

TEST_CASE("docs/configuration.md lists every key exactly as the registry says") {
    const fs::path doc = fs::path(ENVCTL_SOURCE_DIR) / "docs" / "configuration.md";
    auto text = read_file(doc);
    REQUIRE(text);
    INFO("regenerate the table with `envctl config docs`");
    CHECK(text->find(reference_markdown()) != std::string::npos);
}
