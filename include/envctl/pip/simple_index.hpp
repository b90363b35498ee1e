#pragma once
// Project pages of the PyPI "simple" repository API, parsed without I/O: PEP 503 HTML pages
// and PEP 691 JSON pages, with the PEP 592 (yanked), PEP 658/714 (core metadata files) and
// requires-python attributes, and the URL arithmetic that turns their links into absolute URLs.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::pip {

// What a client asks for (PEP 691 content negotiation): JSON preferred, HTML accepted.
inline constexpr std::string_view kSimpleAccept =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
inline constexpr std::string_view kSimpleJsonType = "application/vnd.pypi.simple.v1+json";

// One file a project page links to.
struct IndexFile {
    std::string filename;  // the URL's last path segment, percent-decoded
    std::string url;       // absolute, without the fragment (may carry credentials: never print it raw)
    // algorithm -> lowercase hex, from the URL fragment (HTML) or `hashes` (JSON).
    std::map<std::string, std::string> hashes;
    std::optional<std::string> requires_python;  // the specifier text as published
    bool yanked = false;
    std::string yanked_reason;
    // PEP 658/714: the core metadata is served at url + ".metadata".
    bool has_metadata = false;
    std::map<std::string, std::string> metadata_hashes;  // algorithm -> lowercase hex

    // hashes["sha256"], or empty.
    std::string sha256() const;
    std::string metadata_sha256() const;
    friend bool operator==(const IndexFile&, const IndexFile&) = default;
};

struct ProjectPage {
    std::string name;  // normalized project name
    std::vector<IndexFile> files;  // in page order
};

// The page of `project` (normalized) under `index_url`: "<index>/<project>/".
std::string project_page_url(std::string_view index_url, std::string_view project);

// RFC 3986 reference resolution: `reference` (absolute, scheme-relative, absolute-path,
// relative-path, query or fragment) against the absolute URL `base`, dot segments removed.
std::string resolve_url(std::string_view base, std::string_view reference);

// "%2B" -> "+"; malformed escapes are kept as written.
std::string percent_decode(std::string_view text);

// A PEP 503 page. Anchors without href are skipped; a <base href> changes the base URL.
// Attribute values are HTML-unescaped. `project` names the page in errors.
Result<ProjectPage> parse_project_html(std::string_view html, std::string_view page_url, std::string_view project);

// A PEP 691 page (api-version 1.x). Errors (ErrorKind::Input) say which key is wrong.
Result<ProjectPage> parse_project_json(std::string_view text, std::string_view page_url, std::string_view project);

// By the response's Content-Type: the PEP 691 JSON type (or application/json) is JSON,
// anything else HTML.
Result<ProjectPage> parse_project_page(std::string_view body, std::string_view content_type, std::string_view page_url,
                                       std::string_view project);

}  // namespace envctl::pip
