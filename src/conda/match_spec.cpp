#include "envctl/conda/match_spec.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "envctl/util/ascii.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::conda {

namespace {

constexpr std::size_t kMaxSpecLength = 8192;

bool contains(std::string_view set, char c) { return set.find(c) != std::string_view::npos; }
// Hot-path character classes of the positional part (no memchr per character).
bool is_operator_char(char c) {
    switch (c) {
        case '<': case '>': case '=': case '!': case '~': case ',': case '|': case '(': case ')': return true;
        default: return false;
    }
}
bool is_not_in_build(char c) {
    switch (c) {
        case '-': case '=': case ',': case '|': case '<': case '>': case '~': return true;
        default: return false;
    }
}
bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string shown(std::string_view spec) { return redact_text(spec); }

struct SpecError {
    std::string_view spec;
    tl::unexpected<Error> operator()(std::string_view problem) const {
        return fail(ErrorKind::Input, fmt::format("invalid match spec '{}': {}", shown(spec), problem));
    }
};

const std::set<std::string, std::less<>> kFieldKeys = {"name", "version", "build", "build_number", "channel", "subdir", "md5",
                                                     "sha256", "fn", "url", "license", "license_family", "track_features", "when"};

bool is_package_name_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == '*';
}

// Bracket section `[key=value, key2='value 2']`, from the '[' at `open`. Returns the pairs and
// sets `end` past the closing ']'.
Result<std::vector<std::pair<std::string, std::string>>> parse_brackets(std::string_view text, std::size_t open,
                                                                       std::size_t& end, const SpecError& error) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t extras = 0;
    std::size_t i = open + 1;
    auto skip_space = [&] {
        while (i < text.size() && is_ascii_space(text[i])) ++i;
    };
    while (true) {
        skip_space();
        if (i >= text.size()) return error("missing ']' at the end of the brackets");
        if (text[i] == ']') {
            if (extras > 0 && !pairs.empty()) return error("brackets mix key=value pairs and bare names");
            end = i + 1;
            return pairs;
        }
        if (text[i] == ',') {
            if (pairs.empty() && extras == 0) return error(fmt::format("expected key=value after '[', found ',' at position {}", i + 1));
            ++i;
            skip_space();
        }
        const auto key_begin = i;
        while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z') ||
                                   (text[i] >= '0' && text[i] <= '9') || text[i] == '_' || text[i] == '-'))
            ++i;
        if (i == key_begin) {
            if (i >= text.size()) return error("missing ']' at the end of the brackets");
            return error(fmt::format("expected a key in brackets at position {}, found '{}'", i + 1, text[i]));
        }
        auto key = to_lower(text.substr(key_begin, i - key_begin));
        skip_space();
        if (i < text.size() && (text[i] == ',' || text[i] == ']') && !kFieldKeys.count(key)) {
            // pip-style extras (`ray[default,data] >=2.9`, seen in conda-forge constrains): no
            // meaning for conda packages, ignored as conda does.
            ++extras;
            continue;
        }
        if (i >= text.size() || text[i] != '=')
            return error(fmt::format("expected '=' after '{}' in brackets (key=value)", key));
        ++i;
        skip_space();
        std::string value;
        if (i < text.size() && (text[i] == '\'' || text[i] == '"')) {
            const char quote = text[i];
            const auto close = text.find(quote, i + 1);
            if (close == std::string_view::npos) return error(fmt::format("unterminated {} quote in the value of '{}'", quote, key));
            value = std::string(text.substr(i + 1, close - i - 1));
            i = close + 1;
        } else {
            const auto value_begin = i;
            while (i < text.size() && text[i] != ',' && text[i] != ']' && !is_ascii_space(text[i])) {
                if (text[i] == '\'' || text[i] == '"' || text[i] == '[')
                    return error(fmt::format("unexpected {} in the value of '{}' (quote the whole value)", text[i], key));
                ++i;
            }
            value = std::string(text.substr(value_begin, i - value_begin));
        }
        if (trim(value).empty()) return error(fmt::format("empty value for '{}' in brackets", key));
        pairs.emplace_back(std::move(key), std::string(trim(value)));
        skip_space();
        if (i < text.size() && text[i] != ',' && text[i] != ']' &&
            !((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z')))
            return error(fmt::format("expected ',' or ']' after the value of '{}', found '{}'", pairs.back().first, text[i]));
    }
}

// Whitespace next to an operator, comma, pipe or parenthesis carries no meaning: drop it.
// Other whitespace runs become one space (the version/build separator).
std::string squeeze_spaces(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (!is_ascii_space(text[i])) {
            out += text[i++];
            continue;
        }
        while (i < text.size() && is_ascii_space(text[i])) ++i;
        const bool after_operator = !out.empty() && is_operator_char(out.back());
        const bool before_operator = i < text.size() && is_operator_char(text[i]);
        if (!after_operator && !before_operator && !out.empty() && i < text.size()) out += ' ';
    }
    return out;
}

struct VersionAndBuild {
    std::string version;
    std::string build;
    char separator = '\0';  // ' ' or '=' before the build; '\0' without build
};

// conda's rule: the build is the last field, after a space or '=' that does not follow an
// operator, and holds none of "-=,|<>~".
VersionAndBuild split_version_build(std::string_view text) {
    VersionAndBuild out;
    const auto squeezed = squeeze_spaces(text);
    std::size_t last_forbidden = 0;
    for (std::size_t i = 0; i < squeezed.size(); ++i)
        if (is_not_in_build(squeezed[i])) last_forbidden = i;
    for (std::size_t i = std::max<std::size_t>(1, last_forbidden); i + 1 < squeezed.size(); ++i) {
        const char c = squeezed[i];
        if ((c == ' ' || c == '=') && !(is_operator_char(squeezed[i - 1]) && squeezed[i - 1] != '(' && squeezed[i - 1] != ')')) {
            out.version = squeezed.substr(0, i);
            out.build = squeezed.substr(i + 1);
            out.separator = c;
            return out;
        }
    }
    out.version = squeezed;
    return out;
}

Result<std::string> parse_digest(std::string_view key, std::string_view value, std::size_t bytes, const SpecError& error) {
    auto lower = to_lower(trim(value));
    if (!is_hex_digest(lower, bytes)) return error(fmt::format("'{}' must be {} hexadecimal characters", key, bytes * 2));
    return lower;
}

std::vector<std::string> split_features(std::string_view value) {
    std::string spaced(value);
    std::replace(spaced.begin(), spaced.end(), ',', ' ');
    std::vector<std::string> out;
    for (const auto part : split_whitespace(spaced)) out.emplace_back(part);
    return out;
}

// A URL as printed: never with credentials.
std::string printable_url(std::string_view url) {
    std::string printed(url);
    if (printed.find("://") == std::string::npos) return printed;
    // Until nothing changes: a URL may hold more than one /t/<token> segment.
    for (auto stripped = strip_credentials(printed); stripped != printed; stripped = strip_credentials(printed))
        printed = std::move(stripped);
    return printed;
}

// A channel as printed: without credentials and trailing slashes.
std::string printable_channel(std::string_view channel) {
    auto printed = printable_url(channel);
    while (printed.size() > 1 && printed.back() == '/') printed.pop_back();
    return printed;
}

Status set_channel(MatchSpec& spec, std::string_view text, const SpecError& error) {
    auto [channel, subdir] = split_channel_subdir(trim(text));
    while (channel.size() > 1 && channel.back() == '/') channel.remove_suffix(1);  // "conda-forge/" is "conda-forge"
    const auto bad = std::find_if(channel.begin(), channel.end(), [](char c) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || contains("-._~/:@%+*\\", c));
    });
    if (bad != channel.end())
        return error(fmt::format("invalid character '{}' in channel '{}'", *bad, channel));
    if (channel != "*") {
        // Any name, URL or path resolves in some context; garbage does not. Globs are checked
        // with their stars replaced.
        static const ChannelContext kSyntaxOnly = [] {
            ChannelContext context;
            context.cwd = "/";
            context.home = "/";
            return context;
        }();
        std::string probe(channel);
        std::replace(probe.begin(), probe.end(), '*', 'x');
        if (auto resolved = Channel::resolve(probe, kSyntaxOnly); !resolved && channel != "defaults")
            return error(fmt::format("invalid channel '{}'", channel));
    }
    // Printing drops credentials; what remains must still read back as the same channel.
    if (!split_channel_subdir(printable_channel(channel)).second.empty())
        return error(fmt::format("invalid channel '{}': credentials after the platform", redact_url(channel)));
    spec.channel = (channel == "*") ? std::string() : std::string(channel);
    if (!subdir.empty()) spec.subdir = StringMatcher::exactly(subdir);
    return {};
}

Status apply_bracket(MatchSpec& spec, const std::string& key, const std::string& value, const SpecError& error) {
    auto wrap = [&](const Error& inner) { return error(inner.message); };
    if (key == "name") return {};  // CEP 29: the positional name wins
    if (key == "version") {
        auto version = VersionSpec::parse(value);
        if (!version) return wrap(version.error());
        spec.version = std::move(*version);
    } else if (key == "build") {
        auto build = StringMatcher::parse(value);
        if (!build) return wrap(build.error());
        spec.build = std::move(*build);
    } else if (key == "build_number") {
        auto number = BuildNumberSpec::parse(value);
        if (!number) return wrap(number.error());
        spec.build_number = *number;
    } else if (key == "channel") {
        return set_channel(spec, value, error);
    } else if (key == "subdir") {
        auto subdir = StringMatcher::parse(value);
        if (!subdir) return wrap(subdir.error());
        spec.subdir = std::move(*subdir);
    } else if (key == "md5") {
        auto digest = parse_digest(key, value, 16, error);
        if (!digest) return tl::unexpected(digest.error());
        spec.md5 = std::move(*digest);
    } else if (key == "sha256") {
        auto digest = parse_digest(key, value, 32, error);
        if (!digest) return tl::unexpected(digest.error());
        spec.sha256 = std::move(*digest);
    } else if (key == "fn") {
        spec.fn = value;
    } else if (key == "url") {
        spec.url = value;
    } else if (key == "license" || key == "license_family") {
        auto matcher = StringMatcher::parse(value);
        if (!matcher) return wrap(matcher.error());
        (key == "license" ? spec.license : spec.license_family) = std::move(*matcher);
    } else if (key == "track_features") {
        spec.track_features = split_features(value);
    } else if (key == "when") {
        return error("conditional dependencies ([when=...]) are not supported");
    } else {
        return error(fmt::format("unknown key '{}' in brackets (expected version, build, build_number, channel, subdir, "
                                 "md5, sha256, fn, url, license, license_family or track_features)", key));
    }
    return {};
}

// CEP 26: ^[a-zA-Z0-9_.+]+$
bool is_build_string(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '+';
    });
}

bool is_archive(std::string_view text) { return ends_with(text, ".conda") || ends_with(text, ".tar.bz2"); }

// `https://host/channel/linux-64/foo-1.0-0.conda` or an absolute path to an archive.
Result<MatchSpec> parse_artifact(std::string_view text, const SpecError& error) {
    std::string url;
    if (text.find("://") != std::string_view::npos) {
        if (text.find_first_of(" \t") != std::string_view::npos) return error("unexpected space in the package URL");
        url = std::string(text);
    } else if (text.front() == '/' || (text.size() > 2 && text[1] == ':' && (text[2] == '\\' || text[2] == '/'))) {
        url = path_to_file_url(text);
    } else {
        return error("a package file must be given as a URL or an absolute path");
    }
    const auto slash = url.find_last_of("/\\");
    const auto filename = percent_decode(std::string_view(url).substr(slash + 1));  // %21 is the '!' of epochs
    const auto parts = parse_archive_name(filename);
    if (!parts) return error(fmt::format("'{}' is not a package file name (name-version-build.conda or .tar.bz2)", filename));
    MatchSpec spec;
    const auto lowered = to_lower(parts->name);
    if (!std::all_of(lowered.begin(), lowered.end(), [](char c) { return is_package_name_character(c) && c != '*'; }))
        return error(fmt::format("invalid package name '{}' in '{}'", parts->name, filename));
    auto name = StringMatcher::parse(lowered);
    auto version = Version::parse(parts->version);
    if (!name || !version) return error(fmt::format("'{}' is not a package file name", filename));
    if (!is_build_string(parts->build)) return error(fmt::format("invalid build string '{}' in '{}'", parts->build, filename));
    auto build = StringMatcher::parse(parts->build);
    if (!build) return error(fmt::format("invalid build string in '{}'", filename));
    spec.name = std::move(*name);
    spec.version = VersionSpec::exactly(*version);
    spec.build = std::move(*build);
    if (!ends_with(printable_url(url), std::string_view(url).substr(slash)))
        return error("credentials in an unexpected place of the package URL");
    spec.fn = filename;
    spec.url = url;
    const auto directory = std::string_view(url).substr(0, slash);
    const auto [channel, subdir] = split_channel_subdir(directory);
    if (!subdir.empty()) {
        spec.channel = std::string(channel);
        spec.subdir = StringMatcher::exactly(subdir);
    }
    return spec;
}

bool needs_quotes(std::string_view value) {
    return std::any_of(value.begin(), value.end(), [](char c) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || contains("_.*-/:+@%", c));
    });
}

std::string bracket(std::string_view key, std::string_view value) {
    if (!needs_quotes(value)) return fmt::format("{}={}", key, value);
    const char quote = value.find('\'') == std::string_view::npos ? '\'' : '"';
    return fmt::format("{}={}{}{}", key, quote, value, quote);
}

bool has_star(std::string_view text) { return text.find('*') != std::string_view::npos; }

}  // namespace

Result<MatchSpec> MatchSpec::parse(std::string_view input) {
    const SpecError error{input};
    auto text = trim(input);
    if (text.empty()) return error("the spec is empty");
    if (text.size() > kMaxSpecLength) return error(fmt::format("longer than {} characters", kMaxSpecLength));
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if ((byte < 0x20 && text[i] != '\t') || byte == 0x7f)
            return error(fmt::format("control character 0x{:02x} at position {}", byte, i + 1));
    }
    if (const auto hash = text.find('#'); hash != std::string_view::npos) {
        text = trim(text.substr(0, hash));
        if (text.empty()) return error("the spec is only a comment");
    }
    if (is_archive(text) && text.find_first_of("/\\") != std::string_view::npos && text.find('[') == std::string_view::npos &&
        text.find("::") == std::string_view::npos)
        return parse_artifact(text, error);

    std::vector<std::pair<std::string, std::string>> brackets;
    auto positional = text;
    std::string positional_storage;
    if (const auto open = text.find('['); open != std::string_view::npos) {
        std::size_t end = 0;
        auto pairs = parse_brackets(text, open, end, error);
        if (!pairs) return tl::unexpected(std::move(pairs.error()));
        brackets = std::move(*pairs);
        // conda cuts the bracket section out wherever it is: `ray[default] >=2.9` is `ray >=2.9`.
        positional_storage = std::string(trim(text.substr(0, open)));
        if (const auto after = trim(text.substr(end)); !after.empty()) {
            if (after.find('[') != std::string_view::npos) return error("more than one bracket section");
            positional_storage += ' ';
            positional_storage += after;
        }
        positional = positional_storage;
    }
    if (positional.find(']') != std::string_view::npos) return error("']' without '['");

    MatchSpec spec;
    // channel(/subdir):namespace:rest, split at the last two colons as conda does.
    const auto last_colon = positional.rfind(':');
    if (last_colon != std::string_view::npos) {
        const auto previous = last_colon == 0 ? std::string_view::npos : positional.rfind(':', last_colon - 1);
        if (previous != std::string_view::npos) {
            const auto channel = trim(positional.substr(0, previous));
            if (channel.empty()) return error("empty channel before '::'");
            if (auto status = set_channel(spec, channel, error); !status) return tl::unexpected(std::move(status.error()));
        }
        positional = trim(positional.substr(last_colon + 1));  // the namespace is ignored
    }
    if (positional.empty()) return error("missing package name");

    // The name runs up to the first space or operator character.
    const auto name_end = std::min(positional.find_first_of(" \t=<>!~"), positional.size());
    const auto raw_name = positional.substr(0, name_end);
    if (raw_name.empty()) return error(fmt::format("missing package name before '{}'", positional));
    auto lowered = to_lower(raw_name);
    const bool regex_name = lowered.size() >= 2 && lowered.front() == '^' && lowered.back() == '$';
    if (!regex_name) {
        for (const char c : lowered) {
            if (is_package_name_character(c)) continue;
            if (c == '/') return error(fmt::format("invalid package name '{}' (write a channel as 'channel::name')", raw_name));
            return error(fmt::format("invalid character '{}' in package name '{}'", c, raw_name));
        }
    }
    auto name = StringMatcher::parse(regex_name ? std::string(raw_name) : lowered);
    if (!name) return error(name.error().message);
    spec.name = std::move(*name);

    const auto rest = trim(positional.substr(name_end));
    if (!rest.empty()) {
        auto parts = split_version_build(rest);
        if (!parts.build.empty()) {
            if (parts.build.find(' ') != std::string::npos)
                return error(fmt::format("unexpected '{}' after the build string", parts.build.substr(parts.build.find(' ') + 1)));
            auto build = StringMatcher::parse(parts.build);
            if (!build) return error(build.error().message);
            spec.build = std::move(*build);
        }
        // name=1.2=build means exactly 1.2 (CEP 29); name =1.2 build and name=1.2 mean 1.2.*.
        auto version_text = std::string_view(parts.version);
        if (parts.separator == '=' && version_text.size() > 1 && version_text[0] == '=' && version_text[1] != '=' &&
            version_text.find_first_of("=,|", 1) == std::string_view::npos)
            version_text.remove_prefix(1);
        auto version = VersionSpec::parse(version_text);
        if (!version) return error(version.error().message);
        spec.version = std::move(*version);
    }

    for (const auto& [key, value] : brackets)
        if (auto status = apply_bracket(spec, key, value, error); !status) return tl::unexpected(std::move(status.error()));
    return spec;
}

MatchSpec MatchSpec::for_record(const PackageRecord& record) {
    MatchSpec spec;
    spec.name = StringMatcher::exactly(record.name);
    spec.version = VersionSpec::exactly(record.version);
    spec.build = StringMatcher::exactly(record.build);
    spec.channel = record.channel;
    if (!record.subdir.empty()) spec.subdir = StringMatcher::exactly(record.subdir);
    spec.md5 = record.md5;
    spec.sha256 = record.sha256;
    return spec;
}

std::optional<std::string_view> MatchSpec::exact_name() const {
    if (!name.is_exact()) return std::nullopt;
    return std::string_view(name.str());
}

bool MatchSpec::is_name_only() const {
    return version.is_any() && build.is_any() && build_number.is_any() && channel.empty() && subdir.is_any() &&
           md5.empty() && sha256.empty() && fn.empty() && url.empty() && license.is_any() && license_family.is_any() &&
           track_features.empty();
}

bool MatchSpec::matches(const PackageRecord& record) const {
    static const ChannelContext kDefaultContext;
    return matches(record, kDefaultContext);
}

bool MatchSpec::matches(const PackageRecord& record, const ChannelContext& context) const {
    if (!name.matches(record.name)) return false;
    if (!version.is_any() && !version.matches(record.version)) return false;
    if (!build.matches(record.build)) return false;
    if (!build_number.matches(record.build_number)) return false;
    if (!subdir.matches(record.subdir)) return false;
    if (!md5.empty() && md5 != record.md5) return false;
    if (!sha256.empty() && sha256 != record.sha256) return false;
    if (!fn.empty() && fn != record.fn) return false;
    if (!url.empty() && strip_credentials(url) != record.url) return false;
    if (!license.matches(record.license)) return false;
    if (!license_family.matches(record.license_family)) return false;
    for (const auto& feature : track_features)
        if (std::find(record.track_features.begin(), record.track_features.end(), feature) == record.track_features.end())
            return false;
    if (!channel.empty() && !channel_matches(channel, record.channel, context)) return false;
    return true;
}

std::string MatchSpec::str() const {
    if (!url.empty()) {
        // An artifact spec prints as its URL when that is all it says.
        auto clean = printable_url(url);  // not const: returned by move
        auto without_credentials = *this;
        without_credentials.url = clean;
        without_credentials.channel = printable_channel(channel);
        if (auto artifact = parse(clean); artifact && *artifact == without_credentials) return clean;
    }
    std::string out;
    std::vector<std::string> brackets;
    const auto printed_channel = printable_channel(channel);
    const bool channel_positional = !printed_channel.empty() && !has_star(printed_channel);
    if (channel_positional) {
        out += printed_channel;
        if (!subdir.is_any() && subdir.is_exact()) {
            out += '/';
            out += subdir.str();
        } else if (!subdir.is_any()) {
            brackets.push_back(bracket("subdir", subdir.str()));
        }
    } else {
        if (!printed_channel.empty()) brackets.push_back(bracket("channel", printed_channel));
        if (!subdir.is_any()) brackets.push_back(bracket("subdir", subdir.str()));
    }
    if (!out.empty()) out += "::";
    out += name.str();

    bool exact = false;
    if (!version.is_any()) {
        const auto& nodes = version.nodes();
        const auto op = nodes.front().op;
        using Op = VersionSpec::Op;
        if (version.is_exact()) {
            out += "==" + version.exact_version().str();
            exact = true;
        } else if (version.is_starts_with()) {
            out += "=" + version.starts_with_version().str();
        } else if (nodes.size() == 1 && build.is_any() &&
                   (op == Op::NotEqual || op == Op::NotStartsWith || op == Op::Compatible)) {
            out += version.str();
        } else {
            brackets.push_back(bracket("version", version.str()));
        }
    }
    if (!build.is_any()) {
        if (exact && build.is_exact() && is_build_string(build.str())) {
            out += "=" + build.str();
        } else {
            brackets.push_back(bracket("build", build.str()));
        }
    }
    if (!build_number.is_any()) brackets.push_back(bracket("build_number", build_number.str()));
    if (!track_features.empty()) brackets.push_back(bracket("track_features", join(track_features, " ")));
    if (!url.empty()) brackets.push_back(bracket("url", printable_url(url)));
    if (!md5.empty()) brackets.push_back(bracket("md5", md5));
    if (!license.is_any()) brackets.push_back(bracket("license", license.str()));
    if (!license_family.is_any()) brackets.push_back(bracket("license_family", license_family.str()));
    if (!fn.empty()) brackets.push_back(bracket("fn", fn));
    if (!sha256.empty()) brackets.push_back(bracket("sha256", sha256));
    if (!brackets.empty()) out += "[" + join(brackets, ",") + "]";
    return out;
}

}  // namespace envctl::conda
