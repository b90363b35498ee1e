// Loading: every source becomes a layer of (key -> value, origin); the layers are then resolved
// key by key, highest precedence first, as the registry says (replace or combine).
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "envctl/config/config.hpp"
#include "envctl/config/registry.hpp"
#include "envctl/util/fs.hpp"
#include "values.hpp"

extern char** environ;

namespace envctl::config {

namespace fs = std::filesystem;

std::optional<std::string> Environment::get(std::string_view name) const {
    const auto found = variables.find(std::string(name));
    if (found == variables.end() || found->second.empty()) return std::nullopt;
    return found->second;
}

Environment Environment::from_process() {
    Environment environment;
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals == std::string_view::npos || equals == 0) continue;
        environment.variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    if (auto home = environment.get("HOME")) {
        environment.home = *home;
    } else {
        std::vector<char> buffer(16384);
        passwd entry{};
        passwd* found = nullptr;
        if (getpwuid_r(getuid(), &entry, buffer.data(), buffer.size(), &found) == 0 && found) environment.home = found->pw_dir;
    }
    return environment;
}

std::string Origin::to_string() const {
    switch (kind) {
        case Kind::Default: return "default";
        case Kind::File: return line ? fmt::format("{}:{}", file, line) : file;
        case Kind::Variable: return "$" + variable;
        case Kind::CommandLine: return "command line";
    }
    return "default";
}

namespace {

// $NAME when set and absolute, else ~/<fallback>.
fs::path xdg_dir(const Environment& environment, std::string_view name, std::string_view fallback) {
    if (auto value = environment.get(name); value && fs::path(*value).is_absolute()) return *value;
    return environment.home / std::string(fallback);
}

std::optional<Value> machine_default(const KeyInfo& key, const Environment& environment) {
    const auto cache = xdg_dir(environment, "XDG_CACHE_HOME", ".cache") / "envctl";
    if (key.name == "root_prefix") return (xdg_dir(environment, "XDG_DATA_HOME", ".local/share") / "envctl").string();
    if (key.name == "pkgs_dirs") return std::vector<std::string>{(cache / "pkgs").string()};
    if (key.name == "repodata_cache_dir") return (cache / "repodata").string();
    if (key.name == "netrc_file") return environment.get("NETRC").value_or((environment.home / ".netrc").string());
    if (key.name == "envs_dirs") return std::vector<std::string>{};  // <root_prefix>/envs, filled after resolution
    return std::nullopt;
}

Value default_value(const KeyInfo& key, const Environment& environment) {
    if (auto value = machine_default(key, environment)) return *value;
    auto parsed = detail::parse_node(key, YAML::Load(std::string(key.default_value)), &environment, "<registry>");
    if (!parsed || !*parsed) throw std::logic_error(fmt::format("bad registry default for {}", key.name));
    return **parsed;
}

struct Entry {
    Value value;
    Origin origin;
};
using Layer = std::map<std::string, Entry, std::less<>>;

Error file_error(const fs::path& file, const YAML::Mark& mark, std::string message) {
    Location location{file.string(), mark.line >= 0 ? static_cast<std::size_t>(mark.line) + 1 : 0,
                      mark.column >= 0 ? static_cast<std::size_t>(mark.column) + 1 : 0};
    return Error{ErrorKind::Input, std::move(message), std::move(location), {}};
}

Result<Layer> read_layer(const fs::path& file, bool is_envctl_file, const Environment& environment,
                         std::vector<std::string>& warnings) {
    auto text = read_file(file);
    if (!text) return fail(text.error());
    if (auto where = detail::invalid_utf8(*text, file.string()))
        return fail(Error{ErrorKind::Input, "not valid UTF-8 text", std::move(where), {}});
    YAML::Node root;
    try {
        root = YAML::Load(*text);
    } catch (const YAML::ParserException& error) {
        return fail(file_error(file, error.mark, fmt::format("invalid YAML: {}", error.msg)));
    }
    Layer layer;
    if (!root || root.IsNull()) return layer;
    if (!root.IsMap()) return fail(file_error(file, root.Mark(), "expected a mapping of `key: value` lines at the top level"));
    for (const auto& entry : root) {
        if (!entry.first.IsScalar()) return fail(file_error(file, entry.first.Mark(), "expected a plain key"));
        const auto& name = entry.first.Scalar();
        const KeyInfo* key = find_key(name);
        if (!key) {
            // .condarc files hold many conda keys envctl does not use; only the envctl file warns.
            if (is_envctl_file) {
                const auto line = entry.first.Mark().line + 1;
                auto suggestion = closest_key(name);
                warnings.push_back(fmt::format("{}:{}: unknown key '{}' ignored{}", file.string(), line, name,
                                               suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
            }
            continue;
        }
        if (!key->condarc && !is_envctl_file) continue;  // conda's meaning of the key may differ
        auto value = detail::parse_node(*key, entry.second, &environment, file.string());
        if (!value) return fail(value.error());
        if (!*value) continue;
        layer[name] = Entry{std::move(**value),
                            Origin{Origin::Kind::File, file.string(), static_cast<std::size_t>(entry.first.Mark().line) + 1, {}}};
    }
    return layer;
}

Result<Layer> variables_layer(const Environment& environment) {
    Layer layer;
    for (const auto& key : registry()) {
        const auto variable = key.env_var();
        const auto text = environment.get(variable);
        if (!text) continue;
        auto value = parse_text(key, *text, &environment);
        if (!value) return fail(std::move(value.error()).with_context("$" + variable));
        layer[std::string(key.name)] = Entry{std::move(*value), Origin{Origin::Kind::Variable, {}, 0, variable}};
    }
    return layer;
}

Result<Layer> overrides_layer(const Overrides& overrides, const Environment& environment) {
    Layer layer;
    for (const auto& [name, text] : overrides) {
        const KeyInfo* key = find_key(name);
        if (!key) {
            Error error{ErrorKind::Usage, fmt::format("unknown configuration key '{}'", name), std::nullopt, {}};
            if (auto suggestion = closest_key(name); !suggestion.empty()) error.hints.push_back(fmt::format("did you mean '{}'?", suggestion));
            return fail(std::move(error));
        }
        auto value = parse_text(*key, text, &environment);
        if (!value) {
            auto error = std::move(value.error());
            error.kind = ErrorKind::Usage;
            return fail(std::move(error));
        }
        layer[name] = Entry{std::move(*value), Origin{Origin::Kind::CommandLine, {}, 0, {}}};
    }
    return layer;
}

// Resolves the layers (lowest precedence first) into a Config and the origins of its values.
void resolve(const std::vector<Layer>& layers, const Environment& environment, LoadedConfig& out) {
    for (const auto& key : registry()) {
        std::vector<const Entry*> entries;  // highest precedence first
        for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
            if (auto found = layer->find(key.name); found != layer->end()) entries.push_back(&found->second);
        }
        auto& origins = out.origins[std::string(key.name)];
        if (entries.empty()) {
            assign(out.config, key, default_value(key, environment));
            origins.push_back(Origin{});
            continue;
        }
        Value value = entries.front()->value;
        origins.push_back(entries.front()->origin);
        if (key.merge == Merge::Combine) {
            for (auto it = entries.begin() + 1; it != entries.end(); ++it) {
                value = combine(value, (*it)->value);
                origins.push_back((*it)->origin);
            }
        }
        assign(out.config, key, value);
    }
    if (out.origins["envs_dirs"].front().kind == Origin::Kind::Default)
        out.config.envs_dirs = {out.config.root_prefix / "envs"};
}

}  // namespace

std::vector<fs::path> condarc_files(const Environment& environment) {
    std::vector<fs::path> files = {environment.system_dir / ".condarc", environment.system_dir / "condarc"};
    std::vector<fs::path> dropins;
    std::error_code error;
    for (fs::directory_iterator it(environment.system_dir / "condarc.d", error), end; !error && it != end; it.increment(error)) {
        const auto extension = it->path().extension();
        if (extension == ".yml" || extension == ".yaml") dropins.push_back(it->path());
    }
    std::sort(dropins.begin(), dropins.end());
    files.insert(files.end(), dropins.begin(), dropins.end());
    if (auto root = environment.get("CONDA_ROOT")) files.push_back(fs::path(*root) / ".condarc");
    files.push_back(environment.home / ".conda" / ".condarc");
    files.push_back(environment.home / ".condarc");
    files.push_back(xdg_dir(environment, "XDG_CONFIG_HOME", ".config") / "conda" / ".condarc");
    if (auto condarc = environment.get("CONDARC")) files.push_back(expand_home(*condarc, environment));
    return files;
}

fs::path envctl_config_file(const Environment& environment) {
    if (auto file = environment.get("ENVCTL_CONFIG")) return expand_home(*file, environment);
    return xdg_dir(environment, "XDG_CONFIG_HOME", ".config") / "envctl" / "config.yml";
}

Result<LoadedConfig> load(const Environment& environment, const Overrides& overrides) {
    LoadedConfig out;
    std::vector<Layer> layers;
    std::set<fs::path> seen;
    auto read = [&](const fs::path& file, bool is_envctl_file) -> Status {
        std::error_code error;
        if (!fs::is_regular_file(file, error)) return {};
        const auto canonical = fs::weakly_canonical(file, error);
        if (!seen.insert(error ? file : canonical).second) return {};
        auto layer = read_layer(file, is_envctl_file, environment, out.warnings);
        if (!layer) return fail(layer.error());
        out.files.push_back(file);
        layers.push_back(std::move(*layer));
        return {};
    };
    for (const auto& file : condarc_files(environment)) {
        if (auto status = read(file, false); !status) return fail(status.error());
    }
    if (auto status = read(envctl_config_file(environment), true); !status) return fail(status.error());
    auto variables = variables_layer(environment);
    if (!variables) return fail(variables.error());
    layers.push_back(std::move(*variables));
    auto command_line = overrides_layer(overrides, environment);
    if (!command_line) return fail(command_line.error());
    layers.push_back(std::move(*command_line));
    resolve(layers, environment, out);
    return out;
}

Config defaults(const Environment& environment) {
    LoadedConfig out;
    resolve({}, environment, out);
    return std::move(out.config);
}

}  // namespace envctl::config
