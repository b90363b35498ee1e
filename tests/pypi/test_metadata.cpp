#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <filesystem>
#include <map>
#include <memory>

#include "envctl/pypi/metadata.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl::pypi;

namespace {

// Every regular file of a wheel (a zip), by path.
std::map<std::string, std::string> read_zip(const std::filesystem::path& file) {
    std::map<std::string, std::string> files;
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), archive_read_free);
    archive_read_support_format_zip(reader.get());
    REQUIRE(archive_read_open_filename(reader.get(), file.c_str(), 65536) == ARCHIVE_OK);
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
        if (archive_entry_filetype(entry) != AE_IFREG) continue;
        std::string data;
        char buffer[65536];
        la_ssize_t n = 0;
        while ((n = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0) data.append(buffer, static_cast<std::size_t>(n));
        REQUIRE(n == 0);
        files.emplace(archive_entry_pathname(entry), std::move(data));
    }
    return files;
}

const std::string* find_suffix(const std::map<std::string, std::string>& files, std::string_view suffix) {
    for (const auto& [path, data] : files) {
        if (path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            path.find(".dist-info/") != std::string::npos)
            return &data;
    }
    return nullptr;
}

}  // namespace

TEST_CASE("core metadata fields, continuation lines and body") {
    const std::string text =
        "Metadata-Version: 2.1\r\n"
        "Name: Sample_Project\r\n"
        "Version: 2.0.0rc1\r\n"
        "Summary: A sample\r\n"
        "Requires-Python: >=3.8, <4\r\n"
        "Classifier: A\r\n"
        "Classifier: B\r\n"
        "Provides-Extra: Test_All\r\n"
        "Requires-Dist: peppercorn\r\n"
        "Requires-Dist: pytest (>=7) ; extra == 'test-all'\r\n"
        "Requires-Dist: pywin32 ; sys_platform == \"win32\"\r\n"
        "Keywords: one,\r\n"
        "  two\r\n"
        "\r\n"
        "# Sample\r\n"
        "\r\n"
        "Body text.\r\n";
    const auto metadata = CoreMetadata::parse(text).value();
    CHECK(metadata.metadata_version == "2.1");
    CHECK(metadata.name == "Sample_Project");
    CHECK(metadata.normalized_name() == "sample-project");
    CHECK(metadata.version.to_string() == "2.0.0rc1");
    CHECK(metadata.summary == "A sample");
    REQUIRE(metadata.requires_python);
    CHECK(metadata.requires_python->to_string() == ">=3.8,<4");
    CHECK(metadata.provides_extra == std::vector<std::string>{"test-all"});
    REQUIRE(metadata.requires_dist.size() == 3);
    CHECK(metadata.requires_dist[1].to_string() == "pytest>=7; extra == \"test-all\"");
    CHECK(metadata.headers.get_all("classifier") == std::vector<std::string_view>{"A", "B"});
    CHECK(metadata.headers.get("KEYWORDS") == std::optional<std::string_view>("one,\ntwo"));
    CHECK_FALSE(metadata.headers.get("Home-page"));
    CHECK(metadata.description == "# Sample\n\nBody text.\n");

    auto env = MarkerEnvironment::for_target("linux-64", "3.11").value();
    CHECK(metadata.dependencies(env).size() == 1);
    env.extras = {"Test.All"};
    CHECK(metadata.dependencies(env).size() == 2);
    CHECK(metadata.dependencies(MarkerEnvironment::for_target("win-64", "3.11").value()).size() == 2);
}

TEST_CASE("legacy metadata with a Description field") {
    const std::string text =
        "Metadata-Version: 1.0\n"
        "Name: old\n"
        "Version: 0.1\n"
        "Description: First line\n"
        "       |\n"
        "       |    indented\n"
        "        last\n";
    const auto metadata = CoreMetadata::parse(text, "PKG-INFO").value();
    CHECK(metadata.description == "First line\n\n    indented\nlast");
    CHECK(metadata.requires_dist.empty());
    CHECK_FALSE(metadata.requires_python);
    // Newer minor versions are read; a new major version is not.
    CHECK(CoreMetadata::parse("Metadata-Version: 2.9\nName: a\nVersion: 1\n"));
    CHECK_THAT(CoreMetadata::parse("Metadata-Version: 3.0\nName: a\nVersion: 1\n").error().message,
               Catch::Contains("unsupported Metadata-Version '3.0'"));
}

TEST_CASE("invalid metadata is rejected with file and line") {
    const std::tuple<std::string_view, std::string_view, std::size_t> cases[] = {
        {"Name: a\nVersion: 1\n", "Metadata-Version is missing", 0},
        {"Metadata-Version: 2.1\nVersion: 1\n", "Name is missing", 0},
        {"Metadata-Version: 2.1\nName: a\n", "Version is missing", 0},
        {"Metadata-Version: 2.1\nName: -a\nVersion: 1\n", "invalid Name '-a'", 2},
        {"Metadata-Version: 2.1\nName: a\nVersion: one\n", "invalid version 'one'", 3},
        {"Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b >= \n", "in Requires-Dist", 4},
        {"Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Python: >=3.6.*\n", "in Requires-Python", 4},
        {"Metadata-Version: 2.1\nName: a\nbroken line\n", "expected 'Name: value'", 3},
        {" leading continuation\n", "continuation line", 1},
        {"Metadata-Version: two\nName: a\nVersion: 1\n", "unsupported Metadata-Version", 1},
    };
    for (const auto& [text, reason, line] : cases) {
        INFO(text);
        auto parsed = CoreMetadata::parse(text, "pkg/METADATA");
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(reason)));
        REQUIRE(parsed.error().location);
        CHECK(parsed.error().location->file == "pkg/METADATA");
        CHECK(parsed.error().location->line == line);
    }
    auto bad_requirement = CoreMetadata::parse("Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: b[x\n");
    CHECK(bad_requirement.error().to_string().rfind("METADATA:4:", 0) == 0);
}

TEST_CASE("WHEEL files") {
    const auto info = WheelInfo::parse("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.38.4)\nRoot-Is-Purelib: false\n"
                                       "Tag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n"
                                       "Build: 1\n")
                          .value();
    CHECK(info.version_major == 1);
    CHECK(info.version_minor == 0);
    CHECK_FALSE(info.root_is_purelib);
    CHECK(info.generator == "bdist_wheel (0.38.4)");
    CHECK(info.tags.size() == 2);
    CHECK(info.build == "1");
    CHECK(WheelInfo::parse("Wheel-Version: 1.9\nTag: py2.py3-none-any\n").value().tags.size() == 2);
    CHECK_THAT(WheelInfo::parse("Wheel-Version: 2.0\n").error().message, Catch::Contains("unsupported Wheel-Version"));
    CHECK_THAT(WheelInfo::parse("Wheel-Version: 1\n").error().message, Catch::Contains("expected MAJOR.MINOR"));
    CHECK_THAT(WheelInfo::parse("Root-Is-Purelib: true\n").error().message, Catch::Contains("Wheel-Version is missing"));
    CHECK_THAT(WheelInfo::parse("Wheel-Version: 1.0\nRoot-Is-Purelib: yes\n").error().message,
               Catch::Contains("expected true or false"));
    CHECK_THAT(WheelInfo::parse("Wheel-Version: 1.0\nTag: py3-none\n").error().message, Catch::Contains("invalid tag"));
}

TEST_CASE("entry_points.txt") {
    const auto entries = parse_entry_points("# comment\n[console_scripts]\npip = pip._internal.cli.main:main\n"
                                            "tool=pkg.mod:obj.attr [Extra_One, two]\n\n[gui_scripts]\n"
                                            "app = pkg.gui\n; another comment\n")
                             .value();
    REQUIRE(entries.size() == 3);
    CHECK(entries[0] == EntryPoint{"console_scripts", "pip", "pip._internal.cli.main", "main", {}});
    CHECK(entries[1].attribute == "obj.attr");
    CHECK(entries[1].extras == std::vector<std::string>{"extra-one", "two"});
    CHECK(entries[1].object_reference() == "pkg.mod:obj.attr");
    CHECK(entries[2].group == "gui_scripts");
    CHECK(entries[2].object_reference() == "pkg.gui");

    const std::tuple<std::string_view, std::string_view, std::size_t> cases[] = {
        {"pip = pip:main\n", "before any [group]", 1},
        {"[console_scripts]\npip\n", "expected 'name = module:attribute'", 2},
        {"[console_scripts\n", "expected '[group]'", 1},
        {"[console_scripts]\n = a:b\n", "needs a name", 2},
        {"[console_scripts]\nx = a b:c\n", "invalid object reference", 2},
        {"[console_scripts]\nx = a:\n", "invalid object reference", 2},
        {"[console_scripts]\nx = a:b [c\n", "expected ']'", 2},
    };
    for (const auto& [text, reason, line] : cases) {
        INFO(text);
        auto parsed = parse_entry_points(text);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(reason)));
        CHECK(parsed.error().location->line == line);
    }
}

TEST_CASE("RECORD files and their hashes") {
    const std::string text =
        "pkg/__init__.py,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\r\n"
        "\"pkg/a,b.py\",sha256=AAAA,3\n"
        "\"pkg/\"\"quoted\"\".py\",,\n"
        "pkg-1.0.dist-info/RECORD,,\n";
    const auto entries = parse_record(text).value();
    REQUIRE(entries.size() == 4);
    CHECK(entries[0].path == "pkg/__init__.py");
    CHECK(entries[0].hash_algorithm == "sha256");
    CHECK(entries[0].hash_digest == "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    CHECK(entries[0].size == 0u);
    CHECK(entries[1].path == "pkg/a,b.py");
    CHECK(entries[2].path == "pkg/\"quoted\".py");
    CHECK(entries[2].hash_algorithm.empty());
    CHECK_FALSE(entries[3].size);
    // Writing and reading back gives the same rows.
    CHECK(parse_record(format_record(entries)).value() == entries);
    CHECK(format_record(entries).find("\"pkg/a,b.py\",sha256=AAAA,3\n") != std::string::npos);

    // The sha256 of the empty file, both ways.
    CHECK(record_digest_to_hex("47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU").value() ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(hex_to_record_digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").value() ==
          "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    CHECK(urlsafe_b64_encode_nopad("\xfb\xff") == "-_8");
    CHECK(urlsafe_b64_decode("-_8=").value() == "\xfb\xff");
    CHECK(urlsafe_b64_encode_nopad("") == "");
    CHECK(urlsafe_b64_encode_nopad("f") == "Zg");
    CHECK(urlsafe_b64_encode_nopad("foob") == "Zm9vYg");
    CHECK_FALSE(urlsafe_b64_decode("Zm9vY"));
    CHECK_FALSE(urlsafe_b64_decode("Zm+v"));
    CHECK_FALSE(urlsafe_b64_decode("Zh"));  // non-canonical trailing bits
    CHECK_FALSE(hex_to_record_digest("xyz"));

    const std::tuple<std::string_view, std::string_view, std::size_t> cases[] = {
        {"a,b\n", "expected 3 fields", 1},
        {"ok,,\nx,sha256,1\n", "expected algorithm=digest", 2},
        {"x,,-1\n", "invalid size '-1'", 1},
        {"\"x,,1\n", "not closed", 1},
        {"\"x\"y,,1\n", "after a closing quote", 1},
        {",,\n", "needs a path", 1},
    };
    for (const auto& [record, reason, line] : cases) {
        INFO(record);
        auto parsed = parse_record(record);
        REQUIRE_FALSE(parsed);
        CHECK_THAT(parsed.error().message, Catch::Contains(std::string(reason)));
        CHECK(parsed.error().location->line == line);
    }
}

TEST_CASE("dist-info files of the real wheel fixtures") {
    const std::filesystem::path folder = std::filesystem::path(ENVCTL_SHARED_DIR) / "fixtures" / "wheels";
    if (!std::filesystem::exists(folder)) {
        WARN("skipped: " << folder << " is absent (shared fixtures not available)");
        return;
    }
    std::map<std::string, CoreMetadata> by_name;
    std::map<std::string, std::vector<EntryPoint>> entry_points;
    for (const auto& item : std::filesystem::recursive_directory_iterator(folder)) {
        if (item.path().extension() != ".whl") continue;
        INFO(item.path());
        const auto wheel = WheelFilename::parse(item.path().filename().string()).value();
        const auto files = read_zip(item.path());

        const auto* metadata_text = find_suffix(files, "/METADATA");
        REQUIRE(metadata_text);
        const auto metadata = CoreMetadata::parse(*metadata_text).value();
        CHECK(metadata.normalized_name() == wheel.normalized_name());
        CHECK(metadata.version == wheel.version);
        CHECK_FALSE(metadata.summary.empty());

        const auto* wheel_text = find_suffix(files, "/WHEEL");
        REQUIRE(wheel_text);
        const auto info = WheelInfo::parse(*wheel_text).value();
        CHECK(info.root_is_purelib);
        CHECK(info.tags == wheel.tags());

        // Every RECORD row matches the file's real size and sha256.
        const auto* record_text = find_suffix(files, "/RECORD");
        REQUIRE(record_text);
        const auto record = parse_record(*record_text).value();
        CHECK(record.size() == files.size());
        for (const auto& row : record) {
            INFO(row.path);
            const auto file = files.find(row.path);
            REQUIRE(file != files.end());
            if (row.path.size() >= 7 && row.path.compare(row.path.size() - 7, 7, "/RECORD") == 0) continue;
            CHECK(row.hash_algorithm == "sha256");
            CHECK(row.size == file->second.size());
            CHECK(record_digest_to_hex(row.hash_digest).value() == envctl::sha256_hex(file->second));
        }
        if (const auto* text = find_suffix(files, "/entry_points.txt"))
            entry_points[metadata.normalized_name()] = parse_entry_points(*text).value();
        by_name.emplace(metadata.normalized_name(), metadata);
    }
    REQUIRE(by_name.count("pip") == 1);
    CHECK(by_name.at("pip").requires_python->to_string() == ">=3.7");
    REQUIRE(by_name.count("setuptools") == 1);
    const auto& setuptools = by_name.at("setuptools");
    CHECK(std::find(setuptools.provides_extra.begin(), setuptools.provides_extra.end(), "testing") !=
          setuptools.provides_extra.end());
    auto env = MarkerEnvironment::for_target("linux-64", "3.11").value();
    CHECK(setuptools.dependencies(env).empty());
    env.extras = {"testing"};
    const auto testing = setuptools.dependencies(env);
    CHECK(testing.size() > 20);
    CHECK(std::any_of(testing.begin(), testing.end(), [](const Requirement& r) { return r.name == "pytest-flake8"; }));
    CHECK(setuptools.dependencies(MarkerEnvironment::for_target("linux-64", "3.12").value()).empty());

    REQUIRE(entry_points.count("pip") == 1);
    CHECK(entry_points.at("pip").size() == 3);
    CHECK(entry_points.at("pip").front().object_reference() == "pip._internal.cli.main:main");
    REQUIRE(entry_points.count("small-python-package") == 1);
    CHECK(entry_points.at("small-python-package").front() ==
          EntryPoint{"console_scripts", "small-py-cli", "small_python_package.cli", "main", {}});
}
