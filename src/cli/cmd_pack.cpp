// envctl pack (-p PREFIX | -n NAME | -f LOCKFILE) [--format tar|oci] [-o OUTPUT] [--platform P]
//             [--category C ...] [--prefix /opt/env] [--base none|LAYOUT[:TAG]] [--entrypoint CMD]
//             [--cmd CMD] [--workdir DIR] [--tag NAME:TAG] [--max-layers N] [--json]
// A relocatable archive of an environment (tar) or an OCI image layout (oci); docs/packing.md.
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/conda/platform.hpp"
#include "envctl/fetch/fetch.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/net/options.hpp"
#include "envctl/ops/create.hpp"
#include "envctl/ops/install.hpp"
#include "envctl/ops/lock_install.hpp"
#include "envctl/pack/oci.hpp"
#include "envctl/pack/tar_pack.hpp"
#include "envctl/spec/environment.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

struct PackOptions {
    std::string prefix;       // -p: the environment to pack
    std::string long_prefix;  // --prefix: the environment, or with --format oci and another input, the image's location
    std::string name;
    std::string file;
    std::string format = "tar";
    std::string output;
    std::string platform;
    std::vector<std::string> categories;
    std::string image_prefix;
    std::string base = "none";
    std::string entrypoint;
    std::string cmd;
    std::string workdir;
    std::string tag = "env:latest";
    std::size_t max_layers = 64;
};

// "python -m app" -> ["python", "-m", "app"]; a JSON array is taken as it is.
Result<std::vector<std::string>> command_words(const std::string& text, std::string_view option) {
    if (text.empty()) return std::vector<std::string>{};
    if (text.starts_with('[')) {
        auto parsed = json::parse(text, nullptr, false);
        if (!parsed.is_array() || parsed.empty())
            return fail(ErrorKind::Usage, fmt::format("{} {}: expected a JSON array of strings", option, text));
        std::vector<std::string> words;
        for (const auto& word : parsed) {
            if (!word.is_string()) return fail(ErrorKind::Usage, fmt::format("{} {}: expected a JSON array of strings", option, text));
            words.push_back(word.get<std::string>());
        }
        return words;
    }
    std::vector<std::string> words;
    std::string word;
    for (const char c : text) {
        if (c == ' ' || c == '\t') {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

Result<fs::path> existing_prefix(const PackOptions& options, const config::Config& config) {
    ops::CreateRequest request;
    request.prefix = options.prefix;
    request.name = options.name;
    auto path = ops::create_prefix(request, config, {});
    if (!path) return fail(std::move(path.error()));
    if (!link::is_environment(*path))
        return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment", path->string()), {},
                          {"create it first with `envctl create`, or pack a lockfile with -f"}});
    return path;
}

// The lockfile's packages, from the package cache (downloaded and verified only when missing).
Result<pack::EnvironmentContents> contents_of_lockfile(const PackOptions& options, const std::string& subdir,
                                                       const config::Config& config, const config::Environment& environment) {
    ops::LockedInstallRequest request;
    request.file = options.file;
    request.mode = ops::LockMode::Locked;  // never relock: a pack is of what the lockfile says
    request.categories = options.categories;
    request.platform = subdir;
    request.check_virtual_packages = false;  // the pack runs elsewhere
    const auto repodata_options = repodata::options_from_config(config, net::network_options(config, environment, user_agent()));
    auto plan = ops::plan_locked_install(request, config, environment, repodata_options);
    if (!plan) return fail(std::move(plan.error()));
    if (!plan->pip_packages.empty() || !plan->pip_requirements.empty())
        std::fputs(fmt::format("warning: {} pip requirement(s) of {} are not packed: envctl does not install pip packages yet\n",
                               plan->pip_packages.size() + plan->pip_requirements.size(), plan->source.string())
                       .c_str(),
                   stderr);
    auto cache = fetch::PackageCache::open(config.pkgs_dirs);
    if (!cache) return fail(std::move(cache.error()));
    std::vector<fetch::PackageRequest> requests;
    for (const auto& record : plan->records) {
        if (record.url.empty())
            return fail(ErrorKind::Input, fmt::format("package {} has no download URL in {}", record.dist_name(), plan->source.string()));
        requests.push_back({record, ops::authenticated_download_url(record, plan->channels)});
    }
    fetch::FetchOptions fetch_options;
    fetch_options.network = net::network_options(config, environment, user_agent());
    auto fetched = fetch::fetch_packages(*cache, requests, fetch_options);
    if (!fetched) return fail(std::move(fetched.error()));
    auto contents = pack::contents_from_packages(*fetched, plan->platform);
    if (!contents) return fail(std::move(contents.error()));
    if (!ops::is_locked_input(options.file))
        if (auto parsed = spec::parse_environment_file(options.file); parsed) contents->env_vars = parsed->variables;
    return contents;
}

// --prefix means the environment to pack (as in every envctl command), except for an OCI image
// whose input is given otherwise (-p, -n, -f): then it is where the environment lies in the image.
Result<PackOptions> resolved_options(PackOptions options) {
    if (!options.long_prefix.empty()) {
        const bool other_input = !options.prefix.empty() || !options.name.empty() || !options.file.empty();
        if (options.format == "oci" && other_input) {
            if (!options.image_prefix.empty() && options.image_prefix != options.long_prefix)
                return fail(ErrorKind::Usage, "--prefix and --image-prefix disagree on where the environment lies in the image");
            options.image_prefix = options.long_prefix;
        } else if (options.prefix.empty()) {
            options.prefix = options.long_prefix;
        } else {
            return fail(ErrorKind::Usage, "-p and --prefix both name the environment to pack");
        }
    }
    if (options.image_prefix.empty()) options.image_prefix = "/opt/env";
    return options;
}

int run_pack(const GlobalOptions& global, const PackOptions& given) {
    auto resolved = resolved_options(given);
    if (!resolved) return report_error(global, resolved.error());
    const PackOptions& options = *resolved;
    const int inputs = !options.prefix.empty() + !options.name.empty() + !options.file.empty();
    if (inputs != 1)
        return report_error(global, Error{ErrorKind::Usage, "give exactly one of -p PREFIX, -n NAME or -f LOCKFILE", {}, {}});
    if (options.format != "tar" && options.format != "oci")
        return report_error(global, Error{ErrorKind::Usage, fmt::format("unknown --format {}", options.format), {}, {"use tar or oci"}});
    const fs::path tar_output = options.output.empty() ? "env.tar.zst" : options.output;
    if (options.format == "tar")  // before reading the environment, which may take a while
        if (auto compression = pack::compression_for(tar_output); !compression) return report_error(global, compression.error());
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    const auto& config = loaded->config;

    std::string subdir;
    if (!options.platform.empty()) {
        auto parsed = pack::subdir_of_platform(options.platform);
        if (!parsed) return report_error(global, parsed.error());
        subdir = *parsed;
    }
    Result<pack::EnvironmentContents> contents = fail(ErrorKind::Internal, "no input");
    if (!options.file.empty()) {
        contents = contents_of_lockfile(options, subdir.empty() ? std::string(conda::host_subdir()) : subdir, config, environment);
    } else {
        auto prefix = existing_prefix(options, config);
        if (!prefix) return report_error(global, prefix.error());
        contents = pack::contents_from_prefix(*prefix);
        if (contents && !subdir.empty() && !contents->platform.empty() && contents->platform != subdir)
            return report_error(global, Error{ErrorKind::Usage,
                                              fmt::format("{} holds {} packages, not {}", prefix->string(), contents->platform, subdir), {}, {}});
    }
    if (!contents) return report_error(global, contents.error());

    if (options.format == "tar") {
        pack::TarPackOptions tar;
        tar.output = tar_output;
        auto report = pack::write_tar_pack(*contents, tar);
        if (!report) return report_error(global, report.error());
        if (global.json) {
            print_json({{"success", true}, {"format", "tar"}, {"output", tar.output.string()}, {"packages", report->packages},
                        {"entries", report->entries}, {"placeholder_files", report->placeholder_files},
                        {"bytes", report->archive_bytes}, {"sha256", report->sha256}, {"platform", contents->platform}});
        } else if (!global.quiet) {
            std::fputs(fmt::format("Packed {} packages ({} entries, {} with prefix placeholders) into {} ({} bytes, sha256 {})\n",
                                   report->packages, report->entries, report->placeholder_files, tar.output.string(),
                                   report->archive_bytes, report->sha256)
                           .c_str(),
                       stdout);
        }
        return exit_codes::ok;
    }

    pack::OciOptions oci;
    oci.output = options.output.empty() ? "env-oci" : options.output;
    oci.prefix = options.image_prefix;
    oci.tag = options.tag;
    oci.platform = options.platform;
    oci.working_dir = options.workdir;
    oci.max_layers = options.max_layers;
    if (options.base != "none" && !options.base.empty()) {
        // LAYOUT[:TAG], as skopeo's oci: transport writes it; a folder holding ':' wins.
        const auto colon = options.base.rfind(':');
        if (colon != std::string::npos && !fs::exists(options.base)) {
            oci.base = options.base.substr(0, colon);
            oci.base_tag = options.base.substr(colon + 1);
        } else {
            oci.base = options.base;
        }
    }
    auto entrypoint = command_words(options.entrypoint, "--entrypoint");
    if (!entrypoint) return report_error(global, entrypoint.error());
    oci.entrypoint = *entrypoint;
    auto cmd = command_words(options.cmd, "--cmd");
    if (!cmd) return report_error(global, cmd.error());
    oci.cmd = *cmd;
    auto report = pack::write_oci_image(*contents, oci);
    if (!report) return report_error(global, report.error());
    if (global.json) {
        json layers = json::array();
        for (const auto& layer : report->layers)
            layers.push_back({{"digest", layer.digest}, {"diff_id", layer.diff_id}, {"size", layer.size}, {"packages", layer.packages}});
        print_json({{"success", true}, {"format", "oci"}, {"output", oci.output.string()}, {"ref_name", report->ref_name},
                    {"manifest_digest", report->manifest_digest}, {"config_digest", report->config_digest},
                    {"base_layers", report->base_layers}, {"layers", layers}, {"env", report->env},
                    {"packages", contents->packages.size()}, {"platform", contents->platform}});
    } else if (!global.quiet) {
        std::fputs(fmt::format("Wrote OCI image {}:{} ({} packages in {} layers{}, files at {}), manifest {}\n", oci.output.string(),
                               report->ref_name, contents->packages.size(), report->layers.size() - report->base_layers,
                               report->base_layers ? fmt::format(" on {} base layers", report->base_layers) : "", oci.prefix,
                               report->manifest_digest)
                       .c_str(),
                   stdout);
    }
    return exit_codes::ok;
}

}  // namespace

void add_pack_command(CommandContext context) {
    auto options = std::make_shared<PackOptions>();
    auto* command = context.app.add_subcommand(
        "pack", "Pack an environment or a lockfile into a relocatable archive (--format tar) or an OCI image (--format oci)");
    command->add_option("-p", options->prefix, "Environment to pack");
    command->add_option("--prefix", options->long_prefix,
                        "Environment to pack; with --format oci and -p/-n/-f, where the environment lies in the image (default /opt/env)");
    command->add_option("-n,--name", options->name, "Name of the environment to pack (in the first envs_dirs folder)");
    command->add_option("-f,--file", options->file,
                        "Lockfile (conda-lock or @EXPLICIT) to pack from the package cache, or an environment file whose lockfile is current");
    command->add_option("--format", options->format, "tar (default) or oci");
    command->add_option("-o,--output", options->output,
                        "Archive to write (tar: *.tar.zst, *.tar.gz, *.tar; default env.tar.zst) or OCI layout folder or *.tar (default env-oci)");
    command->add_option("--platform", options->platform, "Platform: linux/amd64 or linux-64 style (default: this machine's, or the prefix's)");
    command->add_option("--category", options->categories, "Lockfile categories to pack (repeatable; default: main)");
    command->add_option("--image-prefix", options->image_prefix, "oci: where the environment lies in the image (default /opt/env)");
    command->add_option("--base", options->base, "oci: base image as an OCI layout folder[:TAG], or none (default)");
    command->add_option("--entrypoint", options->entrypoint, "oci: the image's Entrypoint (words, or a JSON array)");
    command->add_option("--cmd", options->cmd, "oci: the image's Cmd (words, or a JSON array)");
    command->add_option("--workdir", options->workdir, "oci: the image's WorkingDir (default: the base's, else /)");
    command->add_option("--tag", options->tag, "oci: NAME:TAG of the image; index.json names it TAG (default env:latest)");
    command->add_option("--max-layers", options->max_layers, "oci: at most this many layers for the environment (default 64)");
    command->callback([context, options] {
        context.selected = [global = &context.global, options] { return run_pack(*global, *options); };
    });
}

}  // namespace envctl::cli
