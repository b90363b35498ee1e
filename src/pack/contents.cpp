#include "envctl/pack/contents.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/extract/package_path.hpp"
#include "envctl/link/conda_meta.hpp"
#include "envctl/link/prefix_replace.hpp"
#include "envctl/link/transaction.hpp"
#include "envctl/pack/tar_writer.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

namespace envctl::pack {

namespace fs = std::filesystem;

namespace {

struct ScanResult {
    bool found = false;
    bool has_nul = false;
};

// Streams `file` looking for `needle` (matches across read boundaries included) and NUL bytes.
Result<ScanResult> scan_file(const fs::path& file, std::string_view needle) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
    ScanResult result;
    std::string window;  // the tail of the previous block, then the new block
    std::vector<char> buffer(1 << 20);
    const std::boyer_moore_horspool_searcher searcher(needle.begin(), needle.end());
    while (true) {
        const auto n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", file.string(), std::strerror(saved)));
        }
        if (n == 0) break;
        const std::string_view block(buffer.data(), static_cast<std::size_t>(n));
        if (!result.has_nul && block.find('\0') != std::string_view::npos) result.has_nul = true;
        if (!result.found) {
            window.append(block);
            if (std::search(window.begin(), window.end(), searcher) != window.end()) result.found = true;
            window.erase(0, window.size() > needle.size() ? window.size() - needle.size() : 0);
        }
        if (result.found && result.has_nul) break;
    }
    ::close(fd);
    return result;
}

bool is_pack_metadata(std::string_view path) {
    return path == ".envctl-pack" || path.starts_with(".envctl-pack/") || path == "bin/envctl-unpack" ||
           path.starts_with("conda-meta/.envctl");
}

bool is_executable(const fs::path& file) {
    std::error_code error;
    const auto permissions = fs::symlink_status(file, error).permissions();
    return !error && (permissions & fs::perms::owner_exec) != fs::perms::none;
}

std::string json_text(const nlohmann::json& document) { return document.dump(2) + "\n"; }

PackFile generated_file(std::string path, std::string bytes, bool executable = false) {
    PackFile file;
    file.path = std::move(path);
    file.generated = std::move(bytes);
    file.executable = executable;
    return file;
}

void sort_files(std::vector<PackFile>& files) {
    std::sort(files.begin(), files.end(), [](const PackFile& a, const PackFile& b) { return a.path < b.path; });
}

}  // namespace

std::string conda_meta_path(const conda::PackageRecord& record) {
    return fmt::format("conda-meta/{}.json", record.dist_name());
}

std::string history_time(std::int64_t epoch) {
    const std::time_t time = static_cast<std::time_t>(epoch);
    std::tm parts{};
    gmtime_r(&time, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &parts);
    return text;
}

Result<EnvironmentContents> contents_from_prefix(const fs::path& prefix_argument) {
    const auto prefix = fs::absolute(prefix_argument).lexically_normal();
    std::string prefix_text = prefix.string();
    while (prefix_text.size() > 1 && prefix_text.ends_with('/')) prefix_text.pop_back();
    if (!link::is_environment(prefix))
        return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment (no conda-meta/history)", prefix_text), {},
                          {"give the prefix of an environment made by envctl, conda or micromamba"}});
    auto records = link::read_prefix_records(prefix);
    if (!records) return fail(std::move(records.error()));

    EnvironmentContents contents;
    contents.source_prefix = prefix_text;
    struct Owner {
        std::size_t package;
        const link::InstalledPath* path;
    };
    std::map<std::string, Owner> owners;
    for (std::size_t i = 0; i < records->size(); ++i) {
        const auto& record = (*records)[i];
        PackPackage package;
        package.record = record.record;
        contents.packages.push_back(std::move(package));
        owners["conda-meta/" + record.file_name()] = Owner{i, nullptr};
        for (const auto& path : record.paths) owners[path.path] = Owner{i, &path};
        if (contents.platform.empty() && !record.record.subdir.empty() && record.record.subdir != "noarch")
            contents.platform = record.record.subdir;
    }

    std::error_code error;
    std::vector<fs::path> entries;
    for (fs::recursive_directory_iterator it(prefix, fs::directory_options::none, error), end; it != end && !error;
         it.increment(error)) {
        const auto relative = it->path().lexically_relative(prefix).generic_string();
        if (is_pack_metadata(relative)) {
            if (it->is_directory(error) && !it->is_symlink(error)) it.disable_recursion_pending();
            continue;
        }
        entries.push_back(it->path());
    }
    if (error) return fail(ErrorKind::Io, fmt::format("cannot list {}: {}", prefix_text, error.message()));

    for (const auto& entry : entries) {
        PackFile file;
        file.path = entry.lexically_relative(prefix).generic_string();
        const auto status = fs::symlink_status(entry, error);
        if (error) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", entry.string(), error.message()));
        if (fs::is_symlink(status)) {
            file.type = PackFile::Type::Symlink;
            file.link_target = fs::read_symlink(entry, error).string();
            if (error) return fail(ErrorKind::Io, fmt::format("cannot read {}: {}", entry.string(), error.message()));
        } else if (fs::is_directory(status)) {
            if (!fs::is_empty(entry, error)) continue;  // parents are implied by their contents
            file.type = PackFile::Type::Directory;
        } else if (fs::is_regular_file(status)) {
            file.source = entry;
            file.executable = (status.permissions() & fs::perms::owner_exec) != fs::perms::none;
            if (!file.path.ends_with(".pyc")) {
                auto scan = scan_file(entry, prefix_text);
                if (!scan) return fail(std::move(scan.error()));
                if (scan->found) {
                    file.placeholder = prefix_text;
                    file.mode = scan->has_nul ? extract::FileMode::Binary : extract::FileMode::Text;
                }
            }
        } else {
            continue;  // sockets, fifos: nothing to pack
        }
        const auto owner = owners.find(file.path);
        if (owner == owners.end()) {
            contents.other_files.push_back(std::move(file));
            continue;
        }
        if (owner->second.path != nullptr && !file.placeholder.empty() && owner->second.path->file_mode == "text")
            file.mode = extract::FileMode::Text;
        if (owner->second.path != nullptr && !file.placeholder.empty() && owner->second.path->file_mode == "binary")
            file.mode = extract::FileMode::Binary;
        auto& package = contents.packages[owner->second.package];
        if (file.type == PackFile::Type::Regular) package.payload_size += fs::file_size(entry, error);
        package.files.push_back(std::move(file));
    }
    for (auto& package : contents.packages) sort_files(package.files);
    sort_files(contents.other_files);
    contents.packages = [&] {
        std::vector<const conda::PackageRecord*> pointers;
        for (const auto& package : contents.packages) pointers.push_back(&package.record);
        std::vector<PackPackage> ordered;
        for (const auto i : link::dependency_order(pointers)) ordered.push_back(std::move(contents.packages[i]));
        return ordered;
    }();
    if (auto state = read_file(prefix / "conda-meta" / "state"); state) {
        const auto document = nlohmann::json::parse(*state, nullptr, false);
        if (document.is_object() && document.contains("env_vars") && document["env_vars"].is_object())
            for (const auto& [name, value] : document["env_vars"].items())
                if (value.is_string()) contents.env_vars.emplace_back(name, value.get<std::string>());
    }
    return contents;
}

Result<EnvironmentContents> contents_from_packages(const std::vector<fetch::FetchedPackage>& packages,
                                                   std::string_view platform) {
    EnvironmentContents contents;
    contents.platform = std::string(platform);
    std::optional<link::PythonContext> python;
    for (const auto& package : packages)
        if (package.record.name == "python") python = link::python_context(package.record);

    std::vector<const conda::PackageRecord*> pointers;
    pointers.reserve(packages.size());
    for (const auto& package : packages) pointers.push_back(&package.record);
    link::HistoryEntry history;
    history.timestamp = history_time(source_date_epoch());
    history.command = "envctl pack";
    for (const auto i : link::dependency_order(pointers)) {
        const auto& fetched = packages[i];
        const bool noarch_python = fetched.record.noarch == conda::NoArchType::Python ||
                                   (fetched.info.link && fetched.info.link->noarch == extract::NoarchType::Python);
        if (noarch_python && !python)
            return fail(ErrorKind::Input, fmt::format("{} is a noarch: python package, but the environment has no python",
                                                      fetched.record.dist_name()));
        PackPackage package;
        package.record = fetched.record;
        link::PrefixRecord meta;
        meta.record = fetched.record;
        for (const auto& entry : fetched.info.contents.paths) {
            PackFile file;
            file.path = noarch_python ? extract::noarch_python_path(entry.path, python->site_packages) : entry.path;
            const auto source = fetched.directory / entry.path;
            link::InstalledPath installed;
            installed.path = file.path;
            installed.sha256 = entry.sha256;
            installed.size = entry.size;
            switch (entry.type) {
                case extract::PathType::Directory:
                    file.type = PackFile::Type::Directory;
                    installed.path_type = "directory";
                    break;
                case extract::PathType::Softlink: {
                    file.type = PackFile::Type::Symlink;
                    std::error_code error;
                    file.link_target = fs::read_symlink(source, error).string();
                    if (error)
                        return fail(ErrorKind::Integrity, fmt::format("{}: {} is not a symlink in the package cache ({})",
                                                                      fetched.record.dist_name(), entry.path, error.message()));
                    installed.path_type = "softlink";
                    break;
                }
                case extract::PathType::Hardlink:
                    file.source = source;
                    file.executable = is_executable(source);
                    file.placeholder = entry.prefix_placeholder;
                    file.mode = entry.file_mode;
                    file.sha256 = entry.sha256;
                    package.payload_size += entry.size.value_or(0);
                    installed.sha256_in_prefix = entry.prefix_placeholder.empty() ? entry.sha256 : "";
                    installed.prefix_placeholder = entry.prefix_placeholder;
                    if (!entry.prefix_placeholder.empty())
                        installed.file_mode = std::string(extract::file_mode_name(entry.file_mode));
                    break;
            }
            installed.no_link = entry.no_link;
            meta.paths.push_back(std::move(installed));
            package.files.push_back(std::move(file));
        }
        if (noarch_python && fetched.info.link) {
            const auto placeholder = std::string(extract::default_prefix_placeholder);
            for (const auto& entry_point : fetched.info.link->entry_points) {
                auto script = link::python_entry_point_script(placeholder + "/bin/python", entry_point.module,
                                                              entry_point.function);
                auto file = generated_file("bin/" + entry_point.command, std::move(script), true);
                file.placeholder = placeholder;
                link::InstalledPath installed;
                installed.path = file.path;
                installed.path_type = "unix_python_entry_point";
                meta.paths.push_back(std::move(installed));
                package.files.push_back(std::move(file));
            }
        }
        meta.link_type = link::LinkType::Copy;
        package.files.push_back(generated_file(conda_meta_path(package.record), json_text(link::prefix_record_json(meta))));
        sort_files(package.files);
        history.linked.push_back(link::history_dist(package.record));
        contents.packages.push_back(std::move(package));
    }
    contents.other_files.push_back(generated_file("conda-meta/history", link::history_block(history)));
    return contents;
}

}  // namespace envctl::pack
