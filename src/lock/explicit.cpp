#include "envctl/lock/explicit.hpp"

#include <fmt/format.h>

#include "envctl/conda/channel.hpp"
#include "envctl/util/url.hpp"

namespace envctl::lock {

Result<conda::PackageRecord> explicit_record(const spec::ExplicitPackage& package) {
    const auto located = [&](std::string message) {
        return fail(Error{ErrorKind::Input, std::move(message), package.location, {}});
    };
    const auto archive = conda::parse_archive_name(package.filename);
    if (!archive)
        return located(fmt::format("expected a package file name name-version-build.conda or .tar.bz2, found '{}'",
                                   package.filename));
    std::string url = package.url;
    if (url.find("://") == std::string::npos) {
        if (url.empty() || url.front() != '/')
            return located(fmt::format("expected a URL or an absolute path, found '{}'", package.url));
        url = conda::path_to_file_url(url);
    }
    conda::PackageRecord record;
    record.name = archive->name;
    auto version = conda::Version::parse(archive->version);
    if (!version) return located(fmt::format("'{}': {}", package.filename, version.error().message));
    record.version = std::move(*version);
    record.build = archive->build;
    record.fn = package.filename;
    record.url = strip_credentials(url);
    const auto slash = record.url.rfind('/');
    const auto directory = std::string_view(record.url).substr(0, slash == std::string::npos ? 0 : slash);
    if (const auto subdir_slash = directory.rfind('/'); subdir_slash != std::string_view::npos) {
        record.subdir = std::string(directory.substr(subdir_slash + 1));
        record.channel = std::string(directory.substr(0, subdir_slash));
    }
    record.md5 = package.md5;
    record.sha256 = package.sha256;
    return record;
}

std::string format_explicit(std::span<const conda::PackageRecord> records, std::string_view platform) {
    std::string out = "# This file may be used to create an environment using:\n"
                      "# $ envctl create -p PREFIX -f <this file>\n";
    out += fmt::format("# platform: {}\n@EXPLICIT\n", platform);
    for (const auto& record : records) {
        out += strip_credentials(record.url);
        if (!record.sha256.empty()) out += "#" + record.sha256;
        else if (!record.md5.empty()) out += "#" + record.md5;
        out += '\n';
    }
    return out;
}

}  // namespace envctl::lock
