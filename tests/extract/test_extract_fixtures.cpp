// Real packages from ../shared/fixtures (conda, rattler and mamba test data). Each test
// skips with a message when the fixtures are absent.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "archive_builder.hpp"
#include "envctl/extract/extract.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::extract;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(ENVCTL_SHARED_DIR) / "fixtures";

bool have_fixtures() {
    if (fs::exists(fixtures)) return true;
    WARN("skipped: " << fixtures.string() << " is absent; these tests need the shared fixtures next to the checkout");
    return false;
}

std::vector<fs::path> fixture_archives() {
    std::vector<fs::path> archives;
    for (const char* folder : {"packages", "channels"})
        for (const auto& item : fs::recursive_directory_iterator(fixtures / folder))
            if (item.is_regular_file() && archive_format_of(item.path())) archives.push_back(item.path());
    std::sort(archives.begin(), archives.end());
    return archives;
}

struct Scratch {
    TemporaryDirectory root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-fixture-test-").value();
    fs::path destination(const fs::path& archive) const {
        return root.path() / (archive.parent_path().filename().string() + "-" + archive.filename().string());
    }
};

const PathEntry& entry_for(const PackageInfo& info, std::string_view path) {
    const auto it = std::find_if(info.contents.paths.begin(), info.contents.paths.end(),
                                 [&](const PathEntry& entry) { return entry.path == path; });
    REQUIRE(it != info.contents.paths.end());
    return *it;
}

}  // namespace

TEST_CASE("zlib 1.2.11: the .conda and the .tar.bz2 extract to the same tree") {
    if (!have_fixtures()) return;
    const auto repo = fixtures / "channels/conda-format-repo/linux-64";
    Scratch scratch;
    const auto conda = extract_package(repo / "zlib-1.2.11-h7b6447c_3.conda", scratch.root.path() / "conda");
    const auto tarbz2 = extract_package(repo / "zlib-1.2.11-h7b6447c_3.tar.bz2", scratch.root.path() / "tarbz2");
    REQUIRE(conda);
    REQUIRE(tarbz2);
    CHECK(test::snapshot(conda->directory) == test::snapshot(tarbz2->directory));

    const auto& info = conda->info;
    CHECK(info.index.name == "zlib");
    CHECK(info.index.version == "1.2.11");
    CHECK(info.index.build == "h7b6447c_3");
    CHECK(info.index.build_number == 3);
    CHECK(info.index.subdir == "linux-64");
    CHECK(info.index.depends == std::vector<std::string>{"libgcc-ng >=7.3.0"});
    CHECK(info.contents.source == ContentsSource::PathsJson);
    CHECK(info.contents.paths.size() == 7);
    const auto& pc = entry_for(info, "lib/pkgconfig/zlib.pc");
    CHECK(pc.prefix_placeholder == default_prefix_placeholder);
    CHECK(pc.file_mode == FileMode::Text);
    CHECK(file_digest_hex(conda->directory / pc.path, HashAlgorithm::Sha256).value() == pc.sha256);
    // paths.json calls lib/libz.so a softlink; both archives hold an empty file instead.
    CHECK(entry_for(info, "lib/libz.so").type == PathType::Hardlink);
    CHECK(entry_for(info, "lib/libz.so.1.2.11").type == PathType::Hardlink);
    CHECK(info.warnings.size() == 2);
    CHECK(conda->warnings.size() == 2);  // the .conda stores them as symlinks with empty targets
    CHECK(tarbz2->warnings.empty());
    CHECK(tarbz2->info.warnings.size() == 2);
    CHECK(conda->stats.symlinks == 2);
    CHECK(conda->stats.files + 2 == tarbz2->stats.files);
}

TEST_CASE("every fixture package extracts, and its files match paths.json") {
    if (!have_fixtures()) return;
    Scratch scratch;
    std::size_t checked_files = 0;
    std::size_t count = 0;
    for (const auto& archive : fixture_archives()) {
        const auto extracted = extract_package(archive, scratch.root.path() / std::to_string(++count));
        INFO(archive.string() << ": " << (extracted ? "" : extracted.error().message));
        REQUIRE(extracted);
        const auto inspected = inspect_package(archive);
        REQUIRE(inspected);
        CHECK(inspected->index.raw_json == extracted->info.index.raw_json);
        const auto loaded = load_extracted_package(extracted->directory);
        REQUIRE(loaded);
        CHECK(loaded->contents.paths == extracted->info.contents.paths);
        for (const auto& entry : extracted->info.contents.paths) {
            if (entry.type != PathType::Hardlink || entry.sha256.empty()) continue;
            const auto file = extracted->directory / entry.path;
            if (fs::file_size(file) == 0 && entry.size != 0u) continue;  // zlib's link stand-ins
            CHECK(file_digest_hex(file, HashAlgorithm::Sha256).value() == entry.sha256);
            if (entry.size) CHECK(fs::file_size(file) == *entry.size);
            ++checked_files;
        }
    }
    CHECK(checked_files > 100);
}

TEST_CASE("cph_test_data: file and directory symlinks, chains and a dangling link") {
    if (!have_fixtures()) return;
    Scratch scratch;
    const auto archive = fixtures / "packages/mamba/cph_test_data-0.0.1-0.tar.bz2";
    const auto extracted = extract_package(archive, scratch.destination(archive));
    REQUIRE(extracted);
    const auto& root = extracted->directory;
    CHECK(fs::read_symlink(root / "bin/hello") == "hello-1.0");
    CHECK(fs::read_symlink(root / "libexec/greetings") == "../bin/hello");
    CHECK(fs::read_symlink(root / "lib/terminfo") == "../share/terminfo");
    CHECK(fs::read_symlink(root / "lib/libdangle.lib") == "libdangle.lib.1");
    CHECK(fs::is_directory(root / "lib/alib"));  // through the link, inside the package
    for (const char* link : {"bin/hello", "lib/alib", "lib/terminfo", "share/termcap", "lib/libdangle.lib"})
        CHECK(entry_for(extracted->info, link).type == PathType::Softlink);
    CHECK(extracted->info.warnings.empty());
}

TEST_CASE("odd but real .conda containers: nested members, ./ names, hardlinks, info only") {
    if (!have_fixtures()) return;
    Scratch scratch;
    const auto extract = [&](const char* relative) {
        const auto archive = fixtures / "packages/rattler" / relative;
        auto result = extract_package(archive, scratch.destination(archive));
        INFO(relative << ": " << (result ? "" : result.error().message));
        REQUIRE(result);
        return std::move(*result);
    };
    const auto certificates = extract("ca-certificates-2024.7.4-hbcca054_0.conda");
    CHECK(fs::read_symlink(certificates.directory / "ssl/cert.pem") == "cacert.pem");
    CHECK(certificates.info.index.name == "ca-certificates");

    const auto dotslash = extract("sparse/dotslash-test-1.0.0-0.conda");
    CHECK(fs::exists(dotslash.directory / "lib/data.txt"));
    CHECK(dotslash.info.index.name == "dotslash-test");

    const auto links = extract("sparse/symlink-test-1.0.0-0.conda");
    CHECK(fs::equivalent(links.directory / "lib/libhard.so", links.directory / "lib/libreal.so.1"));
    CHECK(fs::read_symlink(links.directory / "lib/liblink.so") == "libreal.so.1");

    const auto info_only = extract("sparse/info-only-1.0.0-0.conda");
    CHECK(info_only.stats.files == 1);

    const auto scripts = extract("link-scripts-0.1.0-h4616a5c_0.conda");
    REQUIRE(scripts.info.link_scripts.size() == 2);
    CHECK(scripts.info.link_scripts[0].action == LinkAction::PostLink);
    CHECK(scripts.info.link_scripts[0].path == "bin/.link-scripts-post-link.sh");
    CHECK(scripts.info.link_scripts[1].action == LinkAction::PreUnlink);
    CHECK(fs::status(scripts.directory / "bin/.link-scripts-post-link.sh").permissions() != fs::perms::none);
}

TEST_CASE("conda-test-recipes: noarch python and link.json") {
    if (!have_fixtures()) return;
    const auto info = inspect_package(fixtures / "channels/conda-test-recipes/noarch/sample_noarch_python-1.0-py_0.conda");
    REQUIRE(info);
    CHECK(info->index.noarch == NoarchType::Python);
    REQUIRE(info->link);
    CHECK(info->link->noarch == NoarchType::Python);
    CHECK(std::any_of(info->contents.paths.begin(), info->contents.paths.end(),
                      [](const PathEntry& entry) { return entry.path == "site-packages/sample.py"; }));
    const auto failing = inspect_package(fixtures / "channels/conda-test-recipes/noarch/failing_post_link-1.0-0.conda");
    REQUIRE(failing);
    REQUIRE(failing->link_scripts.size() == 1);
    CHECK(failing->link_scripts[0].path == "bin/.failing_post_link-post-link.sh");
}

TEST_CASE("parallel extractions share no state") {
    if (!have_fixtures()) return;
    Scratch scratch;
    const auto archives = fixture_archives();
    std::vector<std::string> failures(archives.size());
    std::vector<std::thread> threads;
    for (unsigned worker = 0; worker < 4; ++worker) {
        threads.emplace_back([&, worker] {
            for (std::size_t i = worker; i < archives.size(); i += 4) {
                const auto result = extract_package(archives[i], scratch.root.path() / std::to_string(i));
                if (!result) failures[i] = result.error().message;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& failure : failures) CHECK(failure.empty());
}
