#include "envctl/ops/activation.hpp"

#include <algorithm>
#include <optional>
#include <system_error>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "envctl/util/fs.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view unset_marker = "***unset***";

std::optional<std::string> lookup(const EnvironmentMap& environment, const std::string& name) {
    const auto found = environment.find(name);
    if (found == environment.end()) return std::nullopt;
    return found->second;
}

int shell_level(const EnvironmentMap& environment) {
    const auto text = lookup(environment, "CONDA_SHLVL");
    if (!text) return 0;
    try {
        return std::max(0, std::stoi(*text));
    } catch (const std::exception&) {
        return 0;
    }
}

fs::path normal_prefix(const fs::path& prefix) {
    auto path = fs::absolute(prefix).lexically_normal();
    if (!path.has_filename() && path.has_parent_path() && path != path.root_path()) path = path.parent_path();
    return path;
}

bool same_prefix(const fs::path& a, const fs::path& b) {
    std::error_code error;
    if (fs::equivalent(a, b, error)) return true;
    return normal_prefix(a) == normal_prefix(b);
}

std::vector<std::string> split_path(const std::string& text) {
    std::vector<std::string> entries;
    if (text.empty()) return entries;
    std::size_t start = 0;
    while (true) {
        const auto colon = text.find(':', start);
        entries.push_back(text.substr(start, colon - start));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    return entries;
}

std::string join_path(const std::vector<std::string>& entries) {
    std::string text;
    for (const auto& entry : entries) {
        if (!text.empty()) text += ':';
        text += entry;
    }
    return text;
}

std::string bin_dir(const fs::path& prefix) { return (normal_prefix(prefix) / "bin").string(); }

// PATH with `old_bin` replaced by `new_bin` where it was (every copy removed), or with
// `new_bin` in front when `old_bin` is absent or empty. An empty `new_bin` only removes.
std::string replace_path_entry(const std::string& path, const std::string& old_bin, const std::string& new_bin) {
    auto entries = split_path(path);
    std::optional<std::size_t> position;
    std::vector<std::string> kept;
    for (const auto& entry : entries) {
        const bool is_old = !old_bin.empty() && entry == old_bin;
        if (is_old && !position) position = kept.size();
        if (is_old || (!new_bin.empty() && entry == new_bin)) continue;
        kept.push_back(entry);
    }
    if (!new_bin.empty()) kept.insert(kept.begin() + static_cast<std::ptrdiff_t>(position.value_or(0)), new_bin);
    return join_path(kept);
}

std::string backup_name(int level, const std::string& name) { return fmt::format("__CONDA_SHLVL_{}_{}", level, name); }

using StateVariables = std::vector<std::pair<std::string, std::string>>;

// Sets the state variables of an environment activated from `level`, saving values they hide.
void apply_state(EnvironmentMap& environment, const StateVariables& variables, int level) {
    for (const auto& [name, value] : variables) {
        if (!is_variable_name(name)) continue;
        const auto backup = backup_name(level, name);
        const auto existing = environment.find(name);
        if (existing != environment.end() && !environment.contains(backup)) environment[backup] = existing->second;
        if (value == unset_marker)
            environment.erase(name);
        else
            environment[name] = value;
    }
}

// Removes the state variables of an environment activated from `level`, restoring saved values.
void remove_state(EnvironmentMap& environment, const StateVariables& variables, int level, bool drop_backups) {
    for (const auto& [name, value] : variables) {
        if (!is_variable_name(name)) continue;
        const auto backup = backup_name(level, name);
        const auto saved = environment.find(backup);
        if (saved != environment.end()) {
            environment[name] = saved->second;
            if (drop_backups) environment.erase(backup);
        } else {
            environment.erase(name);
        }
    }
}

StateVariables state_or_empty(const fs::path& prefix) {
    auto variables = read_state_variables(prefix);
    return variables ? std::move(*variables) : StateVariables{};
}

std::string prompt_modifier(const fs::path& prefix, const ActivationOptions& options) {
    const auto normal = normal_prefix(prefix);
    // Per-project environments (<project>/.envctl/envs/<name>) are called by their name.
    if (normal.parent_path().filename() == "envs" && normal.parent_path().parent_path().filename() == ".envctl")
        return fmt::format("({}) ", normal.filename().string());
    return fmt::format("({}) ", environment_display_name(prefix, options));
}

void set_active(EnvironmentMap& environment, const fs::path& prefix, int level, const ActivationOptions& options) {
    environment["CONDA_PREFIX"] = normal_prefix(prefix).string();
    environment["CONDA_SHLVL"] = std::to_string(level);
    environment["CONDA_DEFAULT_ENV"] = environment_display_name(prefix, options);
    environment["CONDA_PROMPT_MODIFIER"] = prompt_modifier(prefix, options);
}

std::vector<fs::path> deactivate_scripts(const fs::path& prefix, const ActivationOptions& options) {
    auto scripts = activation_scripts(prefix, "deactivate", options.script_extension);
    std::reverse(scripts.begin(), scripts.end());  // conda runs them in reverse name order
    return scripts;
}

ActivationChange difference(const EnvironmentMap& before, const EnvironmentMap& after) {
    ActivationChange change;
    for (const auto& [name, value] : before)
        if (!after.contains(name)) change.unset.push_back(name);
    for (const auto& [name, value] : after) {
        const auto found = before.find(name);
        if (found == before.end() || found->second != value) change.set.emplace_back(name, value);
    }
    change.prompt_modifier = lookup(after, "CONDA_PROMPT_MODIFIER").value_or("");
    return change;
}

}  // namespace

bool is_variable_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

Result<StateVariables> read_state_variables(const fs::path& prefix) {
    const auto file = prefix / "conda-meta" / "state";
    std::error_code error;
    if (!fs::exists(file, error)) return StateVariables{};
    auto text = read_file(file);
    if (!text) return fail(std::move(text.error()));
    StateVariables variables;
    try {
        const auto document = nlohmann::ordered_json::parse(*text);
        if (!document.is_object()) throw std::runtime_error("the document is not an object");
        const auto env_vars = document.find("env_vars");
        if (env_vars == document.end()) return variables;
        if (!env_vars->is_object()) throw std::runtime_error("env_vars is not an object");
        for (const auto& [name, value] : env_vars->items())
            variables.emplace_back(name, value.is_string() ? value.get<std::string>() : value.dump());
    } catch (const std::exception& exception) {
        return fail(Error{ErrorKind::Input, fmt::format("{}: not a conda-meta state file: {}", file.string(), exception.what()),
                          {},
                          {"it should be {\"env_vars\": {\"NAME\": \"value\"}}; fix or delete it"}});
    }
    return variables;
}

std::vector<fs::path> activation_scripts(const fs::path& prefix, std::string_view kind, std::string_view extension) {
    std::vector<fs::path> scripts;
    const auto folder = normal_prefix(prefix) / "etc" / "conda" / fmt::format("{}.d", kind);
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
        const auto name = it->path().filename().string();
        if (name.size() > extension.size() && name.ends_with(extension) && it->is_regular_file(error))
            scripts.push_back(it->path());
    }
    std::sort(scripts.begin(), scripts.end());
    return scripts;
}

std::string environment_display_name(const fs::path& prefix, const ActivationOptions& options) {
    const auto normal = normal_prefix(prefix);
    if (!options.root_prefix.empty() && same_prefix(normal, options.root_prefix)) return "base";
    for (const auto& folder : options.envs_dirs)
        if (!folder.empty() && same_prefix(normal.parent_path(), folder)) return normal.filename().string();
    return normal.string();
}

Result<ActivationChange> plan_activate(const EnvironmentMap& current, const fs::path& prefix,
                                       const ActivationOptions& options) {
    const auto target = normal_prefix(prefix);
    std::error_code error;
    if (!fs::is_directory(target / "conda-meta", error))
        return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment (it has no conda-meta folder)", target.string()),
                          {},
                          {"create it with `envctl create -p PATH SPEC...`, or list environments with `envctl env list`"}});
    auto state = read_state_variables(target);
    if (!state) return fail(std::move(state.error()));

    EnvironmentMap after = current;
    const int level = shell_level(current);
    const auto active = level > 0 ? lookup(current, "CONDA_PREFIX") : std::nullopt;
    std::vector<fs::path> leaving_scripts;
    const std::string path = lookup(current, "PATH").value_or("");
    if (active && same_prefix(*active, target)) {
        // Reactivation: the scripts and state variables again, the level unchanged.
        leaving_scripts = deactivate_scripts(target, options);
        remove_state(after, *state, level - 1, false);
        apply_state(after, *state, level - 1);
        after["PATH"] = replace_path_entry(path, bin_dir(target), bin_dir(target));
        set_active(after, target, level, options);
    } else {
        if (active && !options.stack) {
            leaving_scripts = deactivate_scripts(*active, options);
            remove_state(after, state_or_empty(*active), level - 1, false);
            after["PATH"] = replace_path_entry(path, bin_dir(*active), bin_dir(target));
        } else {
            after["PATH"] = replace_path_entry(path, {}, bin_dir(target));
        }
        if (active) after[fmt::format("CONDA_PREFIX_{}", level)] = normal_prefix(*active).string();
        if (active && options.stack) after[fmt::format("CONDA_STACKED_{}", level + 1)] = "true";
        set_active(after, target, level + 1, options);
        apply_state(after, *state, level);
    }
    auto change = difference(current, after);
    change.deactivate_scripts = std::move(leaving_scripts);
    change.activate_scripts = activation_scripts(target, "activate", options.script_extension);
    return change;
}

Result<ActivationChange> plan_deactivate(const EnvironmentMap& current, const ActivationOptions& options) {
    const int level = shell_level(current);
    const auto active = lookup(current, "CONDA_PREFIX");
    if (level <= 0 || !active) {
        ActivationChange nothing;
        nothing.prompt_modifier = lookup(current, "CONDA_PROMPT_MODIFIER").value_or("");
        return nothing;
    }
    EnvironmentMap after = current;
    remove_state(after, state_or_empty(*active), level - 1, true);
    const int below = level - 1;
    const auto stacked_name = fmt::format("CONDA_STACKED_{}", level);
    const bool stacked = lookup(current, stacked_name) == std::optional<std::string>("true");
    after.erase(stacked_name);
    const auto previous_name = fmt::format("CONDA_PREFIX_{}", below);
    const auto previous = below > 0 ? lookup(current, previous_name) : std::nullopt;
    after.erase(previous_name);
    const std::string path = lookup(current, "PATH").value_or("");
    std::vector<fs::path> reentered_scripts;
    if (!previous) {
        after["PATH"] = replace_path_entry(path, bin_dir(*active), {});
        for (const char* name : {"CONDA_PREFIX", "CONDA_DEFAULT_ENV", "CONDA_PROMPT_MODIFIER"}) after.erase(name);
        after["CONDA_SHLVL"] = std::to_string(below);
    } else {
        after["PATH"] = replace_path_entry(path, bin_dir(*active), stacked ? std::string() : bin_dir(*previous));
        set_active(after, *previous, below, options);
        if (!stacked) {
            // Switching had removed the previous environment's variables; they come back.
            apply_state(after, state_or_empty(*previous), below - 1);
            reentered_scripts = activation_scripts(*previous, "activate", options.script_extension);
        }
    }
    auto change = difference(current, after);
    change.deactivate_scripts = deactivate_scripts(*active, options);
    change.activate_scripts = std::move(reentered_scripts);
    return change;
}

EnvironmentMap apply_change(EnvironmentMap environment, const ActivationChange& change) {
    for (const auto& name : change.unset) environment.erase(name);
    for (const auto& [name, value] : change.set) environment[name] = value;
    return environment;
}

EnvironmentMap clean_environment(const EnvironmentMap& caller) {
    static const char* const kept[] = {"HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ", "TMPDIR",
                                       "DISPLAY", "XDG_RUNTIME_DIR"};
    EnvironmentMap clean;
    for (const auto& [name, value] : caller)
        if (name.starts_with("LC_") || std::find(std::begin(kept), std::end(kept), name) != std::end(kept))
            clean.emplace(name, value);
    clean["PATH"] = "/usr/local/bin:/usr/bin:/bin";
    return clean;
}

Result<EnvironmentMap> run_environment(const RunEnvironmentRequest& request) {
    EnvironmentMap environment = request.clean_env ? clean_environment(request.base) : request.base;
    auto change = plan_activate(environment, request.prefix, request.options);
    if (!change) return fail(std::move(change.error()));
    if (!change->deactivate_scripts.empty()) {
        auto left = source_scripts(environment, change->deactivate_scripts);
        if (!left) return fail(std::move(left.error()));
        environment = std::move(*left);
    }
    auto activated = source_scripts(apply_change(std::move(environment), *change), change->activate_scripts);
    if (!activated) return fail(std::move(activated.error()));
    for (const auto& [name, value] : request.extra) (*activated)[name] = value;
    return activated;
}

}  // namespace envctl::ops
