#include "envctl/conda/channel.hpp"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "envctl/conda/platform.hpp"
#include "envctl/conda/string_matcher.hpp"
#include "envctl/util/ascii.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::conda {

namespace {

std::string_view strip_trailing_slashes(std::string_view text) {
    while (text.size() > 1 && (text.back() == '/' || text.back() == '\\')) text.remove_suffix(1);
    return text;
}

std::string clean_url(std::string_view url) { return std::string(strip_trailing_slashes(strip_credentials(url))); }

bool has_scheme(std::string_view text) {
    const auto colon = text.find("://");
    if (colon == std::string_view::npos || colon == 0) return false;
    return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
    });
}

bool is_drive_path(std::string_view text) {
    const bool letter = !text.empty() && ((text[0] >= 'a' && text[0] <= 'z') || (text[0] >= 'A' && text[0] <= 'Z'));
    return letter && text.size() >= 2 && text[1] == ':' && (text.size() == 2 || text[2] == '/' || text[2] == '\\');
}

bool is_path(std::string_view text) {
    if (text.empty()) return false;
    if (text[0] == '/' || text[0] == '\\' || text[0] == '~') return true;
    if (text == "." || text == "..") return true;
    if (text.rfind("./", 0) == 0 || text.rfind("../", 0) == 0 || text.rfind(".\\", 0) == 0 || text.rfind("..\\", 0) == 0)
        return true;
    return is_drive_path(text);
}

bool is_channel_name_character(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-' || c == '/';
}

// The display name of a channel URL: its path below the alias or a custom channel, else the URL.
std::string name_for_url(const std::string& base_url, const ChannelContext& context) {
    const auto alias = clean_url(context.channel_alias);
    if (base_url.size() > alias.size() + 1 && base_url.compare(0, alias.size(), alias) == 0 && base_url[alias.size()] == '/')
        return base_url.substr(alias.size() + 1);
    for (const auto& [name, location] : context.custom_channels) {
        const auto prefix = clean_url(join_url(location, name));
        if (base_url == prefix) return name;
        if (base_url.size() > prefix.size() && base_url.compare(0, prefix.size(), prefix) == 0 && base_url[prefix.size()] == '/')
            return name + base_url.substr(prefix.size());
    }
    return base_url;
}

}  // namespace

std::string percent_decode(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
            out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::pair<std::string_view, std::string_view> split_channel_subdir(std::string_view text) {
    const auto slash = text.rfind('/');
    if (slash == std::string_view::npos || slash == 0 || text[slash - 1] == '/' || text[slash - 1] == ':')
        return {text, {}};
    const auto last = text.substr(slash + 1);
    if (!is_known_subdir(last)) return {text, {}};
    return {text.substr(0, slash), last};
}

std::string path_to_file_url(std::string_view absolute_path) {
    std::string path(absolute_path);
    std::replace(path.begin(), path.end(), '\\', '/');
    std::string out = "file://";
    if (is_drive_path(path)) out += '/';
    for (const char c : path) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7f || c == '%' || c == '#' || c == '?') {
            out += fmt::format("%{:02X}", byte);
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::string> file_url_to_path(std::string_view url) {
    if (url.rfind("file://", 0) != 0) return std::nullopt;
    auto rest = url.substr(7);
    if (rest.rfind("localhost/", 0) == 0) rest.remove_prefix(9);
    auto path = percent_decode(rest);
    if (path.size() >= 3 && path[0] == '/' && is_drive_path(std::string_view(path).substr(1))) path.erase(0, 1);
    return path;
}

Result<Channel> Channel::resolve(std::string_view input, const ChannelContext& context) {
    const auto text = trim(input);
    if (text.empty()) return fail(ErrorKind::Input, "empty channel name");
    if (text == "defaults")
        return fail(ErrorKind::Internal, "'defaults' stands for several channels and must be expanded by resolve_channels()");
    if (text == "nodefaults") return fail(ErrorKind::Input, "'nodefaults' is not a channel");

    Channel channel;
    if (has_scheme(text)) {
        const auto bad = std::find_if(text.begin(), text.end(), [](char c) {
            const auto byte = static_cast<unsigned char>(c);
            return byte <= 0x20 || byte == 0x7f || std::string_view("\"'<>`{}|\\^").find(c) != std::string_view::npos;
        });
        if (bad != text.end())
            return fail(ErrorKind::Input, fmt::format("invalid channel URL '{}': character {} is not allowed in a URL",
                                                      redact_url(text), static_cast<int>(static_cast<unsigned char>(*bad))));
        const auto [location, subdir] = split_channel_subdir(strip_trailing_slashes(text));
        if (!subdir.empty()) channel.platforms_.emplace_back(subdir);
        const auto parts = parse_url(location);
        if (!parts || (parts->host.empty() && parts->scheme != "file"))
            return fail(ErrorKind::Input, fmt::format("invalid channel URL '{}': expected scheme://host/path", redact_url(text)));
        channel.authenticated_base_ = std::string(strip_trailing_slashes(location));
        channel.credentials_ = credentials_of(location);
        channel.base_url_ = clean_url(location);
        channel.name_ = channel.base_url_.rfind("file://", 0) == 0 ? channel.base_url_ : name_for_url(channel.base_url_, context);
        return channel;
    }

    if (is_path(text)) {
        std::string path(text);
        std::replace(path.begin(), path.end(), '\\', '/');
        if (path[0] == '~') {
            if (path.size() > 1 && path[1] != '/')
                return fail(ErrorKind::Input, fmt::format("cannot resolve channel path '{}': only '~/' is expanded", text));
            if (context.home.empty())
                return fail(ErrorKind::Input, fmt::format("cannot resolve channel path '{}': the home directory is unknown", text));
            path = context.home + path.substr(1);
        }
        if (path[0] != '/' && !is_drive_path(path)) {
            if (context.cwd.empty())
                return fail(ErrorKind::Input, fmt::format("cannot resolve relative channel path '{}': no working directory given", text));
            path = (std::filesystem::path(context.cwd) / path).generic_string();
        }
        path = std::filesystem::path(path).lexically_normal().generic_string();
        const auto [location, subdir] = split_channel_subdir(strip_trailing_slashes(path));
        if (!subdir.empty()) channel.platforms_.emplace_back(subdir);
        channel.base_url_ = path_to_file_url(location);
        channel.authenticated_base_ = channel.base_url_;
        channel.name_ = channel.base_url_;
        return channel;
    }

    for (const char c : text) {
        if (!is_channel_name_character(c))
            return fail(ErrorKind::Input, fmt::format("invalid channel '{}': expected a channel name, a URL or a path", text));
    }
    const auto [name, subdir] = split_channel_subdir(strip_trailing_slashes(text));
    if (name.empty() || name.front() == '/' || name.find("//") != std::string_view::npos)
        return fail(ErrorKind::Input, fmt::format("invalid channel name '{}'", text));
    if (!subdir.empty()) channel.platforms_.emplace_back(subdir);
    const auto first = name.substr(0, name.find('/'));
    std::string location;
    if (const auto custom = context.custom_channels.find(first); custom != context.custom_channels.end()) {
        location = join_url(join_url(custom->second, first), name.substr(first.size()));
    } else {
        for (const auto& candidate : context.default_channels) {
            const auto parts = parse_url(candidate);
            if (parts && strip_trailing_slashes(parts->path) == fmt::format("/{}", name)) location = candidate;
        }
        if (location.empty()) location = join_url(context.channel_alias, name);
    }
    location = std::string(strip_trailing_slashes(location));
    channel.authenticated_base_ = location;
    channel.credentials_ = credentials_of(location);
    channel.base_url_ = clean_url(location);
    channel.name_ = std::string(name);
    return channel;
}

std::string Channel::subdir_url(std::string_view subdir) const { return join_url(base_url_, subdir); }

std::string Channel::authenticated_url(std::string_view subdir) const {
    return subdir.empty() ? authenticated_base_ : join_url(authenticated_base_, subdir);
}

Result<std::vector<Channel>> resolve_channels(std::span<const std::string> channels, const ChannelContext& context) {
    std::vector<Channel> resolved;
    auto add = [&resolved](Channel channel) {
        if (std::find(resolved.begin(), resolved.end(), channel) == resolved.end()) resolved.push_back(std::move(channel));
    };
    for (const auto& text : channels) {
        const auto name = trim(text);
        if (name == "nodefaults") continue;
        if (name == "defaults") {
            for (const auto& url : context.default_channels) {
                auto channel = Channel::resolve(url, context);
                if (!channel) return tl::unexpected(std::move(channel.error()).with_context("resolving the 'defaults' channels"));
                add(std::move(*channel));
            }
            continue;
        }
        auto channel = Channel::resolve(name, context);
        if (!channel) return tl::unexpected(std::move(channel.error()));
        add(std::move(*channel));
    }
    return resolved;
}

bool channel_matches(std::string_view spec_channel, std::string_view record_channel, const ChannelContext& context) {
    spec_channel = trim(spec_channel);
    if (spec_channel.empty() || spec_channel == "*") return true;
    std::string record;
    if (has_scheme(record_channel)) {
        record = clean_url(record_channel);
    } else if (auto resolved = Channel::resolve(record_channel, context)) {
        record = resolved->base_url();
    } else {
        record = std::string(record_channel);
    }
    if (spec_channel == "defaults") {
        return std::any_of(context.default_channels.begin(), context.default_channels.end(),
                           [&](const std::string& url) { return ascii_iequals(clean_url(url), record); });
    }
    if (spec_channel.find('*') != std::string_view::npos)
        return glob_match_icase(spec_channel, record) || glob_match_icase(spec_channel, name_for_url(record, context));
    const auto resolved = Channel::resolve(spec_channel, context);
    return resolved && ascii_iequals(resolved->base_url(), record);
}

}  // namespace envctl::conda
