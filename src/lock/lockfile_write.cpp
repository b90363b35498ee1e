// Writing conda-lock v1 files: fixed layout, fixed key order, sorted packages.
#include <algorithm>
#include <tuple>

#include "envctl/lock/lockfile.hpp"
#include "yaml_text.hpp"

namespace envctl::lock {

namespace {

constexpr std::string_view kHeader =
    "# This lockfile was written by envctl (envctl lock). Do not edit it by hand.\n"
    "# Format: conda-lock v1 (CEP 37); conda-lock and micromamba read it too.\n"
    "# Install:  envctl create -f <this file> -p PREFIX\n"
    "# Update:   envctl lock -f <environment file> [--update NAME ...]\n";

void line(std::string& out, int indent, std::string_view text) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += text;
    out += '\n';
}

void key_value(std::string& out, int indent, std::string_view key, std::string_view value) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += key;
    out += ": ";
    out += yaml_scalar(value);
    out += '\n';
}

void string_map(std::string& out, int indent, std::string_view key, const std::map<std::string, std::string>& values) {
    if (values.empty()) return;
    line(out, indent, std::string(key) + ":");
    for (const auto& [name, value] : values) key_value(out, indent + 2, yaml_scalar(name), value);
}

void write_metadata(std::string& out, const LockMetadata& meta) {
    line(out, 0, "metadata:");
    if (meta.content_hash.empty()) line(out, 2, "content_hash: {}");
    else string_map(out, 2, "content_hash", meta.content_hash);
    if (meta.channels.empty()) line(out, 2, "channels: []");
    else line(out, 2, "channels:");
    for (const auto& channel : meta.channels) {
        key_value(out, 2, "- url", channel.url);
        if (channel.used_env_vars.empty()) {
            line(out, 4, "used_env_vars: []");
        } else {
            line(out, 4, "used_env_vars:");
            for (const auto& var : channel.used_env_vars) line(out, 4, "- " + yaml_scalar(var));
        }
    }
    line(out, 2, "platforms:");
    for (const auto& platform : meta.platforms) line(out, 2, "- " + yaml_scalar(platform));
    if (meta.sources.empty()) line(out, 2, "sources: []");
    else line(out, 2, "sources:");
    for (const auto& source : meta.sources) line(out, 2, "- " + yaml_scalar(source));
    if (!meta.created_at.empty()) {
        line(out, 2, "time_metadata:");
        key_value(out, 4, "created_at", meta.created_at);
    }
    string_map(out, 2, "git_metadata", meta.git_metadata);
    if (!meta.inputs_metadata.empty()) {
        line(out, 2, "inputs_metadata:");
        for (const auto& [source, hashes] : meta.inputs_metadata) {
            line(out, 4, yaml_scalar(source) + ":");
            key_value(out, 6, "md5", hashes.md5);
            key_value(out, 6, "sha256", hashes.sha256);
        }
    }
    string_map(out, 2, "custom_metadata", meta.custom_metadata);
}

void write_package(std::string& out, const LockedPackage& entry) {
    key_value(out, 0, "- name", entry.name);
    key_value(out, 2, "version", entry.version);
    key_value(out, 2, "manager", manager_name(entry.manager));
    key_value(out, 2, "platform", entry.platform);
    auto dependencies = entry.dependencies;
    std::stable_sort(dependencies.begin(), dependencies.end(),
                     [](const Dependency& a, const Dependency& b) { return a.name < b.name; });
    if (dependencies.empty()) line(out, 2, "dependencies: {}");
    else line(out, 2, "dependencies:");
    for (const auto& dependency : dependencies)
        line(out, 4, yaml_scalar(dependency.name) + ": " + yaml_scalar(dependency.constraint));
    key_value(out, 2, "url", entry.url);
    line(out, 2, "hash:");
    if (!entry.md5.empty()) key_value(out, 4, "md5", entry.md5);
    if (!entry.sha256.empty()) key_value(out, 4, "sha256", entry.sha256);
    if (!entry.source_url.empty()) {
        line(out, 2, "source:");
        line(out, 4, "type: url");
        key_value(out, 4, "url", entry.source_url);
    }
    if (!entry.build.empty()) key_value(out, 2, "build", entry.build);
    key_value(out, 2, "category", entry.category);
    line(out, 2, entry.optional ? "optional: true" : "optional: false");
}

}  // namespace

void normalize(Lockfile& lockfile) {
    auto& meta = lockfile.metadata;
    std::sort(meta.platforms.begin(), meta.platforms.end());
    meta.platforms.erase(std::unique(meta.platforms.begin(), meta.platforms.end()), meta.platforms.end());
    for (auto& channel : meta.channels) {
        std::sort(channel.used_env_vars.begin(), channel.used_env_vars.end());
        channel.used_env_vars.erase(std::unique(channel.used_env_vars.begin(), channel.used_env_vars.end()),
                                    channel.used_env_vars.end());
    }
    std::stable_sort(lockfile.packages.begin(), lockfile.packages.end(), [](const LockedPackage& a, const LockedPackage& b) {
        return std::tie(a.platform, a.manager, a.name, a.category) < std::tie(b.platform, b.manager, b.name, b.category);
    });
}

std::string format_lockfile(const Lockfile& lockfile) {
    Lockfile sorted = lockfile;
    normalize(sorted);
    std::string out(kHeader);
    out += "version: 1\n";
    write_metadata(out, sorted.metadata);
    if (sorted.packages.empty()) {
        out += "package: []\n";
        return out;
    }
    out += "package:\n";
    for (const auto& entry : sorted.packages) write_package(out, entry);
    return out;
}

}  // namespace envctl::lock
