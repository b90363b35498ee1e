#include "envctl/pypi/wheel.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <tuple>

#include <fmt/format.h>

#include "envctl/pypi/name.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::pypi {

namespace {

constexpr std::array<std::string_view, 9> sdist_extensions = {
    ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".txz", ".tar.lz", ".tar",
};

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string_view sdist_extension(std::string_view filename) {
    const auto lowered = to_lower(filename);
    for (auto extension : sdist_extensions) {
        if (ends_with(lowered, extension)) return extension;
    }
    return {};
}

bool is_tag_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

Result<std::vector<std::string>> parse_tag_component(std::string_view component, std::string_view what) {
    std::vector<std::string> values;
    for (auto value : split(component, '.')) {
        if (value.empty() || !std::all_of(value.begin(), value.end(), is_tag_char))
            return fail(ErrorKind::Input, fmt::format("invalid {} tag '{}': expected letters, digits and '_' "
                                                      "separated by '.'",
                                                      what, component));
        values.push_back(to_lower(value));
    }
    return values;
}

tl::unexpected<Error> invalid_wheel(std::string_view filename, std::string_view reason) {
    return fail(Error{ErrorKind::Input, fmt::format("invalid wheel filename '{}': {}", filename, reason),
                      std::nullopt,
                      {"wheel files are named {name}-{version}(-{build})?-{python tag}-{abi tag}-{platform tag}.whl"}});
}

std::string join_tags(const std::vector<std::string>& tags) { return join(tags, "."); }

}  // namespace

std::string Tag::to_string() const { return fmt::format("{}-{}-{}", interpreter, abi, platform); }

Result<std::vector<Tag>> parse_tags(std::string_view text) {
    const auto parts = split(text, '-');
    if (parts.size() != 3)
        return fail(ErrorKind::Input,
                    fmt::format("invalid tag '{}': expected {{python}}-{{abi}}-{{platform}}", text));
    auto interpreters = parse_tag_component(parts[0], "python");
    if (!interpreters) return fail(std::move(interpreters.error()));
    auto abis = parse_tag_component(parts[1], "abi");
    if (!abis) return fail(std::move(abis.error()));
    auto platforms = parse_tag_component(parts[2], "platform");
    if (!platforms) return fail(std::move(platforms.error()));
    std::vector<Tag> tags;
    for (const auto& interpreter : *interpreters) {
        for (const auto& abi : *abis) {
            for (const auto& platform : *platforms) tags.push_back(Tag{interpreter, abi, platform});
        }
    }
    return tags;
}

Result<WheelFilename> WheelFilename::parse(std::string_view filename) {
    if (!ends_with(filename, ".whl")) {
        if (!sdist_extension(filename).empty())
            return invalid_wheel(filename, "this is a source distribution, not a wheel");
        return invalid_wheel(filename, "the name must end with '.whl'");
    }
    if (filename.find('/') != std::string_view::npos || filename.find('\\') != std::string_view::npos)
        return invalid_wheel(filename, "expected a file name without directories");
    const auto stem = filename.substr(0, filename.size() - 4);
    const auto parts = split(stem, '-');
    if (parts.size() != 5 && parts.size() != 6)
        return invalid_wheel(filename, fmt::format("expected 5 or 6 parts separated by '-', found {}", parts.size()));

    WheelFilename wheel;
    const auto name = parts[0];
    if (!is_valid_name(name) || name.find('-') != std::string_view::npos || name.find("__") != std::string_view::npos)
        return invalid_wheel(filename, fmt::format("invalid distribution name '{}'", name));
    wheel.name = std::string(name);

    auto version = Version::parse(parts[1]);
    if (!version) return invalid_wheel(filename, version.error().message);
    wheel.version = std::move(*version);

    if (parts.size() == 6) {
        const auto build = parts[2];
        std::size_t digits = 0;
        while (digits < build.size() && build[digits] >= '0' && build[digits] <= '9') ++digits;
        if (digits == 0) return invalid_wheel(filename, fmt::format("the build tag '{}' must start with a digit", build));
        std::uint64_t number = 0;
        for (std::size_t i = 0; i < digits; ++i) {
            const auto digit = static_cast<std::uint64_t>(build[i] - '0');
            if (number > (UINT64_MAX - digit) / 10)
                return invalid_wheel(filename, fmt::format("the build number in '{}' is too large", build));
            number = number * 10 + digit;
        }
        wheel.build = BuildTag{number, std::string(build.substr(digits))};
    }

    const std::span<const std::string_view> tag_parts(parts.data() + parts.size() - 3, 3);
    for (auto [component, target, what] :
         {std::tuple{tag_parts[0], &wheel.python_tags, "python"}, std::tuple{tag_parts[1], &wheel.abi_tags, "abi"},
          std::tuple{tag_parts[2], &wheel.platform_tags, "platform"}}) {
        auto values = parse_tag_component(component, what);
        if (!values) return invalid_wheel(filename, values.error().message);
        *target = std::move(*values);
    }
    return wheel;
}

std::string WheelFilename::normalized_name() const { return normalize_name(name); }

std::vector<Tag> WheelFilename::tags() const {
    std::vector<Tag> out;
    for (const auto& interpreter : python_tags) {
        for (const auto& abi : abi_tags) {
            for (const auto& platform : platform_tags) out.push_back(Tag{interpreter, abi, platform});
        }
    }
    return out;
}

std::string WheelFilename::to_string() const {
    std::string out = fmt::format("{}-{}", name, version.to_string());
    if (build) out += fmt::format("-{}{}", build->number, build->suffix);
    return out + fmt::format("-{}-{}-{}.whl", join_tags(python_tags), join_tags(abi_tags), join_tags(platform_tags));
}

DistributionKind distribution_kind(std::string_view filename) {
    if (ends_with(to_lower(filename), ".whl")) return DistributionKind::Wheel;
    if (!sdist_extension(filename).empty()) return DistributionKind::SourceDistribution;
    return DistributionKind::Unknown;
}

Result<SourceDistributionFilename> parse_sdist_filename(std::string_view filename) {
    const auto extension = sdist_extension(filename);
    if (extension.empty())
        return fail(ErrorKind::Input,
                    fmt::format("invalid source distribution filename '{}': expected a .tar.gz or .zip archive",
                                filename));
    const auto stem = filename.substr(0, filename.size() - extension.size());
    // The first "-" followed by a valid version: "foo-bar-1.0" is foo-bar 1.0, "foo-1.0-1" is foo 1.0.post1.
    for (auto dash = stem.find('-'); dash != std::string_view::npos; dash = stem.find('-', dash + 1)) {
        auto version = Version::parse(stem.substr(dash + 1));
        if (!version || !is_valid_name(stem.substr(0, dash))) continue;
        return SourceDistributionFilename{std::string(stem.substr(0, dash)), std::move(*version), std::string(extension)};
    }
    return fail(ErrorKind::Input,
                fmt::format("invalid source distribution filename '{}': expected {{name}}-{{version}}{}", filename,
                            extension));
}

}  // namespace envctl::pypi
