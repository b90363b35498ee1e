#include "envctl/spec/environment.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "envctl/conda/platform.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::spec {

namespace {

constexpr std::array<std::string_view, 7> kKnownKeys = {"name", "channels", "dependencies", "variables",
                                                        "prefix", "platforms", "category"};

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const auto above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string_view closest_key(std::string_view key) {
    std::string_view best;
    std::size_t best_distance = 3;  // suggest only close misspellings
    for (const auto known : kKnownKeys) {
        const auto distance = edit_distance(key, known);
        if (distance < best_distance) {
            best = known;
            best_distance = distance;
        }
    }
    return best;
}

// conda-lock's comment selectors: "- pywin32  # [win]" -> {line: "win"}.
std::map<std::size_t, std::string> comment_selectors(std::string_view text) {
    std::map<std::size_t, std::string> selectors;
    std::size_t line = 1;
    for (const auto raw : split(text, '\n')) {
        auto content = trim(raw);
        const auto hash = content.rfind('#');
        if (hash != std::string_view::npos && !content.empty() && content.back() == ']') {
            auto comment = trim(content.substr(hash + 1));
            if (comment.size() >= 2 && comment.front() == '[' && comment.find('[', 1) == std::string_view::npos &&
                comment.find(']') == comment.size() - 1)
                selectors[line] = std::string(comment.substr(1, comment.size() - 2));
        }
        ++line;
    }
    return selectors;
}

const char* describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return "nothing";
        case YAML::NodeType::Scalar: return "a string";
        case YAML::NodeType::Sequence: return "a list";
        case YAML::NodeType::Map: return "a mapping";
        case YAML::NodeType::Undefined: break;
    }
    return "nothing";
}

class Reader {
public:
    Reader(std::string_view text, std::string_view file, EnvironmentSpec& spec)
        : file_(file), spec_(spec), selectors_(comment_selectors(text)) {}

    Status read(const YAML::Node& root) {
        if (root.IsNull() || !root.IsDefined())
            return error(root, "the file is empty (expected a mapping with at least 'dependencies')");
        if (!root.IsMap()) return error(root, fmt::format("expected a mapping of keys (name, channels, dependencies, ...), found {}", describe(root)));
        std::set<std::string> seen;
        for (auto it = root.begin(); it != root.end(); ++it) {
            // yaml-cpp's map iterators hand out temporaries: copy the nodes (cheap handles).
            const YAML::Node key_node = it->first;
            const YAML::Node value = it->second;
            if (!key_node.IsScalar()) return error(key_node, "expected a key name");
            const auto& key = key_node.Scalar();
            if (!seen.insert(key).second) return error(key_node, fmt::format("duplicate key '{}'", key));
            if (auto status = read_key(key, key_node, value); !status) return status;
        }
        return {};
    }

private:
    Location at(const YAML::Node& node) const {
        const auto mark = node.Mark();
        if (mark.is_null() || mark.line < 0) return Location{std::string(file_), 0, 0};
        return Location{std::string(file_), static_cast<std::size_t>(mark.line) + 1, static_cast<std::size_t>(mark.column) + 1};
    }

    tl::unexpected<Error> error(const YAML::Node& node, std::string message) const {
        return fail(Error{ErrorKind::Input, std::move(message), at(node), {}});
    }

    void warn(const YAML::Node& node, std::string message) { spec_.warnings.push_back(Warning{at(node), std::move(message)}); }

    Result<std::string> scalar(const YAML::Node& node, std::string_view what) const {
        if (!node.IsScalar()) return error(node, fmt::format("expected {} (a string), found {}", what, describe(node)));
        return node.Scalar();
    }

    Status read_key(const std::string& key, const YAML::Node& key_node, const YAML::Node& value) {
        if (key == "name" || key == "prefix" || key == "category") {
            if (value.IsNull()) return {};
            auto text = scalar(value, fmt::format("'{}'", key));
            if (!text) return tl::unexpected(std::move(text.error()));
            if (key == "name") {
                spec_.name = std::move(*text);
                check_name(value);
            } else {
                (key == "prefix" ? spec_.prefix : spec_.category) = std::move(*text);
            }
            return {};
        }
        if (key == "channels") return read_channels(value);
        if (key == "dependencies") return read_dependencies(value);
        if (key == "variables") return read_variables(value);
        if (key == "platforms") return read_platforms(value);
        const auto suggestion = closest_key(key);
        warn(key_node, suggestion.empty() ? fmt::format("unknown key '{}' ignored", key)
                                          : fmt::format("unknown key '{}' ignored (did you mean '{}'?)", key, suggestion));
        return {};
    }

    void check_name(const YAML::Node& node) {
        const auto& name = spec_.name;
        if (name == "base" || name == "root") warn(node, fmt::format("environment name '{}' is reserved by conda", name));
        for (const char c : {'/', ' ', ':', '#'}) {
            if (name.find(c) != std::string::npos) {
                warn(node, fmt::format("environment name '{}' contains '{}', which conda does not allow", name, c));
                break;
            }
        }
    }

    Status read_channels(const YAML::Node& node) {
        if (node.IsNull()) return {};
        if (!node.IsSequence()) return error(node, fmt::format("expected 'channels' to be a list of channel names or URLs, found {}", describe(node)));
        for (const auto& item : node) {
            auto channel = scalar(item, "a channel name or URL");
            if (!channel) return tl::unexpected(std::move(channel.error()));
            const auto name = std::string(trim(*channel));
            if (name.empty()) return error(item, "empty channel name");
            if (name == "nodefaults") {
                spec_.nodefaults = true;
            } else {
                spec_.channels.push_back(name);
            }
        }
        return {};
    }

    Status read_platforms(const YAML::Node& node) {
        if (node.IsNull()) return {};
        if (!node.IsSequence()) return error(node, fmt::format("expected 'platforms' to be a list of subdirs, found {}", describe(node)));
        for (const auto& item : node) {
            auto platform = scalar(item, "a platform such as linux-64");
            if (!platform) return tl::unexpected(std::move(platform.error()));
            if (*platform == "noarch" || !conda::is_known_subdir(*platform)) {
                std::vector<std::string> known;
                for (const auto subdir : conda::known_subdirs())
                    if (subdir != "noarch") known.emplace_back(subdir);
                return error(item, fmt::format("unknown platform '{}' (expected one of {})", *platform, join(known, ", ")));
            }
            if (std::find(spec_.platforms.begin(), spec_.platforms.end(), *platform) != spec_.platforms.end())
                return error(item, fmt::format("platform '{}' is listed twice", *platform));
            spec_.platforms.push_back(std::move(*platform));
        }
        return {};
    }

    Status read_variables(const YAML::Node& node) {
        if (node.IsNull()) return {};
        if (!node.IsMap()) return error(node, fmt::format("expected 'variables' to be a mapping of NAME: value, found {}", describe(node)));
        for (auto it = node.begin(); it != node.end(); ++it) {
            const YAML::Node key_node = it->first;
            const YAML::Node value_node = it->second;
            auto name = scalar(key_node, "a variable name");
            if (!name) return tl::unexpected(std::move(name.error()));
            if (name->empty()) return error(key_node, "empty variable name");
            std::string value;
            if (!value_node.IsNull()) {
                auto text = scalar(value_node, fmt::format("the value of variable '{}'", *name));
                if (!text) return tl::unexpected(std::move(text.error()));
                value = std::move(*text);
            }
            const auto existing = std::find_if(spec_.variables.begin(), spec_.variables.end(),
                                               [&](const auto& pair) { return pair.first == *name; });
            if (existing != spec_.variables.end()) return error(key_node, fmt::format("variable '{}' is set twice", *name));
            spec_.variables.emplace_back(std::move(*name), std::move(value));
        }
        return {};
    }

    Status add_dependency(const YAML::Node& node, const std::string& text, std::optional<PlatformSelector> selector) {
        auto spec = conda::MatchSpec::parse(text);
        if (!spec) return error(node, fmt::format("invalid dependency: {}", spec.error().message));
        spec_.dependencies.push_back(CondaDependency{std::move(*spec), text, std::move(selector), at(node)});
        return {};
    }

    Status read_pip(const YAML::Node& node) {
        if (node.IsNull()) return {};
        if (!node.IsSequence()) return error(node, fmt::format("expected the 'pip' section to be a list of requirements, found {}", describe(node)));
        for (const auto& item : node) {
            auto line = scalar(item, "a pip requirement");
            if (!line) return tl::unexpected(std::move(line.error()));
            spec_.pip.push_back(PipLine{std::move(*line), at(item)});
        }
        return {};
    }

    Status read_dependency_section(const YAML::Node& key_node, const YAML::Node& value) {
        auto key = scalar(key_node, "a section name such as 'pip'");
        if (!key) return tl::unexpected(std::move(key.error()));
        const auto name = trim(*key);
        if (name == "pip") return read_pip(value);
        if (name.size() > 5 && name.substr(0, 4) == "sel(" && name.back() == ')') {
            auto selector = PlatformSelector::parse(name.substr(4, name.size() - 5));
            if (!selector) return error(key_node, selector.error().message);
            auto text = scalar(value, fmt::format("a match spec after '{}'", name));
            if (!text) return tl::unexpected(std::move(text.error()));
            return add_dependency(value, *text, std::move(*selector));
        }
        return error(key_node, fmt::format("unknown dependency section '{}' (envctl understands 'pip:' and 'sel(<platform>):')", name));
    }

    Status read_dependencies(const YAML::Node& node) {
        if (node.IsNull()) return {};
        if (!node.IsSequence()) return error(node, fmt::format("expected 'dependencies' to be a list of match specs, found {}", describe(node)));
        for (const auto& item : node) {
            if (item.IsScalar()) {
                const auto& text = item.Scalar();
                std::optional<PlatformSelector> selector;
                const auto mark = item.Mark();
                if (const auto found = selectors_.find(static_cast<std::size_t>(mark.line) + 1);
                    !mark.is_null() && found != selectors_.end() && text.find('#') == std::string::npos) {
                    auto parsed = PlatformSelector::parse(found->second);
                    if (!parsed) return error(item, parsed.error().message);
                    selector = std::move(*parsed);
                }
                if (auto status = add_dependency(item, text, std::move(selector)); !status) return status;
            } else if (item.IsMap()) {
                for (auto it = item.begin(); it != item.end(); ++it) {
                    const YAML::Node key_node = it->first;
                    const YAML::Node value = it->second;
                    if (auto status = read_dependency_section(key_node, value); !status) return status;
                }
            } else if (item.IsNull()) {
                return error(item, "empty dependency entry (expected a match spec such as 'numpy >=1.26')");
            } else {
                return error(item, "expected a match spec string or a 'pip:' section, found a list");
            }
        }
        return {};
    }

    std::string_view file_;
    EnvironmentSpec& spec_;
    std::map<std::size_t, std::string> selectors_;
};

}  // namespace

std::vector<conda::MatchSpec> EnvironmentSpec::dependencies_for(std::string_view subdir) const {
    std::vector<conda::MatchSpec> out;
    for (const auto& dependency : dependencies)
        if (!dependency.selector || dependency.selector->evaluate(subdir)) out.push_back(dependency.spec);
    return out;
}

Result<EnvironmentSpec> parse_environment_yaml(std::string_view text, std::string_view display_name) {
    EnvironmentSpec spec;
    spec.source = std::string(display_name);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(text));
    } catch (const YAML::Exception& failure) {
        // yaml-cpp's edge: turn its exception into an error value with the position it knows.
        Location where{std::string(display_name), 0, 0};
        if (!failure.mark.is_null() && failure.mark.line >= 0) {
            where.line = static_cast<std::size_t>(failure.mark.line) + 1;
            where.column = static_cast<std::size_t>(failure.mark.column) + 1;
        }
        return fail(Error{ErrorKind::Input, fmt::format("invalid YAML: {}", failure.msg), where, {}});
    }
    try {
        Reader reader(text, display_name, spec);
        if (auto status = reader.read(root); !status) return tl::unexpected(std::move(status.error()));
    } catch (const YAML::Exception& failure) {
        return fail(Error{ErrorKind::Input, fmt::format("invalid environment file: {}", failure.msg),
                          Location{std::string(display_name), 0, 0}, {}});
    }
    return spec;
}

Result<EnvironmentSpec> parse_environment_file(const std::filesystem::path& file) {
    auto text = read_file(file);
    if (!text) return tl::unexpected(std::move(text.error()));
    return parse_environment_yaml(*text, file.string());
}

}  // namespace envctl::spec
