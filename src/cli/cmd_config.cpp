// envctl config list|get|set|remove: show the effective configuration with the origin of each
// value, and edit the envctl config file (or --file) in place.
#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "command.hpp"
#include "configuration.hpp"
#include "envctl/config/edit.hpp"
#include "envctl/config/registry.hpp"
#include "output.hpp"

namespace envctl::cli {
namespace {

namespace fs = std::filesystem;

struct ConfigOptions {
    std::string key;
    std::vector<std::string> values;
    bool append = false;
    bool prepend = false;
    bool remove = false;
    std::string file;
};

nlohmann::json to_json(const config::Value& value) {
    return std::visit([](const auto& held) { return nlohmann::json(held); }, value);
}

void print(const std::string& text) { std::fputs(text.c_str(), stdout); }

Error usage_error(std::string message) { return Error{ErrorKind::Usage, std::move(message), std::nullopt, {}}; }

// "proxy_servers.https" -> the key and "https"; unknown keys are usage errors with a suggestion.
Result<std::pair<const config::KeyInfo*, std::string>> resolve_key(const std::string& text) {
    std::string name = text;
    std::string entry;
    if (const auto dot = text.find('.'); dot != std::string::npos) {
        name = text.substr(0, dot);
        entry = text.substr(dot + 1);
    }
    const auto* key = config::find_key(name);
    if (!key) {
        auto error = usage_error(fmt::format("unknown configuration key '{}'", text));
        if (auto suggestion = config::closest_key(name); !suggestion.empty())
            error.hints.push_back(fmt::format("did you mean '{}'?", suggestion));
        error.hints.push_back("`envctl config list` shows every key");
        return fail(std::move(error));
    }
    if (!entry.empty() && !key->is_map())
        return fail(usage_error(fmt::format("'{}' is not a map; '{}.NAME' only works for map keys", key->name, key->name)));
    return std::pair{key, entry};
}

std::string origins_text(const std::vector<config::Origin>& origins) {
    std::vector<std::string> parts;
    parts.reserve(origins.size());
    for (const auto& origin : origins) parts.push_back(origin.to_string());
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
    return out;
}

nlohmann::json origins_json(const std::vector<config::Origin>& origins) {
    auto out = nlohmann::json::array();
    for (const auto& origin : origins) out.push_back(origin.to_string());
    return out;
}

int run_list(const GlobalOptions& global) {
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    if (global.json) {
        nlohmann::json values = nlohmann::json::object();
        nlohmann::json sources = nlohmann::json::object();
        for (const auto& key : config::registry()) {
            const std::string name(key.name);
            values[name] = to_json(config::redacted(config::value_of(loaded->config, key)));
            sources[name] = origins_json(loaded->origins.at(name));
        }
        nlohmann::json files = nlohmann::json::array();
        for (const auto& file : loaded->files) files.push_back(file.string());
        print_json({{"success", true}, {"config", values}, {"sources", sources}, {"files", files},
                    {"config_file", config::envctl_config_file(environment).string()}, {"warnings", loaded->warnings}});
        return exit_codes::ok;
    }
    for (const auto& key : config::registry()) {
        const auto value = config::format_value(config::redacted(config::value_of(loaded->config, key)));
        print(fmt::format("{}: {}  # {}\n", key.name, value, origins_text(loaded->origins.at(std::string(key.name)))));
    }
    return exit_codes::ok;
}

int run_get(const GlobalOptions& global, const ConfigOptions& options) {
    auto resolved = resolve_key(options.key);
    if (!resolved) return report_error(global, resolved.error());
    const auto [key, entry] = *resolved;
    const auto environment = config::Environment::from_process();
    auto loaded = load_configuration(environment);
    if (!loaded) return report_error(global, loaded.error());
    auto value = config::redacted(config::value_of(loaded->config, *key));
    if (!entry.empty()) {
        const auto& map = std::get<std::map<std::string, std::string>>(value);
        const auto found = map.find(entry);
        if (found == map.end())
            return report_error(global, Error{ErrorKind::Input, fmt::format("{} has no entry '{}'", key->name, entry),
                                              std::nullopt, {}});
        value = found->second;
    }
    const auto& origins = loaded->origins.at(std::string(key->name));
    if (global.json) {
        print_json({{"success", true}, {"key", options.key}, {"value", to_json(value)}, {"sources", origins_json(origins)}});
        return exit_codes::ok;
    }
    std::visit(
        [](const auto& held) {
            using V = std::decay_t<decltype(held)>;
            if constexpr (std::is_same_v<V, std::vector<std::string>>) {
                for (const auto& item : held) print(item + "\n");
            } else if constexpr (std::is_same_v<V, std::map<std::string, std::string>>) {
                for (const auto& [name, item] : held) print(fmt::format("{}: {}\n", name, item));
            } else {
                print(config::format_value(held) + "\n");
            }
        },
        value);
    return exit_codes::ok;
}

fs::path target_file(const ConfigOptions& options, const config::Environment& environment) {
    return options.file.empty() ? config::envctl_config_file(environment) : fs::path(options.file);
}

// The new value of a list key in `file` after --append/--prepend/--remove of `items`.
Result<config::Value> edit_list(const fs::path& file, const config::KeyInfo& key, const ConfigOptions& options,
                                const std::vector<std::string>& items) {
    auto current = config::read_file_value(file, key);
    if (!current) return fail(current.error());
    std::vector<std::string> list;
    if (*current) list = std::get<std::vector<std::string>>(**current);
    auto without = [&list](const std::string& item) { std::erase(list, item); };
    if (options.remove) {
        for (const auto& item : items) {
            if (std::find(list.begin(), list.end(), item) == list.end())
                return fail(ErrorKind::Input, fmt::format("'{}' is not in {} in {}", item, key.name, file.string()));
            without(item);
        }
    } else if (options.prepend) {
        for (const auto& item : items) without(item);
        list.insert(list.begin(), items.begin(), items.end());
    } else {
        for (const auto& item : items) without(item);
        list.insert(list.end(), items.begin(), items.end());
    }
    return config::Value{std::move(list)};
}

// The value `config set` writes, parsed and validated (unexpanded: files keep ~ and $VAR).
Result<config::Value> new_value(const fs::path& file, const config::KeyInfo& key, const std::string& entry,
                                const ConfigOptions& options) {
    const bool editing_list = options.append || options.prepend || options.remove;
    if (editing_list && !key.is_list())
        return fail(usage_error(fmt::format("--append, --prepend and --remove work on list keys; {} is a {}", key.name,
                                            key.type_name())));
    if (!entry.empty()) {
        if (options.values.size() != 1) return fail(usage_error(fmt::format("{}.{} takes one value", key.name, entry)));
        auto item = config::parse_item(key, options.values.front(), nullptr);
        if (!item) return fail(item.error());
        auto current = config::read_file_value(file, key);
        if (!current) return fail(current.error());
        std::map<std::string, std::string> map;
        if (*current) map = std::get<std::map<std::string, std::string>>(**current);
        map[entry] = *item;
        return config::Value{std::move(map)};
    }
    if (key.is_list()) {
        std::vector<std::string> items;
        for (const auto& text : options.values) {
            auto parsed = config::parse_text(key, text, nullptr);
            if (!parsed) return fail(parsed.error());
            for (auto& item : std::get<std::vector<std::string>>(*parsed))
                if (std::find(items.begin(), items.end(), item) == items.end()) items.push_back(std::move(item));
        }
        if (editing_list) return edit_list(file, key, options, items);
        return config::Value{std::move(items)};
    }
    if (options.values.size() != 1)
        return fail(usage_error(fmt::format("{} takes one value, got {}", key.name, options.values.size())));
    return config::parse_text(key, options.values.front(), nullptr);
}

void warn_if_condarc_ignores(const fs::path& file, const config::KeyInfo& key) {
    const auto name = file.filename().string();
    if (!key.condarc && (name == ".condarc" || name == "condarc"))
        spdlog::warn("{} is read from conda's .condarc files only by conda; envctl ignores it there", key.name);
}

int run_set(const GlobalOptions& global, const ConfigOptions& options) {
    auto resolved = resolve_key(options.key);
    if (!resolved) return report_error(global, resolved.error());
    const auto [key, entry] = *resolved;
    const auto environment = config::Environment::from_process();
    const auto file = target_file(options, environment);
    auto value = new_value(file, *key, entry, options);
    if (!value) return report_error(global, value.error());
    if (auto written = config::write_file_value(file, *key, *value); !written)
        return report_error(global, written.error());
    warn_if_condarc_ignores(file, *key);
    const auto shown = config::redacted(*value);
    if (global.json)
        print_json({{"success", true}, {"file", file.string()}, {"key", std::string(key->name)}, {"value", to_json(shown)}});
    else
        print(fmt::format("{}: {}  # written to {}\n", key->name, config::format_value(shown), file.string()));
    return exit_codes::ok;
}

int run_remove(const GlobalOptions& global, ConfigOptions options) {
    auto resolved = resolve_key(options.key);
    if (!resolved) return report_error(global, resolved.error());
    const auto [key, entry] = *resolved;
    const auto environment = config::Environment::from_process();
    const auto file = target_file(options, environment);
    if (!options.values.empty() || !entry.empty()) {
        config::Value value;
        if (!entry.empty()) {
            auto current = config::read_file_value(file, *key);
            if (!current) return report_error(global, current.error());
            auto map = *current ? std::get<std::map<std::string, std::string>>(**current) : std::map<std::string, std::string>{};
            if (map.erase(entry) == 0)
                return report_error(global, Error{ErrorKind::Input,
                                                  fmt::format("{} has no entry '{}' in {}", key->name, entry, file.string()),
                                                  std::nullopt, {}});
            value = std::move(map);
        } else {
            options.remove = true;
            auto edited = new_value(file, *key, entry, options);
            if (!edited) return report_error(global, edited.error());
            value = std::move(*edited);
        }
        if (auto written = config::write_file_value(file, *key, value); !written)
            return report_error(global, written.error());
        const auto shown = config::redacted(value);
        if (global.json)
            print_json({{"success", true}, {"file", file.string()}, {"key", std::string(key->name)}, {"value", to_json(shown)}});
        else
            print(fmt::format("{}: {}  # written to {}\n", key->name, config::format_value(shown), file.string()));
        return exit_codes::ok;
    }
    auto removed = config::remove_file_key(file, key->name);
    if (!removed) return report_error(global, removed.error());
    if (global.json)
        print_json({{"success", true}, {"file", file.string()}, {"key", std::string(key->name)}, {"removed", *removed}});
    else if (*removed)
        print(fmt::format("removed {} from {}\n", key->name, file.string()));
    else
        print(fmt::format("{} is not set in {}; nothing to remove\n", key->name, file.string()));
    return exit_codes::ok;
}

}  // namespace

void add_config_command(CommandContext context) {
    auto* command = context.app.add_subcommand("config", "Show and change envctl's configuration");
    command->require_subcommand(1);
    auto options = std::make_shared<ConfigOptions>();
    const GlobalOptions& global = context.global;
    CommandRunner& selected = context.selected;

    auto* list = command->add_subcommand("list", "Every setting, its effective value and where it comes from");
    list->callback([&global, &selected] { selected = [&global] { return run_list(global); }; });

    auto* get = command->add_subcommand("get", "One setting's effective value (KEY, or MAP_KEY.NAME)");
    get->add_option("key", options->key, "Configuration key")->required();
    get->callback([&global, &selected, options] { selected = [&global, options] { return run_get(global, *options); }; });

    auto* set = command->add_subcommand("set", "Write a setting to the envctl config file");
    set->add_option("key", options->key, "Configuration key, or MAP_KEY.NAME for one map entry")->required();
    set->add_option("values", options->values, "Value; list keys take several (or a,b or [a, b])")->required();
    auto* append = set->add_flag("--append", options->append, "Add the values at the end of the file's list");
    auto* prepend = set->add_flag("--prepend", options->prepend, "Add the values at the front of the file's list");
    auto* remove_flag = set->add_flag("--remove", options->remove, "Remove the values from the file's list");
    append->excludes(prepend)->excludes(remove_flag);
    prepend->excludes(remove_flag);
    set->add_option("--file", options->file, "Config file to edit (default: the envctl config file)");
    set->callback([&global, &selected, options] { selected = [&global, options] { return run_set(global, *options); }; });

    auto* remove = command->add_subcommand("remove", "Remove a setting, or values of a list setting, from the config file");
    remove->add_option("key", options->key, "Configuration key, or MAP_KEY.NAME for one map entry")->required();
    remove->add_option("values", options->values, "Values to remove from a list key");
    remove->add_option("--file", options->file, "Config file to edit (default: the envctl config file)");
    remove->callback([&global, &selected, options] { selected = [&global, options] { return run_remove(global, *options); }; });

    auto* docs = command->add_subcommand("docs", "Print the Markdown reference of every key");
    docs->group("");  // hidden: regenerates the table in docs/configuration.md
    docs->callback([&global, &selected] {
        selected = [&global] {
            if (global.json)
                print_json({{"success", true}, {"markdown", config::reference_markdown()}});
            else
                print(config::reference_markdown());
            return exit_codes::ok;
        };
    });
}

}  // namespace envctl::cli
