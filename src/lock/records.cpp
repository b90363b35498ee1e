// Lock entries <-> conda package records.
#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

#include "envctl/lock/lockfile.hpp"
#include "envctl/util/strings.hpp"
#include "envctl/util/url.hpp"

namespace envctl::lock {

Dependency split_dependency(std::string_view spec) {
    const auto text = trim(spec);
    std::size_t end = 0;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '[' && text[end] != '=' &&
           text[end] != '<' && text[end] != '>' && text[end] != '!' && text[end] != '~')
        ++end;
    return Dependency{std::string(text.substr(0, end)), std::string(trim(text.substr(end)))};
}

namespace {

std::string join_dependency(const Dependency& dependency) {
    if (dependency.constraint.empty()) return dependency.name;
    const char first = dependency.constraint.front();
    // "numpy" + "[version='>=1']" and "numpy" + "==1.2" read back without a space too, but a
    // space is what conda writes and what every reader accepts.
    if (first == '[') return dependency.name + dependency.constraint;
    return dependency.name + " " + dependency.constraint;
}

}  // namespace

Result<conda::PackageRecord> to_record(const LockedPackage& entry) {
    if (entry.manager != Manager::Conda)
        return fail(ErrorKind::Input, fmt::format("package '{}' is a pip package, not a conda package", entry.name));
    conda::PackageRecord record;
    record.url = strip_credentials(entry.url);
    const auto slash = record.url.rfind('/');
    record.fn = slash == std::string::npos ? record.url : record.url.substr(slash + 1);
    const auto archive = conda::parse_archive_name(record.fn);
    if (!archive)
        return fail(ErrorKind::Input, fmt::format("the URL of '{}' does not end in a conda package file "
                                                  "(name-version-build.conda or .tar.bz2): {}",
                                                  entry.name, redact_url(entry.url)));
    record.name = entry.name;
    auto version = conda::Version::parse(entry.version);
    if (!version) return fail(ErrorKind::Input, fmt::format("package '{}': {}", entry.name, version.error().message));
    record.version = std::move(*version);
    record.build = entry.build.empty() ? archive->build : entry.build;
    // The build number is the build string's last run of digits (conda's convention).
    const auto digits_end = record.build.size();
    auto digits_begin = digits_end;
    while (digits_begin > 0 && std::isdigit(static_cast<unsigned char>(record.build[digits_begin - 1]))) --digits_begin;
    if (digits_begin < digits_end && digits_end - digits_begin < 10)
        record.build_number = std::stoull(record.build.substr(digits_begin));
    if (slash != std::string::npos) {
        const auto directory = std::string_view(record.url).substr(0, slash);
        const auto subdir_slash = directory.rfind('/');
        if (subdir_slash != std::string_view::npos) {
            record.subdir = std::string(directory.substr(subdir_slash + 1));
            record.channel = std::string(directory.substr(0, subdir_slash));
        }
    }
    if (record.subdir.empty()) record.subdir = entry.platform;
    record.md5 = entry.md5;
    record.sha256 = entry.sha256;
    for (const auto& dependency : entry.dependencies) record.depends.push_back(join_dependency(dependency));
    for (const auto& constraint : entry.constrains) record.constrains.push_back(join_dependency(constraint));
    return record;
}

LockedPackage from_record(const conda::PackageRecord& record, std::string_view platform, std::string_view category) {
    LockedPackage entry;
    entry.name = record.name;
    entry.version = record.version.str();
    entry.manager = Manager::Conda;
    entry.platform = std::string(platform);
    std::set<std::string> seen;
    for (const auto& spec : record.depends) {
        auto dependency = split_dependency(spec);
        if (dependency.name.empty() || !seen.insert(dependency.name).second) continue;
        entry.dependencies.push_back(std::move(dependency));
    }
    std::stable_sort(entry.dependencies.begin(), entry.dependencies.end(),
                     [](const Dependency& a, const Dependency& b) { return a.name < b.name; });
    entry.url = strip_credentials(record.url);
    entry.md5 = record.md5;
    entry.sha256 = record.sha256;
    entry.build = record.build;
    entry.category = std::string(category);
    return entry;
}

}  // namespace envctl::lock
