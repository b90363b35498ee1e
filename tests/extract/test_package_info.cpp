#include <catch2/catch.hpp>

#include "envctl/extract/package_info.hpp"

using namespace envctl;
using namespace envctl::extract;

TEST_CASE("index.json: fields, defaults and legacy forms") {
    const auto index = parse_index_json(R"({
        "name": "zlib", "version": "1.2.11", "build": "h7b6447c_3", "build_number": 3,
        "depends": ["libgcc-ng >=7.3.0"], "constrains": ["zlib-ng <0"], "subdir": "linux-64",
        "timestamp": 1542815000000, "track_features": "mkl, debug", "license": "Zlib", "arch": "x86_64"})",
                                        "zlib-1.2.11-h7b6447c_3");
    REQUIRE(index);
    CHECK(index->name == "zlib");
    CHECK(index->build_number == 3);
    CHECK(index->depends == std::vector<std::string>{"libgcc-ng >=7.3.0"});
    CHECK(index->constrains == std::vector<std::string>{"zlib-ng <0"});
    CHECK(index->track_features == std::vector<std::string>{"mkl", "debug"});
    CHECK(index->noarch == NoarchType::None);
    CHECK(index->timestamp == 1542815000000u);
    CHECK(index->raw_json.find("x86_64") != std::string::npos);

    const auto minimal = parse_index_json(R"({"name": "a", "version": "1", "build": "0"})", "a");
    REQUIRE(minimal);
    CHECK(minimal->depends.empty());
    CHECK(minimal->build_number == 0);

    CHECK(parse_index_json(R"({"name":"a","version":"1","build":"0","noarch":true})", "a")->noarch == NoarchType::Generic);
    CHECK(parse_index_json(R"({"name":"a","version":"1","build":"0","noarch":"python"})", "a")->noarch ==
          NoarchType::Python);
    CHECK(parse_index_json(R"({"name":"a","version":"1","build":"0","noarch":""})", "a")->noarch == NoarchType::None);
    CHECK(parse_index_json(R"({"name":"a","version":"1","build":"0","noarch_python":true})", "a")->noarch ==
          NoarchType::Python);
}

TEST_CASE("index.json errors name the package, the file and the key") {
    const auto missing = parse_index_json(R"({"name": "a", "version": "1"})", "a-1-0");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::Integrity);
    CHECK(missing.error().to_string() == "a-1-0/info/index.json: 'build' is missing");

    const auto wrong = parse_index_json(R"({"name":"a","version":"1","build":"0","depends":"b"})", "a-1-0");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("'depends' must be a list") != std::string::npos);

    const auto syntax = parse_index_json("{\n  \"name\": \"a\",\n  oops\n}", "a-1-0");
    REQUIRE_FALSE(syntax);
    REQUIRE(syntax.error().location);
    CHECK(syntax.error().location->file == "a-1-0/info/index.json");
    CHECK(syntax.error().location->line == 3);

    CHECK_FALSE(parse_index_json(R"({"name":"a","version":"1","build":"0","noarch":"weird"})", "a"));
    CHECK_FALSE(parse_index_json(R"({"name":"a","version":"1","build":"0","build_number":-1})", "a"));
    CHECK_FALSE(parse_index_json("[]", "a"));
    const auto overflow = parse_index_json(R"({"name":"a","version":"1","build":"0","build_number":1E999})", "a");
    REQUIRE_FALSE(overflow);
    CHECK_THAT(overflow.error().message, Catch::Contains("number overflow"));
}

TEST_CASE("paths.json: every field of a path entry") {
    const auto contents = parse_paths_json(R"({"paths_version": 1, "paths": [
        {"_path": "bin/tool", "path_type": "hardlink", "sha256": "79AA69435CD17D98C25FBE1AC03AA6681B6EDEE04A5FB04C141AB1EFFCAA3C3F",
         "size_in_bytes": 10, "file_mode": "binary", "prefix_placeholder": "/opt/placeholder", "no_link": true},
        {"_path": "lib/libz.so", "path_type": "softlink", "sha256": "79aa69435cd17d98c25fbe1ac03aa6681b6edee04a5fb04c141ab1effcaa3c3f", "size_in_bytes": 133384},
        {"_path": "./share/empty/", "path_type": "directory"},
        {"_path": "etc/x.conf"}]})",
                                           "p-1-0");
    REQUIRE(contents);
    REQUIRE(contents->paths.size() == 4);
    const auto& tool = contents->paths[0];
    CHECK(tool.path == "bin/tool");
    CHECK(tool.sha256 == "79aa69435cd17d98c25fbe1ac03aa6681b6edee04a5fb04c141ab1effcaa3c3f");
    CHECK(tool.size == 10u);
    CHECK(tool.file_mode == FileMode::Binary);
    CHECK(tool.prefix_placeholder == "/opt/placeholder");
    CHECK(tool.no_link);
    CHECK(contents->paths[1].type == PathType::Softlink);
    CHECK(contents->paths[2].path == "share/empty");
    CHECK(contents->paths[2].type == PathType::Directory);
    CHECK(contents->paths[3].type == PathType::Hardlink);
    CHECK(contents->paths[3].file_mode == FileMode::Text);
    CHECK_FALSE(contents->paths[3].size);
}

TEST_CASE("paths.json: hostile or malformed entries are refused with their index") {
    const auto check_refused = [](const char* text, const char* expected) {
        const auto result = parse_paths_json(text, "p-1-0");
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == ErrorKind::Integrity);
        CHECK_THAT(result.error().to_string(), Catch::Contains(expected));
    };
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "ok"}, {"_path": "../../etc/passwd"}]})",
                  "p-1-0/info/paths.json: paths[1]: '_path' \"../../etc/passwd\": the path has a '..' component");
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "/etc/passwd"}]})", "absolute");
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "conda-meta/history"}]})", "conda-meta");
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "a", "path_type": "fifo"}]})", "paths[0]: 'path_type'");
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "a", "sha256": "abc"}]})", "'sha256' must be 64 hex");
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "a", "file_mode": "octal"}]})", "'file_mode'");
    check_refused(R"({"paths_version": 1, "paths": [{"_path": "a"}, {"_path": "./a"}]})", "listed twice");
    check_refused(R"({"paths_version": 2, "paths": []})", "unsupported paths_version 2");
    check_refused(R"({"paths": []})", "'paths_version' is missing");
    check_refused(R"({"paths_version": 1})", "'paths' must be a list");
}

TEST_CASE("has_prefix: bare paths, three fields and quoting") {
    const auto entries = parse_has_prefix("lib/pkgconfig/zlib.pc\n"
                                          "/opt/anaconda1anaconda2anaconda3 text bin/script\n"
                                          "\"/long/placeholder\" binary \"lib/with space.so\"\r\n"
                                          "\n"
                                          "'/p' text 'share/a b'\n",
                                          "p-1-0");
    REQUIRE(entries);
    REQUIRE(entries->size() == 4);
    CHECK((*entries)[0].placeholder == default_prefix_placeholder);
    CHECK((*entries)[0].mode == FileMode::Text);
    CHECK((*entries)[0].path == "lib/pkgconfig/zlib.pc");
    CHECK((*entries)[1].path == "bin/script");
    CHECK((*entries)[2].placeholder == "/long/placeholder");
    CHECK((*entries)[2].mode == FileMode::Binary);
    CHECK((*entries)[2].path == "lib/with space.so");
    CHECK((*entries)[3].path == "share/a b");
}

TEST_CASE("has_prefix and files errors carry the line") {
    const auto bad_mode = parse_has_prefix("a\n/p octal b\n", "p-1-0");
    REQUIRE_FALSE(bad_mode);
    CHECK(bad_mode.error().to_string() == "p-1-0/info/has_prefix:2: mode must be text or binary, not 'octal'");
    const auto two_fields = parse_has_prefix("/p text\n", "p-1-0");
    REQUIRE_FALSE(two_fields);
    CHECK(two_fields.error().location->line == 1);
    CHECK_FALSE(parse_has_prefix("\"/p text a\n", "p"));
    const auto escape = parse_path_list("bin/a\n\n../evil\n", "p-1-0", "info/files");
    REQUIRE_FALSE(escape);
    CHECK(escape.error().to_string() == "p-1-0/info/files:3: bad path '../evil': the path has a '..' component");
}

TEST_CASE("legacy files give the same PackageContents shape as paths.json") {
    const auto contents = contents_from_legacy("bin/tool\nlib/libz.so\nlib/libz.so\nshare/doc.txt\n",
                                               std::string("/build/prefix binary bin/tool\nshare/doc.txt\n"),
                                               std::string("share/doc.txt\n"), "old-1-0");
    REQUIRE(contents);
    CHECK(contents->source == ContentsSource::LegacyFiles);
    REQUIRE(contents->paths.size() == 3);
    CHECK(contents->paths[0].prefix_placeholder == "/build/prefix");
    CHECK(contents->paths[0].file_mode == FileMode::Binary);
    CHECK(contents->paths[1].prefix_placeholder.empty());
    CHECK(contents->paths[2].prefix_placeholder == default_prefix_placeholder);
    CHECK(contents->paths[2].no_link);
    CHECK(contents->paths[2].sha256.empty());
}

TEST_CASE("link.json entry points and link scripts") {
    const auto link = parse_link_json(R"({"noarch": {"type": "python", "entry_points":
        ["tool = tool.cli:main", "other=pkg.sub:obj.run [extra]"]}, "package_metadata_version": 1})",
                                      "tool-1-py_0");
    REQUIRE(link);
    CHECK(link->noarch == NoarchType::Python);
    REQUIRE(link->entry_points.size() == 2);
    CHECK(link->entry_points[0].command == "tool");
    CHECK(link->entry_points[0].module == "tool.cli");
    CHECK(link->entry_points[0].function == "main");
    CHECK(link->entry_points[1].command == "other");
    CHECK(link->entry_points[1].function == "obj.run");

    CHECK_FALSE(parse_entry_point("../evil = m:f"));
    CHECK_FALSE(parse_entry_point("bin/x = m:f"));
    CHECK_FALSE(parse_entry_point("x = m"));
    CHECK_FALSE(parse_entry_point("novalue"));
    const auto bad = parse_link_json(R"({"noarch": {"type": "python", "entry_points": ["a = b:c", "x/y = m:f"]}})", "t");
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, Catch::Contains("noarch: entry_points[1]"));

    PackageContents contents;
    for (const char* path : {"bin/.tool-post-link.sh", "bin/.tool-pre-unlink.sh", "Scripts/.tool-post-link.bat", "bin/tool"}) {
        PathEntry entry;
        entry.path = path;
        contents.paths.push_back(entry);
    }
    const auto scripts = find_link_scripts(contents, "tool");
    REQUIRE(scripts.size() == 2);
    CHECK(scripts[0].action == LinkAction::PostLink);
    CHECK(scripts[0].path == "bin/.tool-post-link.sh");
    CHECK(scripts[1].action == LinkAction::PreUnlink);
}

TEST_CASE("parse_package_info prefers paths.json and warns about odd packages") {
    InfoFiles files;
    CHECK_FALSE(parse_package_info(files, "p"));
    files.index_json = R"({"name":"p","version":"1","build":"0","noarch":"generic"})";
    auto bare = parse_package_info(files, "p-1-0");
    REQUIRE(bare);
    CHECK(bare->contents.paths.empty());
    CHECK(bare->warnings.size() == 1);

    files.files = "legacy/only\n";
    files.paths_json = R"({"paths_version": 1, "paths": [{"_path": "from/paths"}]})";
    files.link_json = R"({"noarch": {"type": "python"}})";
    auto info = parse_package_info(files, "p-1-0");
    REQUIRE(info);
    REQUIRE(info->contents.paths.size() == 1);
    CHECK(info->contents.paths[0].path == "from/paths");
    CHECK(info->link->noarch == NoarchType::Python);
    CHECK(info->warnings.size() == 1);  // noarch mismatch between index.json and link.json
}

TEST_CASE("noarch python paths map into site-packages and bin") {
    CHECK(noarch_python_path("site-packages/pkg/__init__.py", "lib/python3.12/site-packages") ==
          "lib/python3.12/site-packages/pkg/__init__.py");
    CHECK(noarch_python_path("python-scripts/tool", "lib/python3.12/site-packages") == "bin/tool");
    CHECK(noarch_python_path("share/doc", "x") == "share/doc");
}
