#pragma once
// Making packages available in the package cache: cache hits are used as they are, archives
// already downloaded are verified and extracted, the rest is downloaded in parallel (the
// downloader checks sha256, or md5 when that is all the record has, while bytes arrive) and
// each archive is extracted by a thread pool as soon as its download completes, so extraction
// overlaps the downloads still running.
//
//   auto cache = fetch::PackageCache::open(config.pkgs_dirs);
//   std::vector<fetch::PackageRequest> requests = {{record, authenticated_url}};
//   auto packages = fetch::fetch_packages(*cache, requests, options);
//
// Errors: a hash or size mismatch is an ErrorKind::Integrity error naming the package and the
// URL (credentials redacted); the bad file is removed. An archive that cannot be extracted
// safely (see extract.hpp) is an Integrity error too, and is removed from the cache. Network
// failures are Network errors. The first error stops the remaining downloads.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/extract/extract.hpp"
#include "envctl/fetch/cache.hpp"
#include "envctl/net/downloader.hpp"
#include "envctl/util/result.hpp"

namespace envctl::fetch {

struct PackageRequest {
    conda::PackageRecord record;  // fn, url, sha256/md5 and size are used
    // The URL to download from, with the channel's credentials when it needs them (never shown
    // or stored). Empty: record.url.
    std::string download_url;
};

enum class PackageSource {
    Cache,      // a complete extracted entry was there
    Extracted,  // the archive was in the cache; it was verified and extracted
    Downloaded,
};
std::string_view package_source_name(PackageSource source);  // "cache", "extracted", "downloaded"

struct FetchedPackage {
    conda::PackageRecord record;
    std::filesystem::path directory;  // the complete extracted entry
    std::filesystem::path archive;    // where the archive is (or would be) in the cache
    extract::PackageInfo info;        // parsed info/, reconciled with the files on disk
    PackageSource source = PackageSource::Cache;
    std::uint64_t downloaded_bytes = 0;
    std::vector<std::string> warnings;  // extraction and metadata oddities, one sentence each
};

struct FetchProgress {
    std::size_t packages = 0;       // requests in this call
    std::size_t ready = 0;          // complete (cache hit, extracted or downloaded+extracted)
    std::size_t downloads = 0;      // archives to download
    std::size_t downloaded = 0;     // downloads completed
    std::size_t extractions = 0;    // archives to extract (known so far)
    std::size_t extracted = 0;
    std::uint64_t bytes_done = 0;   // download body bytes
    std::uint64_t bytes_total = 0;  // sum of the records' sizes of archives to download
};

struct FetchOptions {
    net::NetworkOptions network;
    std::size_t extract_threads = 0;  // 0: one per CPU
    extract::ExtractLimits limits;
    // Called from the downloading thread and from extraction threads, never concurrently.
    std::function<void(const FetchProgress&)> on_progress;
    const net::CancellationToken* cancel = nullptr;
};

// Returns one FetchedPackage per request, in request order.
Result<std::vector<FetchedPackage>> fetch_packages(const PackageCache& cache, std::span<const PackageRequest> requests,
                                                   const FetchOptions& options);

// The info/repodata_record.json envctl writes into an extracted entry: conda::to_json(record).
std::string repodata_record_text(const conda::PackageRecord& record);

}  // namespace envctl::fetch
