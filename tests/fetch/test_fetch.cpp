// The package cache and fetch_packages over file:// URLs with the real zlib fixture packages.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "envctl/conda/channel.hpp"
#include "envctl/fetch/fetch.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
using namespace envctl::fetch;
namespace fs = std::filesystem;

namespace {

const fs::path zlib_channel = fs::path(ENVCTL_SHARED_DIR) / "fixtures/channels/conda-format-repo/linux-64";

bool have_fixtures() {
    if (fs::exists(zlib_channel)) return true;
    WARN("skipped: " << zlib_channel.string() << " is absent; these tests need the shared fixtures next to the checkout");
    return false;
}

conda::PackageRecord zlib_record(const std::string& fn) {
    std::ifstream in(zlib_channel / "repodata.json");
    const auto repodata = nlohmann::json::parse(in);
    const auto& section = fn.ends_with(".conda") ? repodata["packages.conda"] : repodata["packages"];
    auto record = conda::record_from_json(section.at(fn), fn);
    REQUIRE(record);
    record->url = conda::path_to_file_url((zlib_channel / fn).string());
    record->channel = conda::path_to_file_url(zlib_channel.parent_path().string());
    return *record;
}

conda::PackageRecord named(const std::string& fn) {
    nlohmann::json json{{"name", "x"}, {"version", "1"}, {"build", "0"}, {"fn", fn}};
    auto record = conda::record_from_json(json, "x-1-0.conda");
    REQUIRE(record);
    return *record;
}

}  // namespace

TEST_CASE("archive names are checked before they become paths") {
    CHECK(checked_archive_name(named("x-1-0.conda")));
    CHECK(checked_archive_name(named("x-1-0.tar.bz2")));
    for (const char* bad : {"../x-1-0.conda", "a/b-1-0.conda", ".hidden-1-0.conda", "x-1-0.zip", ".conda", "x\n-1-0.conda"})
        CHECK_FALSE(checked_archive_name(named(bad)));
    CHECK(archive_stem("zlib-1.2.11-h7b6447c_3.tar.bz2") == "zlib-1.2.11-h7b6447c_3");
}

TEST_CASE("an entry is complete only with a matching repodata_record.json") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-cache-");
    REQUIRE(root);
    auto record = named("x-1-0.conda");
    record.sha256 = std::string(64, 'a');
    const auto entry = root->path() / "x-1-0";
    fs::create_directories(entry / "info");
    CHECK_FALSE(is_complete_entry(entry, record));
    std::ofstream(entry / "info/repodata_record.json") << repodata_record_text(record);
    CHECK(is_complete_entry(entry, record));
    auto other = record;
    other.sha256 = std::string(64, 'b');
    CHECK_FALSE(is_complete_entry(entry, other));
    auto cache = PackageCache::open(std::vector<fs::path>{root->path() / "missing-but-creatable", root->path()});
    REQUIRE(cache);
    CHECK(cache->writable()->path == root->path() / "missing-but-creatable");
    CHECK(cache->find_extracted(record) == entry);
}

TEST_CASE("entry locks exclude each other") {
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-cache-");
    REQUIRE(root);
    auto first = EntryLock::acquire(root->path(), "x-1-0", false);
    REQUIRE(first);
    CHECK(first->held());
    auto second = EntryLock::acquire(root->path(), "x-1-0", false);
    REQUIRE(second);
    CHECK_FALSE(second->held());
    first->release();
    auto third = EntryLock::acquire(root->path(), "x-1-0", false);
    REQUIRE(third);
    CHECK(third->held());
}

TEST_CASE("fetching the real zlib packages: download, extract, then cache hits") {
    if (!have_fixtures()) return;
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-fetch-");
    REQUIRE(root);
    auto cache = PackageCache::open(std::vector<fs::path>{root->path() / "pkgs"});
    REQUIRE(cache);
    std::vector<PackageRequest> requests = {{zlib_record("zlib-1.2.11-h7b6447c_3.conda"), {}},
                                            {zlib_record("zlib-1.2.11-h7b6447c_3.tar.bz2"), {}}};
    requests.pop_back();  // both formats share one extracted folder name: fetch them one at a time
    FetchOptions options;
    std::size_t last_ready = 0;
    options.on_progress = [&](const FetchProgress& progress) { last_ready = progress.ready; };
    auto fetched = fetch_packages(*cache, requests, options);
    REQUIRE(fetched);
    REQUIRE(fetched->size() == 1);
    const auto& package = fetched->front();
    CHECK(package.source == PackageSource::Downloaded);
    CHECK(last_ready == 1);
    CHECK(fs::exists(package.directory / "lib/libz.so.1.2.11"));
    CHECK(fs::exists(package.directory / "info/repodata_record.json"));
    CHECK(fs::exists(root->path() / "pkgs/zlib-1.2.11-h7b6447c_3.conda"));
    CHECK(package.info.index.name == "zlib");
    auto urls = read_file(root->path() / "pkgs/urls.txt");
    REQUIRE(urls);
    CHECK(urls->find("zlib-1.2.11-h7b6447c_3.conda") != std::string::npos);

    auto again = fetch_packages(*cache, requests, options);
    REQUIRE(again);
    CHECK(again->front().source == PackageSource::Cache);

    // The extracted folder lost its marker: the archive in the cache is verified and extracted.
    fs::remove(package.directory / "info/repodata_record.json");
    auto extracted = fetch_packages(*cache, requests, options);
    REQUIRE(extracted);
    CHECK(extracted->front().source == PackageSource::Extracted);

    // The other format replaces the entry (its hash differs).
    std::vector<PackageRequest> bz2 = {{zlib_record("zlib-1.2.11-h7b6447c_3.tar.bz2"), {}}};
    auto replaced = fetch_packages(*cache, bz2, options);
    REQUIRE(replaced);
    CHECK(replaced->front().source == PackageSource::Downloaded);
    CHECK_FALSE(replaced->front().warnings.empty());  // lib/libz.so* are empty files, not symlinks
}

TEST_CASE("a hash mismatch names the package and URL and leaves no file behind") {
    if (!have_fixtures()) return;
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-fetch-");
    REQUIRE(root);
    auto cache = PackageCache::open(std::vector<fs::path>{root->path() / "pkgs"});
    REQUIRE(cache);
    auto record = zlib_record("zlib-1.2.11-h7b6447c_3.conda");
    record.sha256 = std::string(64, '0');
    std::vector<PackageRequest> requests = {{record, {}}};
    auto fetched = fetch_packages(*cache, requests, {});
    REQUIRE_FALSE(fetched);
    CHECK(fetched.error().kind == ErrorKind::Integrity);
    CHECK(fetched.error().message.find("zlib-1.2.11-h7b6447c_3") != std::string::npos);
    CHECK(fetched.error().message.find("file://") != std::string::npos);
    CHECK_FALSE(fs::exists(root->path() / "pkgs/zlib-1.2.11-h7b6447c_3.conda"));
    CHECK_FALSE(fs::exists(root->path() / "pkgs/zlib-1.2.11-h7b6447c_3"));
}

TEST_CASE("a read-only cache folder is only read") {
    if (!have_fixtures()) return;
    auto root = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-fetch-");
    REQUIRE(root);
    // The first folder has the package already; the second receives nothing.
    auto first = PackageCache::open(std::vector<fs::path>{root->path() / "shared"});
    REQUIRE(first);
    std::vector<PackageRequest> requests = {{zlib_record("zlib-1.2.11-h7b6447c_3.conda"), {}}};
    REQUIRE(fetch_packages(*first, requests, {}));
    auto cache = PackageCache::open(std::vector<fs::path>{root->path() / "mine", root->path() / "shared"});
    REQUIRE(cache);
    auto fetched = fetch_packages(*cache, requests, {});
    REQUIRE(fetched);
    CHECK(fetched->front().source == PackageSource::Cache);
    CHECK(fetched->front().directory == root->path() / "shared/zlib-1.2.11-h7b6447c_3");
    CHECK_FALSE(fs::exists(root->path() / "mine/zlib-1.2.11-h7b6447c_3"));
}
