#pragma once
// The PyPI simple-repository client: project pages (PEP 691 JSON asked for first, PEP 503 HTML
// accepted) from every configured index and --find-links location, core metadata (the PEP
// 658/714 `.metadata` file when the index offers one, else METADATA read out of the wheel) and
// wheel files, all through net::Downloader (auth, retries, offline) and an HTTP cache laid out
// as the repodata cache is:
//   <cache_dir>/pages/<key>.body, <key>.json   a project page and its validators (ETag,
//                                              Last-Modified, Cache-Control, Content-Type)
//   <cache_dir>/metadata/<key>.metadata        core metadata files, by the wheel's sha256
//   <cache_dir>/wheels/<key>/<filename>        downloaded wheels, by their sha256
// <key> is repodata::cache_folder_name() of a credential-free URL, or a sha256 prefix.
#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/net/downloader.hpp"
#include "envctl/pip/simple_index.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pip {

struct IndexOptions {
    // Simple index base URLs ("https://pypi.org/simple"), the primary one first; may carry
    // credentials (never printed). Local folders as file:// URLs.
    std::vector<std::string> index_urls;
    // --find-links: file:// folders of distributions, or HTML pages of links.
    std::vector<std::string> find_links;
    std::filesystem::path cache_dir;  // empty: nothing cached on disk
    // As local_repodata_ttl: 0 always revalidate, 1 the server's max-age, N > 1 seconds.
    int ttl = 1;
    bool offline = false;  // pages only from the cache; missing ones are an error
    net::NetworkOptions network;
};

struct IndexStats {
    std::size_t pages_downloaded = 0;
    std::size_t pages_from_cache = 0;  // fresh, or revalidated with 304
    std::size_t metadata_files = 0;    // PEP 658 files downloaded
    std::size_t metadata_from_wheels = 0;
    std::size_t wheels_downloaded = 0;
};

class IndexClient {
public:
    explicit IndexClient(IndexOptions options);
    IndexClient(IndexClient&&) noexcept;
    IndexClient& operator=(IndexClient&&) noexcept;
    ~IndexClient();

    // Fetches the pages of the (normalized) projects not loaded yet, in parallel, from every
    // index; a 404 means the index does not have the project. Network errors fail.
    Status load_projects(std::span<const std::string> projects);
    // Files of a loaded project from all indexes and find-links locations, in index order
    // (empty when no index has it).
    const std::vector<IndexFile>& files(std::string_view project) const;

    // The core metadata of each file, in parallel: the `.metadata` file when offered (checked
    // against its hash), else METADATA from the wheel (downloaded into the wheel cache).
    Result<std::vector<pypi::CoreMetadata>> load_metadata(std::span<const IndexFile> files);

    // Local paths of the wheels, downloaded when not cached, each checked against its sha256
    // (a file without one gets it computed). The sha256 of each is written to `sha256s`.
    Result<std::vector<std::filesystem::path>> fetch_wheels(std::span<const IndexFile> files,
                                                            std::vector<std::string>* sha256s = nullptr);

    const IndexStats& stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// METADATA of the wheel at `path` (its top-level *.dist-info/METADATA).
Result<pypi::CoreMetadata> read_wheel_metadata(const std::filesystem::path& path);

}  // namespace envctl::pip
