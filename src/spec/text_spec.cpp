#include "envctl/spec/text_spec.hpp"

#include <fmt/format.h>

#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::spec {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Lines without their line break ("\n" or "\r\n").
std::vector<std::string_view> lines_of(std::string_view text) {
    auto lines = split(text, '\n');
    for (auto& line : lines)
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
}

struct LineParser {
    std::string_view file;
    TextSpecFile& out;

    Location at(std::size_t line) const { return Location{std::string(file), line, 1}; }

    tl::unexpected<Error> error(std::size_t line, std::string message) const {
        return fail(Error{ErrorKind::Input, std::move(message), at(line), {}});
    }

    Status package(std::string_view text, std::size_t line) {
        ExplicitPackage entry;
        entry.location = at(line);
        auto url = text;
        if (const auto hash = text.rfind('#'); hash != std::string_view::npos) {
            url = trim(text.substr(0, hash));
            auto digest = to_lower(trim(text.substr(hash + 1)));
            if (digest.rfind("sha256:", 0) == 0) {
                digest.erase(0, 7);
                if (!is_hex_digest(digest, 32)) return error(line, fmt::format("expected 64 hexadecimal characters after '#sha256:', found '{}'", digest));
                entry.sha256 = digest;
            } else if (is_hex_digest(digest, 16)) {
                entry.md5 = digest;
            } else if (is_hex_digest(digest, 32)) {
                entry.sha256 = digest;
            } else {
                return error(line, fmt::format("expected an MD5 (32 hex characters) or SHA256 (64, optionally after 'sha256:') "
                                               "after '#', found '{}'", digest));
            }
        }
        const auto slash = url.find_last_of("/\\");
        entry.filename = std::string(slash == std::string_view::npos ? url : url.substr(slash + 1));
        if (url.find_first_of(" \t") != std::string_view::npos)
            return error(line, fmt::format("unexpected space in '{}' (expected one package URL per line)", redact_url(url)));
        if (!ends_with(entry.filename, ".conda") && !ends_with(entry.filename, ".tar.bz2"))
            return error(line, fmt::format("expected the URL or path of a .conda or .tar.bz2 package, found '{}'", redact_url(url)));
        if (entry.filename == ".conda" || entry.filename == ".tar.bz2") return error(line, "the package file name is empty");
        entry.url = std::string(url);
        out.packages.push_back(std::move(entry));
        return {};
    }

    Status spec(std::string_view text, std::size_t line) {
        auto parsed = conda::MatchSpec::parse(text);
        if (!parsed) return error(line, parsed.error().message);
        out.specs.push_back(SpecLine{std::move(*parsed), std::string(text), at(line)});
        return {};
    }
};

}  // namespace

bool is_explicit_text(std::string_view text) {
    for (const auto line : lines_of(text))
        if (trim(line) == "@EXPLICIT") return true;
    return false;
}

Result<TextSpecFile> parse_text_spec(std::string_view text, std::string_view display_name) {
    TextSpecFile out;
    out.is_explicit = is_explicit_text(text);
    LineParser parser{display_name, out};
    bool after_marker = false;
    std::size_t number = 0;
    for (const auto raw : lines_of(text)) {
        ++number;
        const auto line = trim(raw);
        if (line.empty()) continue;
        if (line.front() == '#') {
            const auto comment = trim(line.substr(1));
            if (comment.rfind("platform:", 0) == 0) out.platform = std::string(trim(comment.substr(9)));
            continue;
        }
        if (line == "@EXPLICIT") {
            after_marker = true;
            continue;
        }
        if (!out.is_explicit) {
            if (auto status = parser.spec(line, number); !status) return tl::unexpected(std::move(status.error()));
        } else if (!after_marker) {
            out.warnings.push_back(Warning{parser.at(number), "line before @EXPLICIT ignored"});
        } else if (auto status = parser.package(line, number); !status) {
            return tl::unexpected(std::move(status.error()));
        }
    }
    return out;
}

Result<TextSpecFile> parse_text_spec_file(const std::filesystem::path& file) {
    auto text = read_file(file);
    if (!text) return tl::unexpected(std::move(text.error()));
    return parse_text_spec(*text, file.string());
}

}  // namespace envctl::spec
