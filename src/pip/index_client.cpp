// The simple-repository client: pages, metadata and wheels through the downloader and cache.
#include "envctl/pip/index_client.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/pip/inputs.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/pypi/wheel.hpp"
#include "envctl/repodata/cache.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::pip {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct PageState {
    std::string url;  // credential-free
    std::string etag, last_modified, cache_control, content_type;
    std::int64_t checked_at = 0;
};

PageState read_page_state(const fs::path& file) {
    PageState state;
    auto text = read_file(file);
    if (!text) return state;
    const auto document = json::parse(*text, nullptr, false);
    if (!document.is_object()) return state;
    const auto get = [&](const char* key) { return document.contains(key) && document[key].is_string() ? document[key].get<std::string>() : std::string(); };
    state.url = get("url");
    state.etag = get("etag");
    state.last_modified = get("last_modified");
    state.cache_control = get("cache_control");
    state.content_type = get("content_type");
    if (document.contains("checked_at") && document["checked_at"].is_number_integer()) state.checked_at = document["checked_at"].get<std::int64_t>();
    return state;
}

std::string page_state_json(const PageState& state) {
    return json{{"url", state.url},
                {"etag", state.etag},
                {"last_modified", state.last_modified},
                {"cache_control", state.cache_control},
                {"content_type", state.content_type},
                {"checked_at", state.checked_at}}
               .dump(2) + "\n";
}

bool page_is_fresh(const PageState& state, int ttl) {
    repodata::CachedFile file;
    file.file = "page";
    file.cache_control = state.cache_control;
    file.checked_at = state.checked_at;
    return repodata::is_fresh(file, ttl, now_seconds());
}

// The distributions in a local folder (--find-links DIR or a file:// index without pages).
std::vector<IndexFile> folder_files(const fs::path& folder) {
    std::vector<IndexFile> out;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(folder, error)) {
        if (!entry.is_regular_file(error)) continue;
        const auto name = entry.path().filename().string();
        if (pypi::distribution_kind(name) == pypi::DistributionKind::Unknown) continue;
        IndexFile file;
        file.filename = name;
        file.url = file_url(entry.path(), "/");
        out.push_back(std::move(file));
    }
    std::sort(out.begin(), out.end(), [](const IndexFile& a, const IndexFile& b) { return a.filename < b.filename; });
    return out;
}

// The project a distribution file name belongs to (normalized), or empty.
std::string project_of(std::string_view filename) {
    switch (pypi::distribution_kind(filename)) {
        case pypi::DistributionKind::Wheel:
            if (auto wheel = pypi::WheelFilename::parse(filename)) return wheel->normalized_name();
            return {};
        case pypi::DistributionKind::SourceDistribution:
            if (auto sdist = pypi::parse_sdist_filename(filename)) return pypi::normalize_name(sdist->name);
            return {};
        case pypi::DistributionKind::Unknown: return {};
    }
    return {};
}

bool is_not_found(const Error& error) {
    return error.message.find("HTTP 404") != std::string::npos || error.message.find("HTTP 410") != std::string::npos;
}

std::string short_key(std::string_view sha256) { return std::string(sha256.substr(0, 32)); }

Error network_context(Error error, std::string_view what) {
    error.message = fmt::format("{}: {}", what, error.message);
    return error;
}

}  // namespace

struct IndexClient::Impl {
    IndexOptions options;
    net::Downloader downloader;
    IndexStats stats;
    std::map<std::string, std::vector<IndexFile>, std::less<>> projects;
    // --find-links pages and folders, read once: project -> files.
    bool links_loaded = false;
    std::map<std::string, std::vector<IndexFile>> links;

    explicit Impl(IndexOptions o) : options(std::move(o)), downloader(options.network) {
        options.network.offline = options.offline;
        downloader = net::Downloader(options.network);
    }

    fs::path cache(std::string_view sub) const { return options.cache_dir / sub; }

    Status load_links() {
        if (links_loaded) return {};
        links_loaded = true;
        for (const auto& location : options.find_links) {
            std::vector<IndexFile> files;
            if (auto folder = local_path(location)) {
                std::error_code error;
                if (fs::is_directory(*folder, error)) files = folder_files(*folder);
                else if (auto text = read_file(*folder)) {
                    auto page = parse_project_html(*text, location, "find-links");
                    if (page) files = std::move(page->files);
                } else {
                    return fail(ErrorKind::Input, fmt::format("--find-links {} does not exist", folder->string()));
                }
            } else {
                auto page = fetch_page(location, "find-links");
                if (!page) return fail(std::move(page.error()));
                if (*page) files = std::move((*page)->files);
            }
            for (auto& file : files) {
                auto project = project_of(file.filename);
                if (!project.empty()) links[project].push_back(std::move(file));
            }
        }
        return {};
    }

    // A page from a file:// index: the folder's index.json (PEP 691) or index.html, or the
    // distributions the folder holds.
    Result<std::optional<ProjectPage>> local_page(const fs::path& folder, const std::string& url, std::string_view project) {
        std::error_code error;
        if (!fs::is_directory(folder, error)) return std::optional<ProjectPage>();
        if (auto text = read_file(folder / "index.json")) {
            auto page = parse_project_json(*text, url, project);
            if (!page) return fail(std::move(page.error()));
            return std::optional<ProjectPage>(std::move(*page));
        }
        if (auto text = read_file(folder / "index.html")) {
            auto page = parse_project_html(*text, url, project);
            if (!page) return fail(std::move(page.error()));
            return std::optional<ProjectPage>(std::move(*page));
        }
        ProjectPage page;
        page.name = std::string(project);
        page.files = folder_files(folder);
        return std::optional<ProjectPage>(std::move(page));
    }

    using PageResult = Result<std::optional<ProjectPage>>;

    struct PageJob {
        std::string url, project, clean;
        fs::path body_file, state_file;
        PageState state;
        std::optional<std::string> body;
        std::optional<PageResult> result;
    };

    PageResult parse_page(const PageJob& job, const std::string& text, const std::string& type) const {
        auto page = parse_project_page(text, type, job.url, job.project);
        if (!page) return fail(std::move(page.error()));
        return std::optional<ProjectPage>(std::move(*page));
    }

    // A page after its transfer: a 304 keeps the cached body, a 200 replaces it.
    PageResult finish_page(PageJob& job, Result<net::TransferResult>& result) {
        if (!result) {
            if (is_not_found(result.error())) return std::optional<ProjectPage>();
            return fail(network_context(std::move(result.error()), fmt::format("fetching the index page of '{}'", job.project)));
        }
        if (result->status == 404) return std::optional<ProjectPage>();
        auto& state = job.state;
        state.url = job.clean;
        state.checked_at = now_seconds();
        if (result->not_modified && job.body) {
            ++stats.pages_from_cache;
        } else {
            ++stats.pages_downloaded;
            job.body = std::move(result->body);
            state.etag = result->etag;
            state.last_modified = result->last_modified;
            state.content_type = result->content_type;
        }
        state.cache_control = result->cache_control;
        if (!options.cache_dir.empty()) {
            // A cache that cannot be written only costs a download next time.
            (void)ensure_directory(cache("pages"));
            if (!result->not_modified) (void)write_file_atomic(job.body_file, *job.body);
            (void)write_file_atomic(job.state_file, page_state_json(state));
        }
        return parse_page(job, *job.body, state.content_type);
    }

    // Pages through the cache, the ones that need the network in parallel. nullopt: the index
    // has no such project (404).
    std::vector<PageResult> fetch_pages(const std::vector<std::pair<std::string, std::string>>& wanted) {
        std::vector<PageJob> jobs(wanted.size());
        std::vector<net::TransferRequest> requests;
        std::vector<std::size_t> requested;
        for (std::size_t i = 0; i < wanted.size(); ++i) {
            auto& job = jobs[i];
            job.url = wanted[i].first;
            job.project = wanted[i].second;
            if (auto folder = local_path(job.url)) {
                job.result = local_page(*folder, job.url, job.project);
                continue;
            }
            job.clean = strip_credentials(job.url);
            const auto key = repodata::cache_folder_name(job.clean);
            job.body_file = cache("pages") / (key + ".body");
            job.state_file = cache("pages") / (key + ".json");
            if (!options.cache_dir.empty()) {
                job.state = read_page_state(job.state_file);
                if (job.state.url == job.clean)
                    if (auto text = read_file(job.body_file)) job.body = std::move(*text);
            }
            if (job.body && (options.offline || page_is_fresh(job.state, options.ttl))) {
                ++stats.pages_from_cache;
                job.result = parse_page(job, *job.body, job.state.content_type);
                continue;
            }
            if (options.offline) {
                job.result = fail(Error{ErrorKind::Network,
                                        fmt::format("offline: the index page {} is not in the cache", redact_url(job.url)),
                                        std::nullopt, {"run once without --offline to fill the cache"}});
                continue;
            }
            auto request = net::TransferRequest::to_memory(job.url);
            request.headers.push_back(fmt::format("Accept: {}", kSimpleAccept));
            if (job.body) {
                request.if_none_match = job.state.etag;
                request.if_modified_since = job.state.last_modified;
            }
            requests.push_back(std::move(request));
            requested.push_back(i);
        }
        if (!requests.empty()) {
            auto results = downloader.run(std::move(requests));
            for (std::size_t k = 0; k < results.size(); ++k) jobs[requested[k]].result = finish_page(jobs[requested[k]], results[k]);
        }
        std::vector<PageResult> out;
        out.reserve(jobs.size());
        for (auto& job : jobs) out.push_back(std::move(*job.result));
        return out;
    }

    PageResult fetch_page(const std::string& url, std::string_view project) {
        return std::move(fetch_pages({{url, std::string(project)}}).front());
    }

    fs::path wheel_path(const IndexFile& file, std::string_view sha256) const {
        const auto key = sha256.empty() ? repodata::cache_folder_name(strip_credentials(file.url)) : short_key(sha256);
        return cache("wheels") / key / file.filename;
    }
};

IndexClient::IndexClient(IndexOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
IndexClient::IndexClient(IndexClient&&) noexcept = default;
IndexClient& IndexClient::operator=(IndexClient&&) noexcept = default;
IndexClient::~IndexClient() = default;

const IndexStats& IndexClient::stats() const { return impl_->stats; }

Status IndexClient::load_projects(std::span<const std::string> projects) {
    if (auto links = impl_->load_links(); !links) return links;
    std::vector<std::string> fresh;
    for (const auto& project : projects)
        if (!impl_->projects.count(project) && std::find(fresh.begin(), fresh.end(), project) == fresh.end()) fresh.push_back(project);
    std::vector<std::pair<std::string, std::string>> wanted;
    for (const auto& project : fresh)
        for (const auto& index : impl_->options.index_urls) wanted.emplace_back(project_page_url(index, project), project);
    auto pages = impl_->fetch_pages(wanted);
    std::size_t next = 0;
    for (const auto& project : fresh) {
        std::vector<IndexFile> files;
        std::set<std::string> seen;
        for (std::size_t i = 0; i < impl_->options.index_urls.size(); ++i) {
            auto& page = pages[next++];
            if (!page) return fail(std::move(page.error()));
            if (!*page) continue;
            for (auto& file : (*page)->files)
                if (seen.insert(file.filename).second) files.push_back(std::move(file));
        }
        if (const auto found = impl_->links.find(project); found != impl_->links.end())
            for (const auto& file : found->second)
                if (seen.insert(file.filename).second) files.push_back(file);
        impl_->projects.emplace(project, std::move(files));
    }
    return {};
}

const std::vector<IndexFile>& IndexClient::files(std::string_view project) const {
    static const std::vector<IndexFile> none;
    const auto found = impl_->projects.find(project);
    return found == impl_->projects.end() ? none : found->second;
}

Result<std::vector<fs::path>> IndexClient::fetch_wheels(std::span<const IndexFile> files, std::vector<std::string>* sha256s) {
    std::vector<fs::path> paths(files.size());
    std::vector<std::string> hashes(files.size());
    std::vector<net::TransferRequest> requests;
    std::vector<std::size_t> requested;
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& file = files[i];
        hashes[i] = file.sha256();
        if (auto local = local_path(file.url)) {
            auto bytes = read_file(*local);
            if (!bytes) return fail(ErrorKind::Input, fmt::format("cannot read wheel {}: {}", local->string(), bytes.error().message));
            const auto actual = sha256_hex(*bytes);
            if (!hashes[i].empty() && actual != hashes[i])
                return fail(ErrorKind::Integrity, fmt::format("sha256 mismatch for {}: expected {}, found {}", local->string(), hashes[i], actual));
            hashes[i] = actual;
            paths[i] = *local;
            continue;
        }
        if (impl_->options.cache_dir.empty())
            return fail(ErrorKind::Internal, "downloading wheels needs a cache folder");
        paths[i] = impl_->wheel_path(file, hashes[i]);
        std::error_code error;
        if (!hashes[i].empty() && fs::is_regular_file(paths[i], error)) continue;  // verified when it was stored
        auto request = net::TransferRequest::to_file(file.url, paths[i]);
        request.expected_sha256 = hashes[i];
        request.compute_sha256 = true;
        requests.push_back(std::move(request));
        requested.push_back(i);
    }
    if (!requests.empty()) {
        auto results = impl_->downloader.run(std::move(requests));
        for (std::size_t k = 0; k < results.size(); ++k) {
            const auto i = requested[k];
            if (!results[k]) return fail(network_context(std::move(results[k].error()), fmt::format("downloading {}", files[i].filename)));
            ++impl_->stats.wheels_downloaded;
            if (hashes[i].empty()) {
                // Stored under a URL key; keep that path, report the computed hash.
                hashes[i] = results[k]->sha256;
            }
        }
    }
    if (sha256s) *sha256s = std::move(hashes);
    return paths;
}

Result<std::vector<pypi::CoreMetadata>> IndexClient::load_metadata(std::span<const IndexFile> files) {
    std::vector<std::optional<pypi::CoreMetadata>> out(files.size());
    std::vector<net::TransferRequest> requests;
    std::vector<std::size_t> requested;
    std::vector<std::size_t> from_wheels;
    const bool cached = !impl_->options.cache_dir.empty();
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& file = files[i];
        if (!file.has_metadata) {
            from_wheels.push_back(i);
            continue;
        }
        if (auto local = local_path(file.url)) {
            auto text = read_file(fs::path(local->string() + ".metadata"));
            if (!text) {
                from_wheels.push_back(i);
                continue;
            }
            auto metadata = pypi::CoreMetadata::parse(*text, file.filename + ".metadata");
            if (!metadata) return fail(std::move(metadata.error()));
            out[i] = std::move(*metadata);
            continue;
        }
        const auto key = file.sha256().empty() ? repodata::cache_folder_name(strip_credentials(file.url)) : short_key(file.sha256());
        const auto path = impl_->cache("metadata") / (key + ".metadata");
        if (cached) {
            if (auto text = read_file(path)) {
                if (auto metadata = pypi::CoreMetadata::parse(*text, file.filename + ".metadata")) {
                    out[i] = std::move(*metadata);
                    continue;
                }
            }
        }
        auto request = cached ? net::TransferRequest::to_file(file.url + ".metadata", path)
                              : net::TransferRequest::to_memory(file.url + ".metadata");
        request.expected_sha256 = file.metadata_sha256();
        requests.push_back(std::move(request));
        requested.push_back(i);
    }
    if (!requests.empty()) {
        auto results = impl_->downloader.run(std::move(requests));
        for (std::size_t k = 0; k < results.size(); ++k) {
            const auto i = requested[k];
            if (!results[k]) {
                // An index that advertises metadata it cannot serve: read the wheel instead.
                if (is_not_found(results[k].error())) {
                    from_wheels.push_back(i);
                    continue;
                }
                return fail(network_context(std::move(results[k].error()), fmt::format("fetching the metadata of {}", files[i].filename)));
            }
            ++impl_->stats.metadata_files;
            std::string text = results[k]->body;
            if (cached) {
                auto read = read_file(results[k]->file);
                if (!read) return fail(std::move(read.error()));
                text = std::move(*read);
            }
            auto metadata = pypi::CoreMetadata::parse(text, files[i].filename + ".metadata");
            if (!metadata) return fail(std::move(metadata.error()));
            out[i] = std::move(*metadata);
        }
    }
    if (!from_wheels.empty()) {
        std::vector<IndexFile> wheels;
        wheels.reserve(from_wheels.size());
        for (const auto i : from_wheels) wheels.push_back(files[i]);
        auto paths = fetch_wheels(wheels);
        if (!paths) return fail(std::move(paths.error()));
        for (std::size_t k = 0; k < from_wheels.size(); ++k) {
            auto metadata = read_wheel_metadata((*paths)[k]);
            if (!metadata) return fail(std::move(metadata.error()));
            ++impl_->stats.metadata_from_wheels;
            out[from_wheels[k]] = std::move(*metadata);
        }
    }
    std::vector<pypi::CoreMetadata> result;
    result.reserve(out.size());
    for (auto& metadata : out) result.push_back(std::move(*metadata));
    return result;
}

Result<pypi::CoreMetadata> read_wheel_metadata(const fs::path& path) {
    std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(), archive_read_free);
    archive_read_support_format_zip(reader.get());
    if (archive_read_open_filename(reader.get(), path.c_str(), 1 << 16) != ARCHIVE_OK)
        return fail(ErrorKind::Input, fmt::format("{} is not a readable wheel: {}", path.filename().string(),
                                                  archive_error_string(reader.get()) ? archive_error_string(reader.get()) : "?"));
    archive_entry* entry = nullptr;
    while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
        const std::string_view name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        const auto slash = name.find('/');
        if (slash == std::string_view::npos || name.substr(slash + 1) != "METADATA" || !name.substr(0, slash).ends_with(".dist-info"))
            continue;
        std::string text;
        char buffer[1 << 14];
        for (;;) {
            const auto read = archive_read_data(reader.get(), buffer, sizeof(buffer));
            if (read < 0) return fail(ErrorKind::Input, fmt::format("{}: cannot read {}", path.filename().string(), name));
            if (read == 0) break;
            text.append(buffer, static_cast<std::size_t>(read));
            if (text.size() > (64u << 20)) return fail(ErrorKind::Input, fmt::format("{}: METADATA is too large", path.filename().string()));
        }
        return pypi::CoreMetadata::parse(text, fmt::format("{}/{}", path.filename().string(), name));
    }
    return fail(ErrorKind::Input, fmt::format("{} has no *.dist-info/METADATA", path.filename().string()));
}

}  // namespace envctl::pip
