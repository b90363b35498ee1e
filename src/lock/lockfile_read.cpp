// Reading conda-lock v1 files with yaml-cpp, keeping node positions for errors.
#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "envctl/conda/platform.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/spec/text_spec.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"
#include "utf8.hpp"

namespace envctl::lock {

namespace {

const char* describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Scalar: return "a string";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Null:
        case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

bool is_null(const YAML::Node& node) { return !node.IsDefined() || node.IsNull(); }

class Reader {
public:
    explicit Reader(std::string_view file) : file_(file) {}

    Result<Lockfile> read(const YAML::Node& root) {
        if (!root.IsMap())
            return error(root, fmt::format("expected a conda-lock file (a mapping with version, metadata and "
                                           "package), found {}",
                                           describe(root)));
        std::map<std::string, YAML::Node> keys;
        if (auto status = unique_keys(root, keys); !status) return fail(std::move(status.error()));
        if (auto status = check_version(root, keys); !status) return fail(std::move(status.error()));
        const auto metadata = keys.find("metadata");
        if (metadata == keys.end()) return error(root, "missing 'metadata' (a mapping with content_hash, channels, platforms, sources)");
        if (auto status = read_metadata(metadata->second); !status) return fail(std::move(status.error()));
        const auto packages = keys.find("package");
        if (packages == keys.end()) return error(root, "missing 'package' (the list of locked packages)");
        if (auto status = read_packages(packages->second); !status) return fail(std::move(status.error()));
        for (const auto& [key, node] : keys)
            if (key != "version" && key != "metadata" && key != "package") warn(node, fmt::format("unknown top-level key '{}' ignored", key));
        return std::move(lockfile_);
    }

private:
    std::size_t line_of(const YAML::Node& node) const {
        const auto mark = node.Mark();
        return mark.is_null() || mark.line < 0 ? 0 : static_cast<std::size_t>(mark.line) + 1;
    }
    Location at(const YAML::Node& node) const {
        const auto mark = node.Mark();
        if (mark.is_null() || mark.line < 0) return Location{std::string(file_), 1, 0};
        return Location{std::string(file_), static_cast<std::size_t>(mark.line) + 1,
                        static_cast<std::size_t>(mark.column) + 1};
    }
    tl::unexpected<Error> error(const YAML::Node& node, std::string message) const {
        return fail(Error{ErrorKind::Input, std::move(message), at(node), {}});
    }
    void warn(const YAML::Node& node, std::string message) {
        lockfile_.warnings.push_back(fmt::format("{}:{}: {}", file_, line_of(node), message));
    }

    Status unique_keys(const YAML::Node& map, std::map<std::string, YAML::Node>& out) const {
        for (auto it = map.begin(); it != map.end(); ++it) {
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            if (!key.IsScalar()) return error(key, "expected a key name");
            if (!out.emplace(key.Scalar(), value).second) return error(key, fmt::format("duplicate key '{}'", key.Scalar()));
        }
        return {};
    }

    Result<std::string> scalar(const YAML::Node& node, std::string_view what) const {
        if (!node.IsScalar()) return error(node, fmt::format("expected {} (a string), found {}", what, describe(node)));
        return node.Scalar();
    }

    Status check_version(const YAML::Node& root, const std::map<std::string, YAML::Node>& keys) const {
        if (keys.count("environments") || (keys.count("packages") && !keys.count("package")))
            return fail(Error{ErrorKind::Input, "this is a pixi/rattler lock file, not a conda-lock v1 file; envctl reads only conda-lock v1",
                              at(root), {"convert it with pixi-to-conda-lock, or export an explicit file with `pixi workspace export conda-explicit-spec`"}});
        const auto version = keys.find("version");
        if (version == keys.end() || is_null(version->second)) return {};  // CEP 37: defaults to 1
        const auto& node = version->second;
        if (!node.IsScalar() || !is_ascii_digits(node.Scalar()) || node.Scalar().size() > 9)
            return error(node, fmt::format("expected 'version' to be the positive integer 1, found '{}'",
                                           node.IsScalar() ? node.Scalar() : describe(node)));
        const auto number = std::stol(node.Scalar());
        if (number == 1) return {};
        if (number >= 2 && number <= 7 && keys.count("metadata") && keys.count("package"))
            return fail(Error{ErrorKind::Input,
                              fmt::format("this is a rattler/pixi lock file (version {}), not a conda-lock v1 file", number),
                              at(node), {"relock it with `envctl lock`, or convert it with pixi-to-conda-lock"}});
        if (number == 0) return error(node, "expected 'version' to be the positive integer 1, found '0'");
        return fail(Error{ErrorKind::Input,
                          fmt::format("lock file version {} is too new: envctl reads conda-lock version 1", number),
                          at(node), {"update envctl, or regenerate the lockfile with `envctl lock`"}});
    }

    Result<std::vector<std::string>> string_list(const YAML::Node& node, std::string_view what) const {
        std::vector<std::string> out;
        if (is_null(node)) return out;
        if (!node.IsSequence()) return error(node, fmt::format("expected '{}' to be a list of strings, found {}", what, describe(node)));
        for (const auto& item : node) {
            auto text = scalar(item, fmt::format("an item of '{}'", what));
            if (!text) return fail(std::move(text.error()));
            out.push_back(std::move(*text));
        }
        return out;
    }

    Result<std::map<std::string, std::string>> string_map(const YAML::Node& node, std::string_view what) const {
        std::map<std::string, std::string> out;
        if (is_null(node)) return out;
        if (!node.IsMap()) return error(node, fmt::format("expected '{}' to be a mapping of strings, found {}", what, describe(node)));
        std::map<std::string, YAML::Node> keys;
        if (auto status = unique_keys(node, keys); !status) return fail(std::move(status.error()));
        for (const auto& [key, value] : keys) {
            if (is_null(value)) continue;
            auto text = scalar(value, fmt::format("'{}.{}'", what, key));
            if (!text) return fail(std::move(text.error()));
            out.emplace(key, std::move(*text));
        }
        return out;
    }

    Status read_metadata(const YAML::Node& node) {
        if (!node.IsMap()) return error(node, fmt::format("expected 'metadata' to be a mapping, found {}", describe(node)));
        std::map<std::string, YAML::Node> keys;
        if (auto status = unique_keys(node, keys); !status) return status;
        auto& meta = lockfile_.metadata;
        const auto platforms = keys.find("platforms");
        if (platforms == keys.end() || is_null(platforms->second))
            return error(node, "missing 'metadata.platforms' (the list of platforms the file locks)");
        if (!platforms->second.IsSequence())
            return error(platforms->second, fmt::format("expected 'metadata.platforms' to be a list of subdirs, found {}", describe(platforms->second)));
        for (const auto& item : platforms->second) {
            auto platform = scalar(item, "a platform");
            if (!platform) return fail(std::move(platform.error()));
            if (!conda::is_known_subdir(*platform) || *platform == "noarch")
                return error(item, fmt::format("expected a platform subdir such as linux-64 or osx-arm64, found '{}'", *platform));
            if (std::find(meta.platforms.begin(), meta.platforms.end(), *platform) != meta.platforms.end())
                return error(item, fmt::format("platform '{}' is listed twice", *platform));
            meta.platforms.push_back(std::move(*platform));
        }
        if (meta.platforms.empty()) return error(platforms->second, "'metadata.platforms' is empty: a lockfile locks at least one platform");
        for (const auto& [key, value] : keys) {
            if (key == "platforms") continue;
            if (key == "content_hash") {
                auto hashes = string_map(value, "metadata.content_hash");
                if (!hashes) return fail(std::move(hashes.error()));
                meta.content_hash = std::move(*hashes);
            } else if (key == "channels") {
                if (auto status = read_channels(value); !status) return status;
            } else if (key == "sources") {
                auto sources = string_list(value, "metadata.sources");
                if (!sources) return fail(std::move(sources.error()));
                meta.sources = std::move(*sources);
            } else if (key == "time_metadata") {
                auto time = string_map(value, "metadata.time_metadata");
                if (!time) return fail(std::move(time.error()));
                if (auto created = time->find("created_at"); created != time->end()) meta.created_at = created->second;
            } else if (key == "git_metadata") {
                auto git = string_map(value, "metadata.git_metadata");
                if (!git) return fail(std::move(git.error()));
                meta.git_metadata = std::move(*git);
            } else if (key == "custom_metadata") {
                auto custom = string_map(value, "metadata.custom_metadata");
                if (!custom) return fail(std::move(custom.error()));
                meta.custom_metadata = std::move(*custom);
            } else if (key == "inputs_metadata") {
                if (is_null(value)) continue;
                if (!value.IsMap()) return error(value, "expected 'metadata.inputs_metadata' to be a mapping of source -> {md5, sha256}");
                for (auto it = value.begin(); it != value.end(); ++it) {
                    const YAML::Node source = it->first;
                    auto hashes = string_map(it->second, "metadata.inputs_metadata");
                    if (!hashes) return fail(std::move(hashes.error()));
                    meta.inputs_metadata[source.Scalar()] = InputHashes{(*hashes)["md5"], (*hashes)["sha256"]};
                }
            } else {
                warn(value, fmt::format("unknown key 'metadata.{}' ignored", key));
            }
        }
        return {};
    }

    Status read_channels(const YAML::Node& node) {
        if (is_null(node)) return {};
        if (!node.IsSequence()) return error(node, fmt::format("expected 'metadata.channels' to be a list, found {}", describe(node)));
        for (const auto& item : node) {
            LockChannel channel;
            if (item.IsScalar()) {  // conda-lock also accepts plain strings
                channel.url = item.Scalar();
            } else if (item.IsMap()) {
                auto url = scalar(item["url"], "the channel's 'url'");
                if (!url) return fail(std::move(url.error()));
                channel.url = std::move(*url);
                auto vars = string_list(item["used_env_vars"], "used_env_vars");
                if (!vars) return fail(std::move(vars.error()));
                channel.used_env_vars = std::move(*vars);
            } else {
                return error(item, fmt::format("expected a channel ({{url: ..., used_env_vars: [...]}}), found {}", describe(item)));
            }
            if (channel.url.empty()) return error(item, "a channel's 'url' is empty");
            lockfile_.metadata.channels.push_back(std::move(channel));
        }
        return {};
    }

    Result<std::vector<Dependency>> dependency_map(const YAML::Node& node, std::string_view what) const {
        std::vector<Dependency> out;
        if (is_null(node)) return out;
        if (node.IsSequence()) {  // rattler's v3 files: a list of match spec strings
            for (const auto& item : node) {
                auto text = scalar(item, fmt::format("an item of '{}'", what));
                if (!text) return fail(std::move(text.error()));
                out.push_back(split_dependency(*text));
            }
            return out;
        }
        if (!node.IsMap()) return error(node, fmt::format("expected '{}' to be a mapping of name -> constraint, found {}", what, describe(node)));
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node key = it->first;
            const YAML::Node value = it->second;
            auto name = scalar(key, "a dependency name");
            if (!name) return fail(std::move(name.error()));
            std::string constraint;
            if (!is_null(value)) {
                auto text = scalar(value, fmt::format("the constraint of '{}'", *name));
                if (!text) return fail(std::move(text.error()));
                constraint = std::move(*text);
            }
            out.push_back(Dependency{std::move(*name), std::move(constraint)});
        }
        return out;
    }

    // Pip entries get some slack: conda-lock records a git commit id as the "sha256" of a git
    // requirement, so any hex string is kept for them (with a warning when the length is off).
    Result<std::string> hex_hash(const YAML::Node& node, std::size_t bytes, std::string_view what, bool lenient) {
        if (is_null(node)) return std::string{};
        auto text = scalar(node, what);
        if (!text) return fail(std::move(text.error()));
        auto lowered = to_lower(*text);
        if (lenient && !lowered.empty() && lowered.size() % 2 == 0 && is_hex_digest(lowered, lowered.size() / 2)) {
            if (lowered.size() != bytes * 2) warn(node, fmt::format("{} of {} hex characters kept as it is", what, lowered.size()));
            return lowered;
        }
        if (!is_hex_digest(lowered, bytes))
            return error(node, fmt::format("expected {} ({} hex characters), found '{}'", what, bytes * 2, *text));
        return lowered;
    }

    Status read_packages(const YAML::Node& node) {
        if (is_null(node)) return {};
        if (!node.IsSequence()) return error(node, fmt::format("expected 'package' to be a list of packages, found {}", describe(node)));
        std::map<std::tuple<std::string, Manager, std::string, std::string>, std::size_t> seen;
        for (const auto& item : node) {
            auto entry = read_package(item);
            if (!entry) return fail(std::move(entry.error()));
            const auto key = std::tuple{entry->name, entry->manager, entry->platform, entry->category};
            if (const auto [it, inserted] = seen.emplace(key, entry->line); !inserted)
                return error(item, fmt::format("package '{}' ({}, {}, category {}) is listed twice (first at line {})",
                                               entry->name, manager_name(entry->manager), entry->platform,
                                               entry->category, it->second));
            lockfile_.packages.push_back(std::move(*entry));
        }
        return {};
    }

    Result<std::string> required(const std::map<std::string, YAML::Node>& keys, const YAML::Node& item,
                                 const std::string& key, std::string_view what) const {
        const auto found = keys.find(key);
        if (found == keys.end() || is_null(found->second))
            return error(item, fmt::format("package entry is missing '{}' ({})", key, what));
        return scalar(found->second, fmt::format("'{}'", key));
    }

    Result<LockedPackage> read_package(const YAML::Node& item) {
        if (!item.IsMap()) return error(item, fmt::format("expected a package entry (a mapping), found {}", describe(item)));
        std::map<std::string, YAML::Node> keys;
        if (auto status = unique_keys(item, keys); !status) return fail(std::move(status.error()));
        LockedPackage entry;
        entry.line = line_of(item);
        auto name = required(keys, item, "name", "the package name");
        if (!name) return fail(std::move(name.error()));
        entry.name = std::move(*name);
        auto version = required(keys, item, "version", "the package version");
        if (!version) return fail(std::move(version.error()));
        entry.version = std::move(*version);
        auto manager = required(keys, item, "manager", "conda or pip");
        if (!manager) return fail(std::move(manager.error()));
        if (*manager == "conda") entry.manager = Manager::Conda;
        else if (*manager == "pip") entry.manager = Manager::Pip;
        else return error(keys["manager"], fmt::format("expected 'manager' to be conda or pip, found '{}'", *manager));
        auto platform = required(keys, item, "platform", "one of metadata.platforms");
        if (!platform) return fail(std::move(platform.error()));
        const auto& platforms = lockfile_.metadata.platforms;
        if (std::find(platforms.begin(), platforms.end(), *platform) == platforms.end())
            return error(keys["platform"], fmt::format("platform '{}' of package '{}' is not in metadata.platforms ({})",
                                                       *platform, entry.name, join(platforms, ", ")));
        entry.platform = std::move(*platform);
        auto url = required(keys, item, "url", "the download URL");
        if (!url) return fail(std::move(url.error()));
        entry.url = strip_credentials(*url);
        const auto hash = keys.find("hash");
        if (hash == keys.end() || is_null(hash->second))
            return error(item, fmt::format("package '{}' is missing 'hash' (md5 and/or sha256 of the file)", entry.name));
        if (!hash->second.IsMap()) return error(hash->second, fmt::format("expected 'hash' to be a mapping with md5 and sha256, found {}", describe(hash->second)));
        const bool lenient = entry.manager == Manager::Pip;
        auto md5 = hex_hash(hash->second["md5"], 16, "an md5", lenient);
        if (!md5) return fail(std::move(md5.error()));
        auto sha256 = hex_hash(hash->second["sha256"], 32, "a sha256", lenient);
        if (!sha256) return fail(std::move(sha256.error()));
        entry.md5 = std::move(*md5);
        entry.sha256 = std::move(*sha256);
        if (entry.md5.empty() && entry.sha256.empty())
            return error(hash->second, fmt::format("package '{}' has neither hash.md5 nor hash.sha256", entry.name));
        for (const auto& [key, value] : keys) {
            if (key == "name" || key == "version" || key == "manager" || key == "platform" || key == "url" || key == "hash") continue;
            if (key == "dependencies") {
                auto deps = dependency_map(value, "dependencies");
                if (!deps) return fail(std::move(deps.error()));
                entry.dependencies = std::move(*deps);
            } else if (key == "constrains") {
                auto deps = dependency_map(value, "constrains");
                if (!deps) return fail(std::move(deps.error()));
                entry.constrains = std::move(*deps);
            } else if (key == "category") {
                if (is_null(value)) continue;
                auto category = scalar(value, "'category'");
                if (!category) return fail(std::move(category.error()));
                if (category->empty()) return error(value, "'category' is empty");
                entry.category = std::move(*category);
            } else if (key == "optional") {
                if (is_null(value)) continue;
                auto text = scalar(value, "'optional' (true or false)");
                if (!text) return fail(std::move(text.error()));
                const auto lowered = to_lower(*text);
                if (lowered == "true") entry.optional = true;
                else if (lowered == "false") entry.optional = false;
                else return error(value, fmt::format("expected 'optional' to be true or false, found '{}'", *text));
            } else if (key == "build") {
                if (is_null(value)) continue;
                auto build = scalar(value, "'build'");
                if (!build) return fail(std::move(build.error()));
                entry.build = std::move(*build);
            } else if (key == "source") {
                if (is_null(value)) continue;
                if (!value.IsMap()) return error(value, "expected 'source' to be a mapping {type: url, url: ...}");
                auto source = scalar(value["url"], "'source.url'");
                if (!source) return fail(std::move(source.error()));
                entry.source_url = strip_credentials(*source);
            } else {
                warn(value, fmt::format("unknown key '{}' of package '{}' ignored", key, entry.name));
            }
        }
        return entry;
    }

    std::string_view file_;
    Lockfile lockfile_;
};

}  // namespace

std::string_view manager_name(Manager manager) { return manager == Manager::Pip ? "pip" : "conda"; }

FileKind detect_kind(std::string_view text) {
    if (spec::is_explicit_text(text)) return FileKind::Explicit;
    bool has_package = false, has_metadata = false, has_version = false, has_environments = false;
    for (const auto raw : split(text, '\n')) {
        const auto line = !raw.empty() && raw.back() == '\r' ? raw.substr(0, raw.size() - 1) : raw;
        if (line.find("\"lockVersion\"") != std::string_view::npos) return FileKind::MambaJs;
        if (line.rfind("package:", 0) == 0) has_package = true;
        else if (line.rfind("metadata:", 0) == 0) has_metadata = true;
        else if (line.rfind("version:", 0) == 0) has_version = true;
        else if (line.rfind("environments:", 0) == 0) has_environments = true;
        else if (line.rfind("packages:", 0) == 0 && has_version) has_environments = true;
    }
    if (has_environments) return FileKind::PixiLock;
    if (has_package && has_metadata) return FileKind::CondaLockV1;
    return FileKind::Other;
}

bool is_lockfile_name(std::string_view filename) {
    const auto name = to_lower(filename);
    for (const std::string_view suffix : {"-lock.yml", "-lock.yaml", "conda-lock.yml", "conda-lock.yaml"})
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
    return false;
}

Result<Lockfile> parse_lockfile(std::string_view text, std::string_view display_name) {
    if (const auto bad = first_invalid_utf8(text))
        return fail(Error{ErrorKind::Input, "the file is not UTF-8 text", Location{std::string(display_name), *bad, 0}, {}});
    if (detect_kind(text) == FileKind::MambaJs)
        return fail(Error{ErrorKind::Input, "this is a mambajs JSON lock file, not a conda-lock v1 file; envctl reads only conda-lock v1",
                          Location{std::string(display_name), 1, 1}, {}});
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& exception) {
        const auto line = exception.mark.is_null() || exception.mark.line < 0 ? 1 : static_cast<std::size_t>(exception.mark.line) + 1;
        const auto column = exception.mark.is_null() || exception.mark.column < 0 ? 0 : static_cast<std::size_t>(exception.mark.column) + 1;
        return fail(Error{ErrorKind::Input, fmt::format("invalid YAML: {}", exception.msg),
                          Location{std::string(display_name), line, column}, {}});
    }
    try {
        return Reader(display_name).read(root);
    } catch (const YAML::Exception& exception) {  // conversions of malformed nodes
        return fail(Error{ErrorKind::Input, fmt::format("invalid lockfile: {}", exception.msg),
                          Location{std::string(display_name), exception.mark.is_null() ? 1 : static_cast<std::size_t>(exception.mark.line) + 1, 0}, {}});
    }
}

Result<Lockfile> read_lockfile(const std::filesystem::path& file) {
    auto text = read_file(file);
    if (!text) return fail(std::move(text.error()));
    return parse_lockfile(*text, file.string());
}

std::vector<const LockedPackage*> select_packages(const Lockfile& lockfile, std::string_view platform,
                                                  std::span<const std::string> categories) {
    std::vector<const LockedPackage*> out;
    std::set<std::pair<std::string_view, Manager>> seen;
    for (const auto& category : categories)
        for (const auto& entry : lockfile.packages)
            if (entry.platform == platform && entry.category == category && seen.emplace(entry.name, entry.manager).second)
                out.push_back(&entry);
    std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a < b; });  // file order
    return out;
}

}  // namespace envctl::lock
