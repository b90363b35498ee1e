#include "envctl/pypi/requirements_file.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "envctl/pypi/name.hpp"
#include "envctl/util/ascii.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::pypi {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Lines split at "\n", "\r\n" and "\r", as Python's splitlines() does for these.
std::vector<std::string_view> physical_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\n' && text[i] != '\r') continue;
        lines.push_back(text.substr(start, i - start));
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        start = i + 1;
    }
    if (start < text.size()) lines.push_back(text.substr(start));
    return lines;
}

// A whole-line comment: "#" first, or after leading whitespace.
bool is_comment_line(std::string_view line) {
    const auto first = std::find_if_not(line.begin(), line.end(), is_ascii_space);
    return first != line.end() && *first == '#';
}

// Cuts from the first "#" that starts the line or follows whitespace, with that whitespace.
std::string_view strip_comment(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] != '#' || (i != 0 && !is_ascii_space(line[i - 1]))) continue;
        auto start = i;
        while (start > 0 && is_ascii_space(line[start - 1])) --start;
        return line.substr(0, start);
    }
    return line;
}

// A POSIX-shell-like split, as pip applies shlex.split() to option lines.
Result<std::vector<std::string>> shell_split(std::string_view text) {
    std::vector<std::string> tokens;
    std::string current;
    bool in_token = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (is_ascii_space(c)) {
            if (in_token) tokens.push_back(std::move(current));
            current.clear();
            in_token = false;
        } else if (c == '\'' || c == '"') {
            const auto close = text.find(c, i + 1);
            if (close == std::string_view::npos)
                return fail(ErrorKind::Input, fmt::format("unterminated {} quote", c == '\'' ? "single" : "double"));
            for (std::size_t k = i + 1; k < close; ++k) {
                if (c == '"' && text[k] == '\\' && k + 1 < close && (text[k + 1] == '"' || text[k + 1] == '\\')) ++k;
                current.push_back(text[k]);
            }
            i = close;
            in_token = true;
        } else if (c == '\\' && i + 1 < text.size()) {
            current.push_back(text[++i]);
            in_token = true;
        } else {
            current.push_back(c);
            in_token = true;
        }
    }
    if (in_token) tokens.push_back(std::move(current));
    return tokens;
}

Result<RequirementHash> parse_hash(std::string_view value) {
    const auto colon = value.find(':');
    const auto algorithm = colon == std::string_view::npos ? std::string_view{} : value.substr(0, colon);
    const auto hex = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
    constexpr std::array<std::pair<std::string_view, std::size_t>, 3> allowed = {
        {{"sha256", 32}, {"sha384", 48}, {"sha512", 64}}};
    const auto* known = std::find_if(allowed.begin(), allowed.end(), [&](const auto& a) { return a.first == algorithm; });
    if (known == allowed.end())
        return fail(ErrorKind::Input,
                    fmt::format("invalid --hash '{}': expected sha256:<hex>, sha384:<hex> or sha512:<hex>", value));
    if (!is_hex_digest(hex, known->second))
        return fail(ErrorKind::Input, fmt::format("invalid --hash '{}': expected {} hex digits after '{}:'", value,
                                                  known->second * 2, algorithm));
    return RequirementHash{std::string(algorithm), to_lower(hex)};
}

enum class OptionKind {
    Requirement, Constraint, Editable, IndexUrl, ExtraIndexUrl, FindLinks, NoIndex, Pre, PreferBinary,
    RequireHashes, NoBinary, OnlyBinary, Hash,
};
struct OptionSpec {
    std::string_view short_name;  // "-r", or empty
    std::string_view long_name;   // "--requirement"
    bool takes_value;
    OptionKind kind;
};
constexpr OptionSpec option_specs[] = {
    {"-r", "--requirement", true, OptionKind::Requirement},
    {"-c", "--constraint", true, OptionKind::Constraint},
    {"-e", "--editable", true, OptionKind::Editable},
    {"-i", "--index-url", true, OptionKind::IndexUrl},
    {"", "--extra-index-url", true, OptionKind::ExtraIndexUrl},
    {"-f", "--find-links", true, OptionKind::FindLinks},
    {"", "--no-index", false, OptionKind::NoIndex},
    {"", "--pre", false, OptionKind::Pre},
    {"", "--prefer-binary", false, OptionKind::PreferBinary},
    {"", "--require-hashes", false, OptionKind::RequireHashes},
    {"", "--no-binary", true, OptionKind::NoBinary},
    {"", "--only-binary", true, OptionKind::OnlyBinary},
    {"", "--hash", true, OptionKind::Hash},
};
constexpr std::string_view supported_options =
    "-r, -c, -e, -i, --extra-index-url, -f, --no-index, --pre, --prefer-binary, --require-hashes, --no-binary, "
    "--only-binary and --hash";

struct ParsedOption {
    OptionKind kind;
    std::string name;  // as written, for messages
    std::string value;
};

// Reads "-r FILE", "-rFILE", "--requirement FILE" and "--requirement=FILE" style options.
Result<std::vector<ParsedOption>> parse_options(std::string_view text) {
    auto tokens = shell_split(text);
    if (!tokens) return fail(std::move(tokens.error()));
    std::vector<ParsedOption> options;
    for (std::size_t i = 0; i < tokens->size(); ++i) {
        const std::string& token = (*tokens)[i];
        if (token.size() < 2 || token[0] != '-')
            return fail(ErrorKind::Input, fmt::format("unexpected '{}' where an option was expected", token));
        const OptionSpec* spec = nullptr;
        std::optional<std::string> inline_value;
        if (starts_with(token, "--")) {
            const auto equals = token.find('=');
            const auto name = std::string_view(token).substr(0, equals);
            for (const auto& candidate : option_specs) {
                if (candidate.long_name == name) spec = &candidate;
            }
            if (spec && equals != std::string::npos) inline_value = token.substr(equals + 1);
        } else {
            for (const auto& candidate : option_specs) {
                if (!candidate.short_name.empty() && starts_with(token, candidate.short_name)) spec = &candidate;
            }
            if (spec && token.size() > 2) inline_value = token.substr(2);
        }
        if (spec == nullptr) {
            const auto name = token.substr(0, token.find('='));
            return fail(Error{ErrorKind::Input,
                              fmt::format("unsupported option '{}' in a requirements file", name),
                              std::nullopt,
                              {fmt::format("envctl supports {}", supported_options)}});
        }
        const std::string name = std::string(starts_with(token, "--") ? spec->long_name : spec->short_name);
        if (!spec->takes_value) {
            if (inline_value) return fail(ErrorKind::Input, fmt::format("option {} takes no value", name));
            options.push_back({spec->kind, name, {}});
            continue;
        }
        if (!inline_value) {
            if (i + 1 >= tokens->size()) return fail(ErrorKind::Input, fmt::format("option {} needs a value", name));
            inline_value = (*tokens)[++i];
        }
        if (inline_value->empty()) return fail(ErrorKind::Input, fmt::format("option {} needs a value", name));
        options.push_back({spec->kind, name, std::move(*inline_value)});
    }
    return options;
}

Result<BinaryPolicy> parse_binary_policy(bool only_binary, std::string_view value) {
    BinaryPolicy policy{only_binary, {}};
    for (auto item : split(value, ',')) {
        item = trim(item);
        if (item == ":all:" || item == ":none:") {
            policy.names.emplace_back(item);
        } else if (is_valid_name(item)) {
            policy.names.push_back(normalize_name(item));
        } else {
            return fail(ErrorKind::Input,
                        fmt::format("invalid package name '{}' for {}: expected names, :all: or :none:", item,
                                    only_binary ? "--only-binary" : "--no-binary"));
        }
    }
    return policy;
}

bool has_url_scheme(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon < 2) return false;  // "C:" is a drive letter
    const auto scheme = text.substr(0, colon);
    const bool valid = std::all_of(scheme.begin(), scheme.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
               c == '.';
    });
    return valid && (scheme == "file" || starts_with(text.substr(colon), "://"));
}

bool looks_like_path(std::string_view text) {
    return text.find('/') != std::string_view::npos || text.find('\\') != std::string_view::npos ||
           starts_with(text, ".");
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            if (auto byte = from_hex(text.substr(i + 1, 2))) {
                out += *byte;
                i += 2;
                continue;
            }
        }
        out.push_back(text[i]);
    }
    return out;
}

// A bare URL or path ("./dist/pkg-1.0-py3-none-any.whl[extra] ; marker").
Result<RequirementsItem> parse_link(std::string_view args, bool is_url, std::vector<RequirementHash> hashes) {
    // pip separates a URL's marker with "; " (URLs may contain ";"), a path's with ";".
    const auto separator = args.find(is_url ? "; " : ";");
    auto location = trim(args.substr(0, separator));
    WheelReference reference;
    reference.is_url = is_url;
    if (separator != std::string_view::npos) {
        auto marker = Marker::parse(trim(args.substr(separator + 1)));
        if (!marker) return fail(std::move(marker.error()));
        reference.marker = std::move(*marker);
    }
    if (!is_url && location.size() > 2 && location.back() == ']') {
        if (const auto open = location.rfind('['); open != std::string_view::npos && open > 0) {
            for (auto extra : split(location.substr(open + 1, location.size() - open - 2), ',')) {
                if (!is_valid_name(trim(extra)))
                    return fail(ErrorKind::Input, fmt::format("invalid extra '{}' in '{}'", trim(extra), location));
                reference.extras.push_back(normalize_name(trim(extra)));
            }
            location = location.substr(0, open);
        }
    }
    auto path = location;
    if (is_url) {
        const auto fragment = path.find('#');
        if (fragment != std::string_view::npos) {
            for (auto item : split(path.substr(fragment + 1), '&')) {
                const auto equals = item.find('=');
                if (equals == std::string_view::npos) continue;
                const auto key = item.substr(0, equals);
                if (key != "sha256" && key != "sha384" && key != "sha512") continue;
                auto hash = parse_hash(fmt::format("{}:{}", key, item.substr(equals + 1)));
                if (!hash) return fail(std::move(hash.error()));
                hashes.push_back(std::move(*hash));
            }
        }
        path = path.substr(0, std::min(path.find('?'), fragment));
        if (starts_with(location, "git+") || starts_with(location, "hg+") || starts_with(location, "svn+") ||
            starts_with(location, "bzr+"))
            return fail(Error{ErrorKind::Input,
                              fmt::format("'{}' is a version-control URL, which needs building from source", location),
                              std::nullopt,
                              {"envctl installs wheels only: point at a .whl file or a package index instead"}});
    }
    const auto filename = percent_decode(path.substr(std::min(path.find_last_of("/\\") + 1, path.size())));
    switch (distribution_kind(filename)) {
        case DistributionKind::Wheel: {
            auto wheel = WheelFilename::parse(filename);
            if (!wheel) return fail(std::move(wheel.error()));
            reference.wheel = std::move(*wheel);
            break;
        }
        case DistributionKind::SourceDistribution:
            return fail(Error{ErrorKind::Input,
                              fmt::format("'{}' is a source distribution, which needs building", location),
                              std::nullopt,
                              {"envctl installs wheels only: build a wheel first (pip wheel) or use one from an index"}});
        case DistributionKind::Unknown:
            return fail(Error{ErrorKind::Input,
                              fmt::format("'{}' is not a wheel file{}", location,
                                          is_url ? "" : " (local project directories need building)"),
                              std::nullopt,
                              {"envctl installs wheels only: give a .whl file, or a requirement such as 'name>=1.0'"}});
    }
    reference.location = std::string(location);
    reference.hashes = std::move(hashes);
    return RequirementsItem{std::move(reference)};
}

Result<RequirementsItem> parse_requirement_part(std::string_view args, std::vector<RequirementHash> hashes) {
    if (has_url_scheme(args)) return parse_link(args, true, std::move(hashes));
    const auto at = args.find('@');
    const bool pep508_url = at != std::string_view::npos && !looks_like_path(args.substr(0, at));
    const auto before_marker = trim(args.substr(0, args.find(';')));
    if (!pep508_url && (looks_like_path(before_marker) || distribution_kind(before_marker) != DistributionKind::Unknown))
        return parse_link(args, false, std::move(hashes));
    auto requirement = Requirement::parse(args);
    if (!requirement) return fail(std::move(requirement.error()));
    return RequirementsItem{RequirementEntry{std::move(*requirement), std::move(hashes)}};
}

}  // namespace

std::vector<LogicalLine> split_requirements_lines(std::string_view text) {
    std::vector<LogicalLine> joined;
    std::optional<LogicalLine> pending;
    const auto lines = physical_lines(text);
    for (std::size_t index = 0; index < lines.size(); ++index) {
        std::string line(lines[index]);
        const bool comment = is_comment_line(line);
        if (!ends_with(line, "\\") || comment) {
            if (comment) line.insert(line.begin(), ' ');
            if (pending) {
                pending->text += line;
                joined.push_back(std::move(*pending));
                pending.reset();
            } else {
                joined.push_back({index + 1, std::move(line)});
            }
            continue;
        }
        // pip strips backslashes from both ends of a continued line.
        const auto first = line.find_first_not_of('\\');
        const auto last = line.find_last_not_of('\\');
        const auto stripped = first == std::string::npos ? std::string{} : line.substr(first, last - first + 1);
        if (!pending) pending = LogicalLine{index + 1, {}};
        pending->text += stripped;
    }
    if (pending) joined.push_back(std::move(*pending));

    std::vector<LogicalLine> out;
    for (auto& line : joined) {
        const auto text_without_comment = trim(strip_comment(line.text));
        if (!text_without_comment.empty()) out.push_back({line.line, std::string(text_without_comment)});
    }
    return out;
}

std::string expand_environment_variables(std::string_view line,
                                         const std::function<std::optional<std::string>(std::string_view)>& lookup) {
    std::string out;
    std::size_t i = 0;
    while (i < line.size()) {
        if (line.substr(i, 2) == "${") {
            const auto close = line.find('}', i + 2);
            if (close != std::string_view::npos && close > i + 2) {
                const auto name = line.substr(i + 2, close - i - 2);
                const bool valid = std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
                });
                if (valid) {
                    if (auto value = lookup(name)) {
                        out += *value;
                        i = close + 1;
                        continue;
                    }
                }
            }
        }
        out.push_back(line[i++]);
    }
    return out;
}

Result<std::vector<RequirementsItem>> parse_requirements_line(std::string_view line) {
    line = trim(line);
    // As pip: the requirement is everything before the first whitespace-separated token that
    // starts with "-"; the rest are options.
    std::size_t options_start = 0;
    bool at_token_start = true;
    for (options_start = 0; options_start < line.size(); ++options_start) {
        const char c = line[options_start];
        if (at_token_start && c == '-') break;
        at_token_start = is_ascii_space(c);
    }
    const auto args = trim(line.substr(0, options_start));
    auto options = parse_options(line.substr(options_start));
    if (!options) return fail(std::move(options.error()));

    std::vector<RequirementsItem> items;
    if (!args.empty()) {
        std::vector<RequirementHash> hashes;
        for (const auto& option : *options) {
            if (option.kind != OptionKind::Hash)
                return fail(ErrorKind::Input,
                            fmt::format("option {} cannot follow a requirement on the same line (only --hash can)",
                                        option.name));
            auto hash = parse_hash(option.value);
            if (!hash) return fail(std::move(hash.error()));
            hashes.push_back(std::move(*hash));
        }
        auto item = parse_requirement_part(args, std::move(hashes));
        if (!item) return fail(std::move(item.error()));
        items.push_back(std::move(*item));
        return items;
    }
    for (auto& option : *options) {
        switch (option.kind) {
            case OptionKind::Requirement: items.emplace_back(IncludeRequirements{std::move(option.value)}); break;
            case OptionKind::Constraint: items.emplace_back(IncludeConstraints{std::move(option.value)}); break;
            case OptionKind::Editable: items.emplace_back(EditableRequirement{std::move(option.value)}); break;
            case OptionKind::IndexUrl: items.emplace_back(IndexUrl{std::move(option.value)}); break;
            case OptionKind::ExtraIndexUrl: items.emplace_back(ExtraIndexUrl{std::move(option.value)}); break;
            case OptionKind::FindLinks: items.emplace_back(FindLinks{std::move(option.value)}); break;
            case OptionKind::NoIndex: items.emplace_back(NoIndex{}); break;
            case OptionKind::Pre: items.emplace_back(AllowPrereleases{}); break;
            case OptionKind::PreferBinary: items.emplace_back(PreferBinary{}); break;
            case OptionKind::RequireHashes: items.emplace_back(RequireHashes{}); break;
            case OptionKind::NoBinary:
            case OptionKind::OnlyBinary: {
                auto policy = parse_binary_policy(option.kind == OptionKind::OnlyBinary, option.value);
                if (!policy) return fail(std::move(policy.error()));
                items.emplace_back(std::move(*policy));
                break;
            }
            case OptionKind::Hash:
                return fail(ErrorKind::Input, "--hash must follow a requirement on the same line");
        }
    }
    return items;
}

}  // namespace envctl::pypi
