// PEP 503 / 691 project pages.
#include "envctl/pip/simple_index.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/pypi/name.hpp"
#include "envctl/util/ascii.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::pip {

namespace {

// "scheme:" at the start of a reference.
std::size_t scheme_length(std::string_view text) {
    if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return 0;
    for (std::size_t i = 1; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ':') return i;
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return 0;
    }
    return 0;
}

// RFC 3986 5.2.4.
std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> out;
    const bool absolute = !path.empty() && path.front() == '/';
    const auto parts = split(absolute ? path.substr(1) : path, '/');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto part = parts[i];
        const bool last = i + 1 == parts.size();
        if (part == ".") {
            if (last) out.emplace_back();
            continue;
        }
        if (part == "..") {
            if (!out.empty()) out.pop_back();
            if (last) out.emplace_back();
            continue;
        }
        out.push_back(part);
    }
    std::string result = absolute ? "/" : "";
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i) result += '/';
        result += out[i];
    }
    return result;
}

struct SplitUrl {
    std::string_view scheme, authority, path, query, fragment;
    bool has_authority = false, has_query = false, has_fragment = false;
};

SplitUrl split_url(std::string_view url) {
    SplitUrl parts;
    if (const auto length = scheme_length(url)) {
        parts.scheme = url.substr(0, length);
        url.remove_prefix(length + 1);
    }
    if (const auto hash = url.find('#'); hash != std::string_view::npos) {
        parts.fragment = url.substr(hash + 1);
        parts.has_fragment = true;
        url = url.substr(0, hash);
    }
    if (const auto question = url.find('?'); question != std::string_view::npos) {
        parts.query = url.substr(question + 1);
        parts.has_query = true;
        url = url.substr(0, question);
    }
    if (url.starts_with("//")) {
        url.remove_prefix(2);
        const auto slash = url.find('/');
        parts.authority = url.substr(0, slash);
        parts.has_authority = true;
        url = slash == std::string_view::npos ? std::string_view() : url.substr(slash);
    }
    parts.path = url;
    return parts;
}

std::string join_parts(std::string_view scheme, bool has_authority, std::string_view authority, std::string_view path,
                       bool has_query, std::string_view query, bool has_fragment, std::string_view fragment) {
    std::string out;
    if (!scheme.empty()) out.append(scheme).push_back(':');
    if (has_authority) out.append("//").append(authority);
    out.append(path);
    if (has_query) out.append("?").append(query);
    if (has_fragment) out.append("#").append(fragment);
    return out;
}

void append_utf8(std::string& out, std::uint32_t code) {
    if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) code = 0xFFFD;
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// The character references pages use: the XML five and numeric ones.
std::string html_unescape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out += text[i];
            continue;
        }
        const auto semicolon = text.find(';', i + 1);
        if (semicolon == std::string_view::npos || semicolon - i > 12) {
            out += '&';
            continue;
        }
        const auto name = text.substr(i + 1, semicolon - i - 1);
        std::optional<std::uint32_t> code;
        if (name == "amp") code = '&';
        else if (name == "lt") code = '<';
        else if (name == "gt") code = '>';
        else if (name == "quot") code = '"';
        else if (name == "apos") code = '\'';
        else if (name.size() > 1 && name[0] == '#') {
            const bool hex = name[1] == 'x' || name[1] == 'X';
            const auto digits = name.substr(hex ? 2 : 1);
            std::uint32_t value = 0;
            const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
            if (!digits.empty() && error == std::errc{} && end == digits.data() + digits.size()) code = value;
        }
        if (!code) {
            out += '&';
            continue;
        }
        append_utf8(out, *code);
        i = semicolon;
    }
    return out;
}

bool is_hex(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// "sha256=abc" (a URL fragment or a PEP 658 attribute value) into `hashes`.
void add_hash(std::string_view item, std::map<std::string, std::string>& hashes) {
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) return;
    const auto algorithm = to_lower(trim(item.substr(0, equals)));
    const auto value = trim(item.substr(equals + 1));
    if (algorithm.empty() || !is_hex(value)) return;
    hashes.emplace(algorithm, to_lower(value));
}

// The file name of a URL: its last path segment, percent-decoded.
std::string filename_of(std::string_view url) {
    const auto end = std::min(url.find('?'), url.find('#'));
    const auto path = url.substr(0, end);
    return percent_decode(path.substr(path.rfind('/') + 1));
}

IndexFile file_from_link(std::string_view base, std::string_view href) {
    IndexFile file;
    auto absolute = resolve_url(base, href);
    if (const auto hash = absolute.find('#'); hash != std::string::npos) {
        for (const auto item : split(std::string_view(absolute).substr(hash + 1), '&')) add_hash(item, file.hashes);
        absolute.resize(hash);
    }
    file.filename = filename_of(absolute);
    file.url = std::move(absolute);
    return file;
}

// A tiny HTML tag reader: enough for the anchors and <base> of simple pages.
class TagScanner {
public:
    explicit TagScanner(std::string_view html) : html_(html) {}

    struct Tag {
        std::string name;  // lowercase
        std::vector<std::pair<std::string, std::string>> attributes;  // names lowercase, values unescaped
        const std::string* get(std::string_view key) const {
            for (const auto& [key_name, value] : attributes)
                if (key_name == key) return &value;
            return nullptr;
        }
    };

    std::optional<Tag> next() {
        while (position_ < html_.size()) {
            const auto open = html_.find('<', position_);
            if (open == std::string_view::npos) break;
            position_ = open + 1;
            if (html_.substr(open, 4) == "<!--") {
                const auto close = html_.find("-->", open + 4);
                position_ = close == std::string_view::npos ? html_.size() : close + 3;
                continue;
            }
            if (position_ < html_.size() && (html_[position_] == '/' || html_[position_] == '!' || html_[position_] == '?')) {
                skip_to_close();
                continue;
            }
            Tag tag;
            tag.name = read_name();
            if (tag.name.empty()) continue;
            read_attributes(tag);
            return tag;
        }
        return std::nullopt;
    }

private:
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
    bool at_name_char() const {
        if (position_ >= html_.size()) return false;
        const char c = html_[position_];
        return !is_space(c) && c != '>' && c != '/' && c != '=' && c != '"' && c != '\'' && c != '<';
    }
    void skip_spaces() {
        while (position_ < html_.size() && is_space(html_[position_])) ++position_;
    }
    void skip_to_close() {
        const auto close = html_.find('>', position_);
        position_ = close == std::string_view::npos ? html_.size() : close + 1;
    }
    std::string read_name() {
        std::string name;
        while (at_name_char()) name += ascii_lower(html_[position_++]);
        return name;
    }
    void read_attributes(Tag& tag) {
        for (;;) {
            skip_spaces();
            if (position_ >= html_.size()) return;
            const char c = html_[position_];
            if (c == '>') {
                ++position_;
                return;
            }
            if (c == '/' || c == '<' || c == '"' || c == '\'' || c == '=') {
                if (c == '<') return;  // an unclosed tag: the next one starts here
                ++position_;
                continue;
            }
            auto name = read_name();
            skip_spaces();
            std::string value;
            if (position_ < html_.size() && html_[position_] == '=') {
                ++position_;
                skip_spaces();
                value = read_value();
            }
            tag.attributes.emplace_back(std::move(name), html_unescape(value));
        }
    }
    std::string read_value() {
        if (position_ >= html_.size()) return {};
        const char quote = html_[position_];
        if (quote == '"' || quote == '\'') {
            const auto close = html_.find(quote, position_ + 1);
            const auto end = close == std::string_view::npos ? html_.size() : close;
            std::string value(html_.substr(position_ + 1, end - position_ - 1));
            position_ = std::min(end + 1, html_.size());
            return value;
        }
        const auto start = position_;
        while (position_ < html_.size() && !is_space(html_[position_]) && html_[position_] != '>') ++position_;
        return std::string(html_.substr(start, position_ - start));
    }

    std::string_view html_;
    std::size_t position_ = 0;
};

void apply_metadata_attribute(IndexFile& file, std::string_view value) {
    value = trim(value);
    if (ascii_iequals(value, "false")) return;
    file.has_metadata = true;
    if (value.find('=') != std::string_view::npos) add_hash(value, file.metadata_hashes);
}

using json = nlohmann::json;

Error json_error(std::string_view project, const std::string& message) {
    return Error{ErrorKind::Input, fmt::format("the index page of '{}' is not a valid PEP 691 page: {}", project, message),
                 std::nullopt, {}};
}

// `core-metadata` / `dist-info-metadata`: a bool or a hashes dictionary.
Status read_metadata_key(const json& value, IndexFile& file, std::string_view project) {
    if (value.is_boolean()) {
        file.has_metadata = value.get<bool>();
        return {};
    }
    if (!value.is_object()) return fail(json_error(project, fmt::format("'core-metadata' of {} is neither a bool nor a dictionary", file.filename)));
    file.has_metadata = true;
    for (const auto& [algorithm, digest] : value.items())
        if (digest.is_string() && is_hex(digest.get<std::string>())) file.metadata_hashes.emplace(to_lower(algorithm), to_lower(digest.get<std::string>()));
    return {};
}

}  // namespace

std::string IndexFile::sha256() const {
    const auto it = hashes.find("sha256");
    return it == hashes.end() ? std::string() : it->second;
}

std::string IndexFile::metadata_sha256() const {
    const auto it = metadata_hashes.find("sha256");
    return it == metadata_hashes.end() ? std::string() : it->second;
}

std::string project_page_url(std::string_view index_url, std::string_view project) {
    return join_url(index_url, std::string(project) + "/");
}

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
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

std::string resolve_url(std::string_view base, std::string_view reference) {
    const auto ref = split_url(reference);
    const auto b = split_url(base);
    if (!ref.scheme.empty())
        return join_parts(ref.scheme, ref.has_authority, ref.authority, remove_dot_segments(ref.path), ref.has_query,
                          ref.query, ref.has_fragment, ref.fragment);
    if (ref.has_authority)
        return join_parts(b.scheme, true, ref.authority, remove_dot_segments(ref.path), ref.has_query, ref.query,
                          ref.has_fragment, ref.fragment);
    if (ref.path.empty()) {
        return join_parts(b.scheme, b.has_authority, b.authority, b.path, ref.has_query || b.has_query,
                          ref.has_query ? ref.query : b.query, ref.has_fragment, ref.fragment);
    }
    std::string path;
    if (ref.path.front() == '/') {
        path = remove_dot_segments(ref.path);
    } else {
        std::string merged;
        if (b.has_authority && b.path.empty()) merged = "/";
        else merged = std::string(b.path.substr(0, b.path.rfind('/') + 1));
        merged += ref.path;
        path = remove_dot_segments(merged);
    }
    return join_parts(b.scheme, b.has_authority, b.authority, path, ref.has_query, ref.query, ref.has_fragment,
                      ref.fragment);
}

Result<ProjectPage> parse_project_html(std::string_view html, std::string_view page_url, std::string_view project) {
    ProjectPage page;
    page.name = pypi::normalize_name(project);
    std::string base(page_url);
    TagScanner scanner(html);
    while (auto tag = scanner.next()) {
        if (tag->name == "base") {
            if (const auto* href = tag->get("href"); href && !href->empty()) base = resolve_url(page_url, trim(*href));
            continue;
        }
        if (tag->name != "a") continue;
        const auto* href = tag->get("href");
        if (!href || trim(*href).empty()) continue;
        auto file = file_from_link(base, trim(*href));
        if (file.filename.empty()) continue;
        if (const auto* requires_python = tag->get("data-requires-python"); requires_python && !trim(*requires_python).empty())
            file.requires_python = std::string(trim(*requires_python));
        if (const auto* yanked = tag->get("data-yanked")) {
            file.yanked = true;
            file.yanked_reason = *yanked;
        }
        if (const auto* metadata = tag->get("data-core-metadata")) apply_metadata_attribute(file, *metadata);
        else if (const auto* legacy = tag->get("data-dist-info-metadata")) apply_metadata_attribute(file, *legacy);
        page.files.push_back(std::move(file));
    }
    return page;
}

Result<ProjectPage> parse_project_json(std::string_view text, std::string_view page_url, std::string_view project) {
    const auto document = json::parse(text.begin(), text.end(), nullptr, false);
    if (document.is_discarded() || !document.is_object()) return fail(json_error(project, "not a JSON object"));
    const auto meta = document.find("meta");
    if (meta == document.end() || !meta->is_object() || !meta->contains("api-version") || !(*meta)["api-version"].is_string())
        return fail(json_error(project, "'meta.api-version' is missing"));
    const auto version = (*meta)["api-version"].get<std::string>();
    if (!version.starts_with("1."))
        return fail(json_error(project, fmt::format("api-version {} is not supported (envctl reads 1.x)", version)));
    const auto files = document.find("files");
    if (files == document.end() || !files->is_array()) return fail(json_error(project, "'files' is not a list"));
    ProjectPage page;
    page.name = pypi::normalize_name(project);
    for (const auto& item : *files) {
        if (!item.is_object()) return fail(json_error(project, "an entry of 'files' is not a dictionary"));
        const auto url = item.find("url");
        if (url == item.end() || !url->is_string() || url->get<std::string>().empty())
            return fail(json_error(project, "a file has no 'url'"));
        auto file = file_from_link(page_url, url->get<std::string>());
        if (const auto filename = item.find("filename"); filename != item.end() && filename->is_string())
            file.filename = filename->get<std::string>();
        if (file.filename.empty() || file.filename.find('/') != std::string::npos)
            return fail(json_error(project, fmt::format("file name '{}' is not a plain file name", file.filename)));
        if (const auto hashes = item.find("hashes"); hashes != item.end()) {
            if (!hashes->is_object()) return fail(json_error(project, fmt::format("'hashes' of {} is not a dictionary", file.filename)));
            for (const auto& [algorithm, digest] : hashes->items())
                if (digest.is_string() && is_hex(digest.get<std::string>()))
                    file.hashes[to_lower(algorithm)] = to_lower(digest.get<std::string>());
        }
        if (const auto requires_python = item.find("requires-python");
            requires_python != item.end() && requires_python->is_string() && !trim(requires_python->get<std::string>()).empty())
            file.requires_python = std::string(trim(requires_python->get<std::string>()));
        if (const auto yanked = item.find("yanked"); yanked != item.end()) {
            if (yanked->is_boolean()) {
                file.yanked = yanked->get<bool>();
            } else if (yanked->is_string()) {
                file.yanked = true;
                file.yanked_reason = yanked->get<std::string>();
            }
        }
        auto metadata = item.find("core-metadata");
        if (metadata == item.end()) metadata = item.find("dist-info-metadata");
        if (metadata != item.end())
            if (auto read = read_metadata_key(*metadata, file, project); !read) return fail(std::move(read.error()));
        page.files.push_back(std::move(file));
    }
    return page;
}

Result<ProjectPage> parse_project_page(std::string_view body, std::string_view content_type, std::string_view page_url,
                                       std::string_view project) {
    const auto type = to_lower(trim(content_type.substr(0, content_type.find(';'))));
    if (type == kSimpleJsonType || type == "application/json") return parse_project_json(body, page_url, project);
    return parse_project_html(body, page_url, project);
}

}  // namespace envctl::pip
