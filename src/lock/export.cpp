// Exporting a prefix as an environment file, an explicit file or a lockfile.
#include "envctl/lock/export.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/lock/check.hpp"
#include "envctl/lock/explicit.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/spec/environment.hpp"
#include "envctl/util/url.hpp"
#include "yaml_text.hpp"

namespace envctl::lock {

namespace {

struct EnvironmentDocument {
    std::string name;
    std::vector<std::string> channels;
    std::vector<std::string> dependencies;
    std::vector<std::string> pip;
};

std::string channel_display(const std::string& channel_url, const conda::ChannelContext& context) {
    if (auto channel = conda::Channel::resolve(channel_url, context)) return channel->name();
    return strip_credentials(channel_url);
}

// Channels of the installed records, most packages first (ties: name order).
std::vector<std::string> channels_in_use(const Prefix& prefix, const conda::ChannelContext& context) {
    std::map<std::string, std::size_t> counts;
    for (const auto& package : prefix.packages)
        if (!package.record.channel.empty()) ++counts[channel_display(package.record.channel, context)];
    std::vector<std::pair<std::string, std::size_t>> sorted(counts.begin(), counts.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    std::vector<std::string> out;
    out.reserve(sorted.size());
    for (const auto& [name, count] : sorted) out.push_back(name);
    return out;
}

std::string prefix_name(const Prefix& prefix, const ExportOptions& options) {
    if (!options.name.empty()) return options.name;
    auto path = prefix.path.lexically_normal();
    if (path.filename().empty()) path = path.parent_path();
    return path.filename().string();
}

Result<EnvironmentDocument> environment_document(const Prefix& prefix, const ExportOptions& options) {
    EnvironmentDocument document;
    document.name = prefix_name(prefix, options);
    document.channels = channels_in_use(prefix, options.channel_context);
    if (options.from_history) {
        document.dependencies = requested_specs_from_history(options.history_text);
        if (document.dependencies.empty())
            for (const auto& package : prefix.packages)
                for (const auto& spec : package.requested_specs) document.dependencies.push_back(spec);
        if (document.dependencies.empty())
            return fail(Error{ErrorKind::Input,
                              fmt::format("{} records no requested specs (conda-meta/history has no '# update specs:' line)",
                                          prefix.path.string()),
                              std::nullopt, {"export without --from-history to pin every installed package"}});
        for (const auto& dist : prefix.pip)
            if (dist.requested) document.pip.push_back(dist.name);
        return document;
    }
    for (const auto& package : prefix.packages) {
        const auto& record = package.record;
        document.dependencies.push_back(options.no_builds ? fmt::format("{}={}", record.name, record.version.str())
                                                          : fmt::format("{}={}={}", record.name, record.version.str(), record.build));
    }
    for (const auto& dist : prefix.pip) document.pip.push_back(fmt::format("{}=={}", dist.name, dist.version));
    return document;
}

std::string environment_text(const EnvironmentDocument& document) {
    std::string out = "name: " + yaml_scalar(document.name) + "\n";
    out += document.channels.empty() ? "channels: []\n" : "channels:\n";
    for (const auto& channel : document.channels) out += "  - " + yaml_scalar(channel) + "\n";
    out += "dependencies:\n";
    for (const auto& dependency : document.dependencies) out += "  - " + yaml_scalar(dependency) + "\n";
    if (!document.pip.empty()) {
        out += "  - pip:\n";
        for (const auto& line : document.pip) out += "    - " + yaml_scalar(line) + "\n";
    }
    return out;
}

Status require_urls(const Prefix& prefix) {
    for (const auto& package : prefix.packages)
        if (package.record.url.empty())
            return fail(Error{ErrorKind::Input,
                              fmt::format("{} records no download URL for {}", package.meta_file.string(), package.record.name),
                              std::nullopt, {"export --format environment instead"}});
    return {};
}

Result<std::string> lock_text(const Prefix& prefix, const ExportOptions& options) {
    if (auto status = require_urls(prefix); !status) return fail(std::move(status.error()));
    const auto platform = prefix.platform(options.fallback_platform);
    ExportOptions pinned = options;
    pinned.from_history = false;
    pinned.no_builds = false;
    auto document = environment_document(prefix, pinned);
    if (!document) return fail(std::move(document.error()));
    // The content hash is defined over an environment file: the one with exact pins.
    auto environment = spec::parse_environment_yaml(environment_text(*document), "export");
    if (!environment) return fail(std::move(environment.error()));
    Lockfile lockfile;
    auto& meta = lockfile.metadata;
    meta.platforms = {platform};
    meta.sources = {prefix.path.generic_string()};
    HashInputs inputs;
    for (const auto& channel : document->channels) meta.channels.push_back(LockChannel{strip_credentials(channel), {}});
    inputs.channels = meta.channels;
    inputs.pip = document->pip;
    if (!document->pip.empty()) meta.custom_metadata[std::string(kPipMetadataKey)] = fmt::format("{}", fmt::join(document->pip, "\n"));
    meta.content_hash[platform] = content_hash(*environment, inputs, platform);
    for (const auto& package : prefix.packages) lockfile.packages.push_back(from_record(package.record, platform));
    return format_lockfile(lockfile);
}

}  // namespace

Result<std::string> export_prefix(const Prefix& prefix, const ExportOptions& options) {
    switch (options.format) {
        case ExportFormat::Environment: {
            auto document = environment_document(prefix, options);
            if (!document) return fail(std::move(document.error()));
            return environment_text(*document);
        }
        case ExportFormat::Explicit: {
            if (auto status = require_urls(prefix); !status) return fail(std::move(status.error()));
            std::vector<conda::PackageRecord> records;
            for (const auto& package : prefix.packages) records.push_back(package.record);
            return format_explicit(records, prefix.platform(options.fallback_platform));
        }
        case ExportFormat::Lock: return lock_text(prefix, options);
    }
    return fail(ErrorKind::Internal, "unknown export format");
}

Result<nlohmann::json> export_environment_json(const Prefix& prefix, const ExportOptions& options) {
    auto document = environment_document(prefix, options);
    if (!document) return fail(std::move(document.error()));
    return nlohmann::json{{"name", document->name},
                          {"channels", document->channels},
                          {"dependencies", document->dependencies},
                          {"pip", document->pip}};
}

}  // namespace envctl::lock
