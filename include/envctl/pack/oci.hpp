#pragma once
// OCI images (image-spec 1.0) made straight from an environment's files, without a container
// daemon: an image layout folder (oci-layout, index.json, blobs/sha256/...) or the same layout
// as one tar file. specs/pack-format.md describes what is written.
//
// The environment's files are placed at `prefix` (default /opt/env) with their placeholders
// replaced for it and conda-meta records written, so the image's environment is an ordinary
// envctl/conda prefix. Packages are grouped into layers (layer_groups) and every layer is a
// deterministic gzip'd tar, so the same packages give the same layer digest in every image
// that holds them, and the same lockfile gives the same image digest.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pack/contents.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pack {

struct OciPlatform {
    std::string os;            // "linux"
    std::string architecture;  // "amd64"
    std::string variant;       // "v7" for linux-armv7l, else ""
    std::string text() const;  // "linux/amd64", "linux/arm/v7"
};
// linux-64 -> linux/amd64, linux-aarch64 -> linux/arm64, osx-arm64 -> darwin/arm64, ...
Result<OciPlatform> oci_platform_of(std::string_view subdir);
// The conda subdir of "linux/amd64" (or of a subdir given as is, e.g. "linux-64").
Result<std::string> subdir_of_platform(std::string_view text);

// Which packages share a layer, as indices into contents.packages, in layer order. With at
// most `max_layers` - 1 packages, one layer each. Otherwise packages whose files take at least
// `large_bytes` get their own layer (the largest first, up to half of the layers) and the rest
// share the remaining layers, bucketed by a hash of their name, so a package that changes only
// changes the layer of its bucket.
std::vector<std::vector<std::size_t>> layer_groups(const EnvironmentContents& contents, std::size_t max_layers,
                                                   std::uint64_t large_bytes = 32ull << 20);

struct OciOptions {
    std::filesystem::path output;  // a folder (created, or an existing layout to add to), or *.tar
    std::string prefix = "/opt/env";
    std::string tag = "latest";    // "NAME:TAG" or "TAG": index.json's ref.name is TAG
    std::vector<std::string> entrypoint;  // empty: the base image's (none without a base)
    std::vector<std::string> cmd;
    std::string working_dir;       // empty: the base image's, else "/"
    std::string platform;          // "linux/amd64"; empty: the environment's
    std::filesystem::path base;    // an OCI layout folder; empty: no base image
    std::string base_tag;          // ref.name in the base layout; empty: its only (or first) image
    std::size_t max_layers = 64;   // layers made for the environment (the base's not counted)
};

struct OciLayer {
    std::string digest;   // "sha256:..." of the gzip'd tar
    std::string diff_id;  // "sha256:..." of the tar
    std::uint64_t size = 0;
    std::vector<std::string> packages;  // dist names; empty for base layers and the environment layer
};

struct OciReport {
    std::string manifest_digest;
    std::string config_digest;
    std::string ref_name;
    std::size_t base_layers = 0;
    std::vector<OciLayer> layers;  // base layers first
    std::vector<std::string> env;  // the config's Env
};

// The activation variables of the image's config: PATH (prefix/bin first, then the base
// image's PATH or the usual system one), CONDA_PREFIX, CONDA_DEFAULT_ENV, CONDA_SHLVL=1, then
// conda-meta/state's env_vars.
std::vector<std::string> activation_env(const EnvironmentContents& contents, std::string_view prefix,
                                        std::string_view base_path);

Result<OciReport> write_oci_image(const EnvironmentContents& contents, const OciOptions& options);

}  // namespace envctl::pack
