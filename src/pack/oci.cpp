#include "envctl/pack/oci.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "entries.hpp"
#include "envctl/pack/tar_writer.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

namespace envctl::pack {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::string_view manifest_type = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view index_type = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view config_type = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view ref_name_key = "org.opencontainers.image.ref.name";
constexpr std::string_view default_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct PlatformRow {
    std::string_view subdir, os, architecture, variant;
};
constexpr PlatformRow platform_table[] = {
    {"linux-64", "linux", "amd64", ""},       {"linux-aarch64", "linux", "arm64", ""},
    {"linux-ppc64le", "linux", "ppc64le", ""}, {"linux-s390x", "linux", "s390x", ""},
    {"linux-armv7l", "linux", "arm", "v7"},   {"linux-32", "linux", "386", ""},
    {"osx-64", "darwin", "amd64", ""},        {"osx-arm64", "darwin", "arm64", ""},
    {"win-64", "windows", "amd64", ""},       {"win-arm64", "windows", "arm64", ""},
};

std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t hash = 1469598103934665603ull;
    for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
    return hash;
}

std::string rfc3339(std::int64_t epoch) {
    const auto text = history_time(epoch);  // "YYYY-MM-DD HH:MM:SS"
    return text.substr(0, 10) + "T" + text.substr(11) + "Z";
}

std::string hex_of(std::string_view digest) { return std::string(digest.substr(digest.find(':') + 1)); }

// Stores `data` as a blob (content addressed: an existing blob is kept) and returns its digest.
Result<std::string> put_blob(const fs::path& layout, std::string_view data) {
    const auto hex = sha256_hex(data);
    const auto path = layout / "blobs" / "sha256" / hex;
    if (!fs::exists(path))
        if (auto written = write_file_atomic(path, data); !written) return fail(std::move(written.error()));
    return "sha256:" + hex;
}

json descriptor(std::string_view media_type, std::string_view digest, std::uint64_t size) {
    return json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

struct Base {
    json config;
    std::vector<json> layers;  // descriptors
};

Error base_error(const fs::path& base, std::string what) {
    return Error{ErrorKind::Input, fmt::format("base image {}: {}", base.string(), what), {}, {}};
}

Result<json> read_blob_json(const fs::path& layout, std::string_view digest) {
    const auto path = layout / "blobs" / "sha256" / hex_of(digest);
    auto text = read_file(path);
    if (!text) return fail(base_error(layout, fmt::format("blob {} is missing", digest)));
    if ("sha256:" + sha256_hex(*text) != digest)
        return fail(Error{ErrorKind::Integrity, fmt::format("base image {}: blob {} does not match its digest", layout.string(), digest), {}, {}});
    auto document = json::parse(*text, nullptr, false);
    if (document.is_discarded()) return fail(base_error(layout, fmt::format("blob {} is not JSON", digest)));
    return document;
}

bool platform_matches(const json& descriptor, const OciPlatform& platform) {
    if (!descriptor.contains("platform")) return true;
    const auto& p = descriptor["platform"];
    return p.value("os", "") == platform.os && p.value("architecture", "") == platform.architecture;
}

Result<Base> read_base(const fs::path& layout, std::string_view tag, const OciPlatform& platform) {
    auto index_text = read_file(layout / "index.json");
    if (!index_text) return fail(base_error(layout, "no index.json: not an OCI image layout"));
    auto index = json::parse(*index_text, nullptr, false);
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array() || index["manifests"].empty())
        return fail(base_error(layout, "index.json lists no manifests"));
    const json* chosen = nullptr;
    for (const auto& entry : index["manifests"]) {
        const auto name = entry.contains("annotations") ? entry["annotations"].value(std::string(ref_name_key), "") : "";
        if (tag.empty() ? platform_matches(entry, platform) : name == tag) {
            chosen = &entry;
            break;
        }
    }
    if (chosen == nullptr) return fail(base_error(layout, tag.empty() ? fmt::format("no image for {}", platform.text())
                                                                      : fmt::format("no image tagged '{}'", tag)));
    json manifest_descriptor = *chosen;
    auto manifest = read_blob_json(layout, manifest_descriptor.value("digest", ""));
    if (!manifest) return fail(std::move(manifest.error()));
    if (manifest->value("mediaType", "") == index_type || manifest->contains("manifests")) {
        const json* inner = nullptr;
        for (const auto& entry : (*manifest)["manifests"])
            if (platform_matches(entry, platform)) {
                inner = &entry;
                break;
            }
        if (inner == nullptr) return fail(base_error(layout, fmt::format("no image for {}", platform.text())));
        auto resolved = read_blob_json(layout, inner->value("digest", ""));
        if (!resolved) return fail(std::move(resolved.error()));
        manifest = std::move(resolved);
    }
    if (!manifest->contains("config") || !manifest->contains("layers"))
        return fail(base_error(layout, "its manifest has no config or layers"));
    Base base;
    auto config = read_blob_json(layout, (*manifest)["config"].value("digest", ""));
    if (!config) return fail(std::move(config.error()));
    base.config = std::move(*config);
    for (auto layer : (*manifest)["layers"]) {
        auto media = layer.value("mediaType", "");
        if (media == "application/vnd.docker.image.rootfs.diff.tar.gzip") layer["mediaType"] = layer_type;
        else if (media == "application/vnd.docker.image.rootfs.diff.tar") layer["mediaType"] = "application/vnd.oci.image.layer.v1.tar";
        base.layers.push_back(std::move(layer));
    }
    return base;
}

// Copies (hard-links when it can) a base blob into the output layout, checking its digest.
Status copy_blob(const fs::path& from_layout, const fs::path& to_layout, std::string_view digest) {
    const auto hex = hex_of(digest);
    const auto source = from_layout / "blobs" / "sha256" / hex;
    const auto target = to_layout / "blobs" / "sha256" / hex;
    std::error_code error;
    if (fs::exists(target, error)) return {};
    auto actual = file_digest_hex(source, HashAlgorithm::Sha256);
    if (!actual) return fail(base_error(from_layout, fmt::format("layer {} is missing", digest)));
    if (*actual != hex)
        return fail(Error{ErrorKind::Integrity, fmt::format("base image {}: layer {} does not match its digest", from_layout.string(), digest), {}, {}});
    fs::create_hard_link(source, target, error);
    if (error) {
        error.clear();
        fs::copy_file(source, target, error);
    }
    if (error) return fail(ErrorKind::Io, fmt::format("cannot copy {} to {}: {}", source.string(), target.string(), error.message()));
    return {};
}

// One layer: the entries of `files` under `root`, tar -> gzip -> blobs/sha256/<digest>.
Result<OciLayer> write_layer(const fs::path& layout, const std::vector<std::pair<const PackFile*, std::string>>& files,
                             std::string_view root, const std::string& prefix, std::int64_t mtime) {
    const auto entries = detail::sorted_entries(files, root);
    const auto temporary = temporary_sibling(layout / "blobs" / "sha256" / "layer");
    auto file = FileSink::open(temporary);
    if (!file) return fail(std::move(file.error()));
    struct Cleanup {
        fs::path path;
        ~Cleanup() {
            std::error_code ignored;
            fs::remove(path, ignored);
        }
    } cleanup{temporary};
    Sha256Sink compressed((*file)->sink());
    auto gzip = make_compressor(Compression::Gzip, compressed.sink());
    if (!gzip) return fail(std::move(gzip.error()));
    Sha256Sink uncompressed((*gzip)->sink());
    auto tar = TarWriter::open(uncompressed.sink(), mtime);
    if (!tar) return fail(std::move(tar.error()));
    for (const auto& entry : entries)
        if (auto ok = detail::write_entry(**tar, entry, prefix); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*tar)->finish(); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*gzip)->finish(); !ok) return fail(std::move(ok.error()));
    if (auto ok = (*file)->close(); !ok) return fail(std::move(ok.error()));
    OciLayer layer;
    layer.diff_id = "sha256:" + uncompressed.hex_digest();
    const auto hex = compressed.hex_digest();
    layer.digest = "sha256:" + hex;
    layer.size = compressed.size();
    std::error_code error;
    fs::rename(temporary, layout / "blobs" / "sha256" / hex, error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot store layer {}: {}", hex, error.message()));
    return layer;
}

// Writes the layout folder `layout` as a deterministic tar at `output`.
Status tar_layout(const fs::path& layout, const fs::path& output, std::int64_t mtime) {
    std::vector<std::string> paths;
    std::error_code error;
    for (fs::recursive_directory_iterator it(layout, error), end; it != end && !error; it.increment(error))
        paths.push_back(it->path().lexically_relative(layout).generic_string());
    if (error) return fail(ErrorKind::Io, fmt::format("cannot list {}: {}", layout.string(), error.message()));
    std::sort(paths.begin(), paths.end());
    const auto temporary = temporary_sibling(output);
    auto file = FileSink::open(temporary);
    if (!file) return fail(std::move(file.error()));
    auto tar = TarWriter::open((*file)->sink(), mtime);
    if (!tar) return fail(std::move(tar.error()));
    for (const auto& path : paths) {
        if (fs::is_directory(layout / path)) {
            if (auto ok = (*tar)->add_directory(path); !ok) return ok;
        } else if (auto added = (*tar)->add_file_from(path, layout / path, false); !added) {
            return fail(std::move(added.error()));
        }
    }
    if (auto ok = (*tar)->finish(); !ok) return ok;
    if (auto ok = (*file)->close(); !ok) return ok;
    fs::rename(temporary, output, error);
    if (error) {
        fs::remove(temporary, error);
        return fail(ErrorKind::Io, fmt::format("cannot write {}: {}", output.string(), error.message()));
    }
    return {};
}

std::string normalized_prefix(std::string_view prefix) {
    std::string text(prefix);
    while (text.size() > 1 && text.ends_with('/')) text.pop_back();
    return text;
}

}  // namespace

std::string OciPlatform::text() const {
    return variant.empty() ? fmt::format("{}/{}", os, architecture) : fmt::format("{}/{}/{}", os, architecture, variant);
}

Result<OciPlatform> oci_platform_of(std::string_view subdir) {
    for (const auto& row : platform_table)
        if (row.subdir == subdir)
            return OciPlatform{std::string(row.os), std::string(row.architecture), std::string(row.variant)};
    return fail(Error{ErrorKind::Usage, fmt::format("no OCI platform for the conda platform '{}'", subdir), {},
                      {"use linux-64, linux-aarch64, linux-ppc64le, linux-s390x or linux-armv7l"}});
}

Result<std::string> subdir_of_platform(std::string_view text) {
    for (const auto& row : platform_table) {
        const OciPlatform platform{std::string(row.os), std::string(row.architecture), std::string(row.variant)};
        if (row.subdir == text || platform.text() == text) return std::string(row.subdir);
    }
    return fail(Error{ErrorKind::Usage, fmt::format("unknown platform '{}'", text), {},
                      {"give an OCI platform such as linux/amd64 or linux/arm64, or a conda platform such as linux-64"}});
}

std::vector<std::vector<std::size_t>> layer_groups(const EnvironmentContents& contents, std::size_t max_layers,
                                                   std::uint64_t large_bytes) {
    const auto count = contents.packages.size();
    std::vector<std::vector<std::size_t>> groups;
    const std::size_t budget = std::max<std::size_t>(max_layers, 4) - 1;  // one layer is the environment's
    if (count <= budget) {
        for (std::size_t i = 0; i < count; ++i) groups.push_back({i});
        return groups;
    }
    std::vector<std::size_t> by_size(count);
    for (std::size_t i = 0; i < count; ++i) by_size[i] = i;
    std::stable_sort(by_size.begin(), by_size.end(), [&](std::size_t a, std::size_t b) {
        return contents.packages[a].payload_size > contents.packages[b].payload_size;
    });
    std::set<std::size_t> alone;
    for (const auto i : by_size)
        if (alone.size() < budget / 2 && contents.packages[i].payload_size >= large_bytes) alone.insert(i);
    const std::size_t buckets = budget - alone.size();
    std::map<std::uint64_t, std::size_t> group_of_bucket;  // bucket -> index in groups
    for (std::size_t i = 0; i < count; ++i) {
        if (alone.count(i)) {
            groups.push_back({i});
            continue;
        }
        const auto bucket = fnv1a(contents.packages[i].record.name) % buckets;
        const auto [it, inserted] = group_of_bucket.try_emplace(bucket, groups.size());
        if (inserted) groups.emplace_back();
        groups[it->second].push_back(i);
    }
    return groups;
}

std::vector<std::string> activation_env(const EnvironmentContents& contents, std::string_view prefix,
                                        std::string_view base_path) {
    const auto root = normalized_prefix(prefix);
    std::vector<std::string> env;
    env.push_back(fmt::format("PATH={}/bin:{}", root, base_path.empty() ? default_path : base_path));
    env.push_back(fmt::format("CONDA_PREFIX={}", root));
    env.push_back(fmt::format("CONDA_DEFAULT_ENV={}", root));
    env.push_back("CONDA_SHLVL=1");
    for (const auto& [name, value] : contents.env_vars) env.push_back(fmt::format("{}={}", name, value));
    return env;
}

Result<OciReport> write_oci_image(const EnvironmentContents& contents, const OciOptions& options) {
    const auto prefix = normalized_prefix(options.prefix);
    if (!prefix.starts_with('/') || prefix == "/" || prefix.find("/../") != std::string::npos || prefix.ends_with("/.."))
        return fail(Error{ErrorKind::Usage, fmt::format("--prefix {} is not an absolute folder path", options.prefix), {},
                          {"use an absolute path such as /opt/env"}});
    auto subdir = options.platform.empty() ? Result<std::string>(contents.platform) : subdir_of_platform(options.platform);
    if (!subdir) return fail(std::move(subdir.error()));
    if (!contents.platform.empty() && *subdir != contents.platform)
        return fail(Error{ErrorKind::Usage,
                          fmt::format("the environment is for {}, not {}", contents.platform, options.platform), {}, {}});
    auto platform = oci_platform_of(subdir->empty() ? "linux-64" : *subdir);
    if (!platform) return fail(std::move(platform.error()));
    const auto colon = options.tag.rfind(':');
    const auto ref_name = colon == std::string::npos ? options.tag : options.tag.substr(colon + 1);
    if (ref_name.empty()) return fail(ErrorKind::Usage, fmt::format("--tag {} has an empty tag", options.tag));

    const bool as_tar = options.output.extension() == ".tar";
    std::error_code error;
    std::optional<TemporaryDirectory> staging;
    fs::path layout = options.output;
    if (as_tar) {
        const auto parent = options.output.parent_path().empty() ? fs::path(".") : options.output.parent_path();
        fs::create_directories(parent, error);
        auto made = TemporaryDirectory::create(parent, ".envctl-oci-");
        if (!made) return fail(std::move(made.error()));
        layout = made->path();
        staging = std::move(*made);
    } else if (fs::exists(layout, error) && !fs::exists(layout / "oci-layout", error) && !fs::is_empty(layout, error)) {
        return fail(Error{ErrorKind::Usage, fmt::format("{} exists and is not an OCI image layout", layout.string()), {},
                          {"give a new folder, an existing layout, or a *.tar file"}});
    }
    fs::create_directories(layout / "blobs" / "sha256", error);
    if (error) return fail(ErrorKind::Io, fmt::format("cannot create {}: {}", layout.string(), error.message()));

    OciReport report;
    report.ref_name = ref_name;
    std::optional<Base> base;
    if (!options.base.empty()) {
        auto read = read_base(options.base, options.base_tag, *platform);
        if (!read) return fail(std::move(read.error()));
        base = std::move(*read);
        for (const auto& layer : base->layers) {
            if (auto copied = copy_blob(options.base, layout, layer.value("digest", "")); !copied) return fail(std::move(copied.error()));
            OciLayer described;
            described.digest = layer.value("digest", "");
            described.size = layer.value("size", std::uint64_t{0});
            report.layers.push_back(std::move(described));
        }
        const auto& diff_ids = base->config["rootfs"]["diff_ids"];
        if (!diff_ids.is_array() || diff_ids.size() != base->layers.size())
            return fail(base_error(options.base, "its config's rootfs.diff_ids do not match its layers"));
        for (std::size_t i = 0; i < diff_ids.size(); ++i) report.layers[i].diff_id = diff_ids[i].get<std::string>();
        report.base_layers = base->layers.size();
    }

    const auto mtime = source_date_epoch();
    const std::string root = prefix.substr(1);
    json history = base && base->config.contains("history") ? base->config["history"] : json::array();
    const auto created = rfc3339(mtime);
    for (const auto& group : layer_groups(contents, options.max_layers)) {
        std::vector<std::pair<const PackFile*, std::string>> files;
        std::vector<std::string> names;
        for (const auto i : group) {
            const auto& package = contents.packages[i];
            names.push_back(package.record.dist_name());
            for (const auto& file : package.files) files.emplace_back(&file, names.back());
        }
        auto layer = write_layer(layout, files, root, prefix, mtime);
        if (!layer) return fail(std::move(layer.error()));
        layer->packages = names;
        std::string joined;
        for (const auto& name : names) joined += (joined.empty() ? "" : " ") + name;
        history.push_back({{"created", created}, {"created_by", "envctl pack: " + joined}});
        report.layers.push_back(std::move(*layer));
    }
    {
        std::vector<std::pair<const PackFile*, std::string>> files;
        for (const auto& file : contents.other_files) files.emplace_back(&file, "environment");
        auto layer = write_layer(layout, files, root, prefix, mtime);
        if (!layer) return fail(std::move(layer.error()));
        history.push_back({{"created", created}, {"created_by", "envctl pack: environment"}});
        report.layers.push_back(std::move(*layer));
    }

    json config = base ? base->config : json::object();
    json runtime = config.contains("config") && config["config"].is_object() ? config["config"] : json::object();
    std::string base_path;
    std::vector<std::string> base_env;
    if (runtime.contains("Env") && runtime["Env"].is_array())
        for (const auto& variable : runtime["Env"]) {
            const auto text = variable.get<std::string>();
            if (text.starts_with("PATH=")) base_path = text.substr(5);
            else base_env.push_back(text);
        }
    report.env = activation_env(contents, prefix, base_path);
    // The base's variables first, except those the environment sets (CONDA_PREFIX of a base
    // that is itself an environment, ...).
    std::set<std::string> ours;
    for (const auto& variable : report.env) ours.insert(variable.substr(0, variable.find('=')));
    json env = json::array();
    for (const auto& variable : base_env)
        if (!ours.count(variable.substr(0, variable.find('=')))) env.push_back(variable);
    for (const auto& variable : report.env) env.push_back(variable);
    runtime["Env"] = env;
    if (!options.entrypoint.empty()) {
        runtime["Entrypoint"] = options.entrypoint;
        runtime.erase("Cmd");
    }
    if (!options.cmd.empty()) runtime["Cmd"] = options.cmd;
    if (!options.working_dir.empty()) runtime["WorkingDir"] = options.working_dir;
    else if (!runtime.contains("WorkingDir") || runtime["WorkingDir"].get<std::string>().empty()) runtime["WorkingDir"] = "/";
    runtime["Labels"]["org.opencontainers.image.title"] = options.tag;
    config["config"] = runtime;
    config["created"] = created;
    config["architecture"] = platform->architecture;
    config["os"] = platform->os;
    if (!platform->variant.empty()) config["variant"] = platform->variant;
    json diff_ids = json::array();
    for (const auto& layer : report.layers) diff_ids.push_back(layer.diff_id);
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", diff_ids}};
    config["history"] = history;
    const auto config_text = config.dump();
    auto config_digest = put_blob(layout, config_text);
    if (!config_digest) return fail(std::move(config_digest.error()));
    report.config_digest = *config_digest;

    json layers = json::array();
    for (std::size_t i = 0; i < report.layers.size(); ++i)
        layers.push_back(i < report.base_layers ? base->layers[i] : descriptor(layer_type, report.layers[i].digest, report.layers[i].size));
    const json manifest = {{"schemaVersion", 2},
                           {"mediaType", manifest_type},
                           {"config", descriptor(config_type, *config_digest, config_text.size())},
                           {"layers", layers}};
    const auto manifest_text = manifest.dump();
    auto manifest_digest = put_blob(layout, manifest_text);
    if (!manifest_digest) return fail(std::move(manifest_digest.error()));
    report.manifest_digest = *manifest_digest;

    json index = {{"schemaVersion", 2}, {"mediaType", index_type}, {"manifests", json::array()}};
    if (auto existing = read_file(layout / "index.json"); existing) {
        auto parsed = json::parse(*existing, nullptr, false);
        if (parsed.is_object() && parsed.contains("manifests") && parsed["manifests"].is_array())
            for (const auto& entry : parsed["manifests"])
                if (!entry.contains("annotations") || entry["annotations"].value(std::string(ref_name_key), "") != ref_name)
                    index["manifests"].push_back(entry);
    }
    json entry = descriptor(manifest_type, *manifest_digest, manifest_text.size());
    entry["annotations"] = {{std::string(ref_name_key), ref_name}, {"io.containerd.image.name", options.tag}};
    entry["platform"] = {{"os", platform->os}, {"architecture", platform->architecture}};
    if (!platform->variant.empty()) entry["platform"]["variant"] = platform->variant;
    index["manifests"].push_back(entry);
    if (auto ok = write_file_atomic(layout / "index.json", index.dump()); !ok) return fail(std::move(ok.error()));
    if (auto ok = write_file_atomic(layout / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !ok) return fail(std::move(ok.error()));
    if (as_tar)
        if (auto ok = tar_layout(layout, options.output, mtime); !ok) return fail(std::move(ok.error()));
    return report;
}

}  // namespace envctl::pack
