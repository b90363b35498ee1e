// The pip: section read into PipInputs: requirement lines, -r/-c files relative to the file
// naming them, index options, direct wheel references and the lines envctl refuses (with file:line).
#include <catch2/catch.hpp>

#include <filesystem>

#include "envctl/pip/inputs.hpp"
#include "envctl/util/fs.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {

std::vector<spec::PipLine> lines(std::initializer_list<const char*> texts) {
    std::vector<spec::PipLine> out;
    std::size_t line = 10;
    for (const auto* text : texts) out.push_back({text, Location{"environment.yml", line++, 7}});
    return out;
}

struct Folder {
    TemporaryDirectory dir = *TemporaryDirectory::create(fs::temp_directory_path(), "envctl-pip-inputs");
    fs::path write(const std::string& name, std::string_view text) const {
        const auto path = dir.path() / name;
        fs::create_directories(path.parent_path());
        REQUIRE(write_file_atomic(path, text));
        return path;
    }
};

}  // namespace

TEST_CASE("pip lines: requirements with extras, specifiers and markers") {
    Folder folder;
    auto inputs = pip::read_pip_inputs(lines({"Requests[socks]>=2.0,<3", "numpy ; python_version < '3.12'", "--pre"}),
                                       folder.dir.path());
    REQUIRE(inputs);
    REQUIRE(inputs->requirements.size() == 2);
    CHECK(inputs->requirements[0].normalized_name() == "requests");
    CHECK(inputs->requirements[0].requirement.extras == std::vector<std::string>{"socks"});
    CHECK(inputs->requirements[0].requirement.specifier.to_string() == ">=2.0,<3");
    CHECK(inputs->requirements[0].location.line == 10);
    CHECK(inputs->requirements[1].requirement.marker.has_value());
    CHECK(inputs->pre);
    CHECK(inputs->index_url.empty());
    CHECK(inputs->requirements[0].where().find("environment.yml:10") != std::string::npos);
}

TEST_CASE("pip lines: -r and -c files are relative to the file that names them") {
    Folder folder;
    folder.write("reqs/base.txt", "# base\nattrs==23.1\n-r more/extra.txt\n-c ../constraints.txt\n");
    folder.write("reqs/more/extra.txt", "six \\\n  >=1.16\n");
    folder.write("constraints.txt", "attrs<24\nsix!=1.16.1\n");
    auto inputs = pip::read_pip_inputs(lines({"-r reqs/base.txt"}), folder.dir.path());
    REQUIRE(inputs);
    REQUIRE(inputs->requirements.size() == 2);
    CHECK(inputs->requirements[0].normalized_name() == "attrs");
    CHECK(inputs->requirements[0].location.line == 2);
    CHECK(inputs->requirements[0].location.file.ends_with("base.txt"));
    CHECK(inputs->requirements[1].normalized_name() == "six");
    CHECK(inputs->requirements[1].requirement.specifier.to_string() == ">=1.16");
    REQUIRE(inputs->constraints.size() == 2);
    CHECK(inputs->constraints[1].requirement.specifier.to_string() == "!=1.16.1");
}

TEST_CASE("pip lines: a constraints file may not add extras or URLs, nor include itself") {
    Folder folder;
    folder.write("c.txt", "attrs[tests]<24\n");
    auto bad = pip::read_pip_inputs(lines({"-c c.txt"}), folder.dir.path());
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::Input);
    CHECK(bad.error().location->line == 1);
    CHECK(bad.error().location->file.ends_with("c.txt"));

    folder.write("loop.txt", "six\n-r loop.txt\n");
    auto loop = pip::read_pip_inputs(lines({"-r loop.txt"}), folder.dir.path());
    REQUIRE_FALSE(loop);
    CHECK(loop.error().message.find("includes itself") != std::string::npos);

    auto missing = pip::read_pip_inputs(lines({"-r nowhere.txt"}), folder.dir.path());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().location->line == 10);
    CHECK(missing.error().message.find("nowhere.txt") != std::string::npos);
}

TEST_CASE("pip lines: index options") {
    Folder folder;
    fs::create_directories(folder.dir.path() / "wheels");
    auto inputs = pip::read_pip_inputs(lines({"--index-url http://127.0.0.1:8000/simple",
                                              "--extra-index-url https://example.org/simple",
                                              "--extra-index-url https://example.org/simple", "--find-links wheels",
                                              "--no-binary lxml", "--only-binary :all:", "--require-hashes"}),
                                       folder.dir.path());
    REQUIRE(inputs);
    CHECK(inputs->index_url == "http://127.0.0.1:8000/simple");
    CHECK(inputs->extra_index_urls == std::vector<std::string>{"https://example.org/simple"});
    REQUIRE(inputs->find_links.size() == 1);
    CHECK(inputs->find_links[0] == pip::file_url(folder.dir.path() / "wheels", "/"));
    CHECK(inputs->no_binary_for("lxml"));
    CHECK_FALSE(inputs->no_binary_for("numpy"));
    CHECK(inputs->require_hashes);
}

TEST_CASE("pip lines: direct wheel references") {
    Folder folder;
    const auto wheel = folder.write("dist/demo_pkg-1.2.0-py3-none-any.whl", "not really a zip");
    SECTION("name @ file URL") {
        const auto url = pip::file_url(wheel, "/");
        auto inputs = pip::read_pip_inputs(lines({("demo-pkg @ " + url).c_str()}), folder.dir.path());
        REQUIRE(inputs);
        REQUIRE(inputs->requirements.size() == 1);
        CHECK(inputs->requirements[0].wheel_url == url);
        REQUIRE(inputs->requirements[0].wheel);
        CHECK(inputs->requirements[0].wheel->version.to_string() == "1.2.0");
        CHECK(inputs->requirements[0].requirement.url.empty());
    }
    SECTION("a bare relative path, with extras and a hash") {
        auto inputs = pip::read_pip_inputs(
            lines({"./dist/demo_pkg-1.2.0-py3-none-any.whl[cli] --hash=sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}),
            folder.dir.path());
        REQUIRE(inputs);
        REQUIRE(inputs->requirements.size() == 1);
        const auto& req = inputs->requirements[0];
        CHECK(req.normalized_name() == "demo-pkg");
        CHECK(req.requirement.specifier.to_string() == "==1.2.0");
        CHECK(req.requirement.extras == std::vector<std::string>{"cli"});
        CHECK(req.wheel_url == pip::file_url(wheel, "/"));
        REQUIRE(req.hashes.size() == 1);
        CHECK(req.hashes[0].algorithm == "sha256");
    }
    SECTION("a URL fragment hash") {
        auto inputs = pip::read_pip_inputs(
            lines({"demo-pkg @ https://files.example.org/demo_pkg-1.2.0-py3-none-any.whl#sha256=ABCDEF"}), folder.dir.path());
        REQUIRE(inputs);
        CHECK(inputs->requirements[0].wheel_url == "https://files.example.org/demo_pkg-1.2.0-py3-none-any.whl");
        REQUIRE(inputs->requirements[0].hashes.size() == 1);
        CHECK(inputs->requirements[0].hashes[0].hex == "abcdef");
    }
    SECTION("the wheel must be the named project") {
        auto inputs = pip::read_pip_inputs(lines({"other @ https://files.example.org/demo_pkg-1.2.0-py3-none-any.whl"}),
                                           folder.dir.path());
        REQUIRE_FALSE(inputs);
        CHECK(inputs.error().message.find("demo_pkg-1.2.0-py3-none-any.whl") != std::string::npos);
    }
    SECTION("a missing local wheel") {
        auto inputs = pip::read_pip_inputs(lines({"./dist/missing-1.0-py3-none-any.whl"}), folder.dir.path());
        REQUIRE_FALSE(inputs);
        CHECK(inputs.error().message.find("does not exist") != std::string::npos);
    }
}

TEST_CASE("pip lines: what needs building is an error naming the line") {
    Folder folder;
    for (const auto* line : {"-e ./src/project", "pkg @ git+https://github.com/x/pkg.git",
                             "pkg @ https://example.org/pkg-project.zip?download"}) {
        auto inputs = pip::read_pip_inputs(lines({"six", line}), folder.dir.path());
        INFO(line);
        REQUIRE_FALSE(inputs);
        CHECK(inputs.error().kind == ErrorKind::Input);
        REQUIRE(inputs.error().location);
        CHECK(inputs.error().location->line == 11);
        CHECK(inputs.error().to_string().find("environment.yml:11") != std::string::npos);
    }
    SECTION("an sdist URL is kept for a wheel of the same version") {
        auto inputs = pip::read_pip_inputs(lines({"pkg @ https://example.org/pkg-2.0.tar.gz"}), folder.dir.path());
        REQUIRE(inputs);
        REQUIRE(inputs->requirements[0].sdist_version);
        CHECK(inputs->requirements[0].sdist_version->to_string() == "2.0");
        CHECK(inputs->requirements[0].sdist_url == "https://example.org/pkg-2.0.tar.gz");
    }
}

TEST_CASE("pip lines: environment variables") {
    Folder folder;
    auto lookup = [](std::string_view name) -> std::optional<std::string> {
        if (name == "INDEX") return std::string("http://127.0.0.1:9/simple");
        return std::nullopt;
    };
    auto inputs = pip::read_pip_inputs(lines({"--index-url ${INDEX}"}), folder.dir.path(), lookup);
    REQUIRE(inputs);
    CHECK(inputs->index_url == "http://127.0.0.1:9/simple");
}

TEST_CASE("file URLs") {
    CHECK(pip::file_url("/tmp/a b/x+y.whl", "/") == "file:///tmp/a%20b/x%2By.whl");
    CHECK(pip::file_url("sub/../w.whl", "/base") == "file:///base/w.whl");
    CHECK(pip::local_path("file:///tmp/a%20b/x%2By.whl") == fs::path("/tmp/a b/x+y.whl"));
    CHECK(pip::local_path("file://localhost/tmp/x.whl#sha256=00") == fs::path("/tmp/x.whl"));
    CHECK_FALSE(pip::local_path("file://otherhost/tmp/x.whl"));
    CHECK_FALSE(pip::local_path("https://example.org/x.whl"));
}
