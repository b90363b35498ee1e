// The pip: section and requirements files, read into PipInputs.
#include "envctl/pip/inputs.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "envctl/pip/simple_index.hpp"
#include "envctl/pypi/name.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::pip {

namespace fs = std::filesystem;

namespace {

bool has_scheme(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos || colon < 2) return false;
    return std::all_of(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

bool is_vcs_url(std::string_view url) {
    for (const auto prefix : {"git+", "hg+", "svn+", "bzr+"})
        if (url.starts_with(prefix)) return true;
    return false;
}

Error line_error(const Location& where, std::string message, std::string hint = {}) {
    Error error{ErrorKind::Input, std::move(message), where, {}};
    if (!hint.empty()) error.hints.push_back(std::move(hint));
    return error;
}

// "#sha256=..." fragments of a URL into hashes; returns the URL without its fragment.
std::string take_fragment_hashes(std::string_view url, std::vector<pypi::RequirementHash>& hashes) {
    const auto hash = url.find('#');
    if (hash == std::string_view::npos) return std::string(url);
    for (const auto item : split(url.substr(hash + 1), '&')) {
        const auto equals = item.find('=');
        if (equals == std::string_view::npos) continue;
        const auto algorithm = to_lower(item.substr(0, equals));
        if (algorithm != "sha256" && algorithm != "sha384" && algorithm != "sha512") continue;
        hashes.push_back({algorithm, to_lower(item.substr(equals + 1))});
    }
    return std::string(url.substr(0, hash));
}

class Reader {
public:
    explicit Reader(const VariableLookup& lookup) : lookup_(lookup) {}

    Status read_line(std::string_view raw, const Location& where, const fs::path& base, bool constraints) {
        const auto text = lookup_ ? pypi::expand_environment_variables(raw, lookup_) : std::string(raw);
        auto items = pypi::parse_requirements_line(text);
        if (!items) {
            auto error = std::move(items.error());
            error.message = fmt::format("invalid pip line '{}': {}", raw, error.message);
            error.location = where;
            return fail(std::move(error));
        }
        for (auto& item : *items)
            if (auto done = std::visit([&](auto& value) { return take(value, raw, where, base, constraints); }, item); !done)
                return done;
        return {};
    }

    Status read_file(const fs::path& file, const Location& from, bool constraints) {
        std::error_code ignored;
        const auto key = fs::weakly_canonical(file, ignored);
        if (!visiting_.insert(key).second)
            return fail(line_error(from, fmt::format("{} includes itself (through -r or -c)", file.string())));
        auto text = envctl::read_file(file);
        if (!text) return fail(line_error(from, fmt::format("cannot read {}: {}", file.string(), text.error().message)));
        for (const auto& line : pypi::split_requirements_lines(*text))
            if (auto done = read_line(line.text, Location{file.string(), line.line, 0}, file.parent_path(), constraints); !done)
                return done;
        visiting_.erase(key);
        return {};
    }

    PipInputs take_result() { return std::move(out_); }

private:
    Status add(PipRequirement requirement, bool constraints) {
        if (constraints) {
            if (!requirement.wheel_url.empty() || requirement.sdist_version || !requirement.requirement.extras.empty())
                return fail(line_error(requirement.location,
                                       fmt::format("constraint '{}' must be a name with version specifiers", requirement.text)));
            out_.constraints.push_back(std::move(requirement));
        } else {
            out_.requirements.push_back(std::move(requirement));
        }
        return {};
    }

    Status take(pypi::RequirementEntry& entry, std::string_view raw, const Location& where, const fs::path&, bool constraints) {
        PipRequirement requirement;
        requirement.location = where;
        requirement.text = std::string(raw);
        requirement.hashes = std::move(entry.hashes);
        requirement.requirement = std::move(entry.requirement);
        auto& url = requirement.requirement.url;
        if (!url.empty()) {
            if (is_vcs_url(url))
                return fail(line_error(where, fmt::format("'{}' is a version-control URL, which needs building from source", raw),
                                       "envctl installs wheels only: point at a .whl file or a package index instead"));
            const auto plain = take_fragment_hashes(url, requirement.hashes);
            const auto end = plain.find('?');
            const auto path = std::string_view(plain).substr(0, end);
            const auto filename = percent_decode(path.substr(path.rfind('/') + 1));
            const auto name = requirement.normalized_name();
            switch (pypi::distribution_kind(filename)) {
                case pypi::DistributionKind::Wheel: {
                    auto wheel = pypi::WheelFilename::parse(filename);
                    if (!wheel) return fail(line_error(where, fmt::format("'{}': {}", raw, wheel.error().message)));
                    if (wheel->normalized_name() != name)
                        return fail(line_error(where, fmt::format("'{}' names {}, but the wheel is {}", raw, requirement.requirement.name,
                                                                  filename)));
                    requirement.wheel_url = plain;
                    requirement.wheel = std::move(*wheel);
                    break;
                }
                case pypi::DistributionKind::SourceDistribution: {
                    auto sdist = pypi::parse_sdist_filename(filename);
                    if (!sdist || pypi::normalize_name(sdist->name) != name)
                        return fail(line_error(where, fmt::format("'{}' is a source distribution, which needs building", raw),
                                               "envctl installs wheels only: build a wheel first (pip wheel) or use an index"));
                    requirement.sdist_version = sdist->version;
                    requirement.sdist_url = plain;
                    break;
                }
                case pypi::DistributionKind::Unknown:
                    return fail(line_error(where, fmt::format("'{}' does not point at a wheel file (a project directory or "
                                                              "archive needs building)", raw),
                                           "envctl installs wheels only: give a .whl file or a requirement such as 'name>=1.0'"));
            }
            url.clear();
        }
        return add(std::move(requirement), constraints);
    }

    Status take(pypi::WheelReference& reference, std::string_view raw, const Location& where, const fs::path& base, bool constraints) {
        PipRequirement requirement;
        requirement.location = where;
        requirement.text = std::string(raw);
        requirement.hashes = std::move(reference.hashes);
        auto& req = requirement.requirement;
        req.name = reference.wheel.name;
        req.extras = std::move(reference.extras);
        req.marker = std::move(reference.marker);
        auto exact = pypi::SpecifierSet::parse("==" + reference.wheel.version.to_string());
        if (exact) req.specifier = std::move(*exact);
        if (reference.is_url) {
            if (reference.location.find('#') != std::string::npos)  // the parser took the hashes already
                requirement.wheel_url = reference.location.substr(0, reference.location.find('#'));
            else
                requirement.wheel_url = reference.location;
        } else {
            const fs::path path(reference.location);
            std::error_code error;
            const auto full = path.is_absolute() ? path : base / path;
            if (!fs::is_regular_file(full, error))
                return fail(line_error(where, fmt::format("wheel file {} does not exist", full.string())));
            requirement.wheel_url = file_url(path, base);
        }
        requirement.wheel = std::move(reference.wheel);
        return add(std::move(requirement), constraints);
    }

    Status take(pypi::IncludeRequirements& include, std::string_view, const Location& where, const fs::path& base, bool constraints) {
        return read_file(resolve_path(include.path, base), where, constraints);
    }
    Status take(pypi::IncludeConstraints& include, std::string_view, const Location& where, const fs::path& base, bool) {
        return read_file(resolve_path(include.path, base), where, true);
    }
    Status take(pypi::EditableRequirement& editable, std::string_view, const Location& where, const fs::path&, bool) {
        return fail(line_error(where,
                               fmt::format("-e {} is an editable install of a source tree, which needs building", editable.target),
                               "envctl installs wheels only: build a wheel of the project and name the .whl file"));
    }
    Status take(pypi::IndexUrl& index, std::string_view, const Location&, const fs::path& base, bool) {
        out_.index_url = location_url(index.url, base);
        return {};
    }
    Status take(pypi::ExtraIndexUrl& index, std::string_view, const Location&, const fs::path& base, bool) {
        auto url = location_url(index.url, base);
        if (std::find(out_.extra_index_urls.begin(), out_.extra_index_urls.end(), url) == out_.extra_index_urls.end())
            out_.extra_index_urls.push_back(std::move(url));
        return {};
    }
    Status take(pypi::FindLinks& links, std::string_view, const Location&, const fs::path& base, bool) {
        auto url = location_url(links.location, base);
        if (std::find(out_.find_links.begin(), out_.find_links.end(), url) == out_.find_links.end())
            out_.find_links.push_back(std::move(url));
        return {};
    }
    Status take(pypi::NoIndex&, std::string_view, const Location&, const fs::path&, bool) {
        out_.no_index = true;
        return {};
    }
    Status take(pypi::AllowPrereleases&, std::string_view, const Location&, const fs::path&, bool) {
        out_.pre = true;
        return {};
    }
    Status take(pypi::PreferBinary&, std::string_view, const Location&, const fs::path&, bool) { return {}; }
    Status take(pypi::RequireHashes&, std::string_view, const Location&, const fs::path&, bool) {
        out_.require_hashes = true;
        return {};
    }
    Status take(pypi::BinaryPolicy& policy, std::string_view, const Location&, const fs::path&, bool) {
        if (policy.only_binary) return {};  // envctl installs wheels only anyway
        for (const auto& name : policy.names) {
            if (name == ":none:") out_.no_binary.clear();
            else out_.no_binary.insert(name);
        }
        return {};
    }

    static fs::path resolve_path(const std::string& path, const fs::path& base) {
        if (auto local = local_path(path)) return *local;
        const fs::path p(path);
        return p.is_absolute() ? p : base / p;
    }
    static std::string location_url(const std::string& text, const fs::path& base) {
        if (has_scheme(text)) return text;
        return file_url(text, base);
    }

    const VariableLookup& lookup_;
    PipInputs out_;
    std::set<fs::path> visiting_;
};

}  // namespace

std::string PipRequirement::where() const {
    Error error{ErrorKind::Input, fmt::format("'{}'", text), location, {}};
    return error.to_string();
}

bool PipInputs::no_binary_for(std::string_view normalized_name) const {
    return no_binary.count(":all:") > 0 || no_binary.count(std::string(normalized_name)) > 0;
}

std::string file_url(const fs::path& path, const fs::path& base_directory) {
    std::error_code ignored;
    auto full = path.is_absolute() ? path : fs::absolute(base_directory / path, ignored);
    full = full.lexically_normal();
    std::string out = "file://";
    for (const unsigned char c : full.generic_string()) {
        if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::optional<fs::path> local_path(std::string_view url) {
    if (!url.starts_with("file:")) return std::nullopt;
    url.remove_prefix(5);
    if (url.starts_with("//")) {
        url.remove_prefix(2);
        const auto slash = url.find('/');
        const auto host = url.substr(0, slash);
        if (!host.empty() && host != "localhost") return std::nullopt;
        url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
    }
    url = url.substr(0, std::min(url.find('#'), url.find('?')));
    return fs::path(percent_decode(url));
}

Result<PipInputs> read_pip_inputs(std::span<const spec::PipLine> lines, const fs::path& base_directory,
                                  const VariableLookup& lookup) {
    Reader reader(lookup);
    for (const auto& line : lines) {
        // A pip: entry is one logical line; comments and continuations behave as in a file.
        for (const auto& logical : pypi::split_requirements_lines(line.text))
            if (auto done = reader.read_line(logical.text, line.location, base_directory, false); !done)
                return fail(std::move(done.error()));
    }
    return reader.take_result();
}

Result<PipInputs> read_requirements_file(const fs::path& file, const VariableLookup& lookup) {
    Reader reader(lookup);
    if (auto done = reader.read_file(file, Location{file.string(), 0, 0}, false); !done) return fail(std::move(done.error()));
    return reader.take_result();
}

}  // namespace envctl::pip
