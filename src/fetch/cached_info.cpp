#include "cached_info.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "envctl/extract/extract.hpp"

namespace envctl::fetch::detail {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t max_metadata_bytes = std::size_t{256} << 20;

// The file's text; nullopt when it does not exist. Symlinks and other non-files are refused.
Result<std::optional<std::string>> read_metadata(const fs::path& directory, const char* name) {
    const auto path = directory / name;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<std::string>();
        return fail(ErrorKind::Integrity, fmt::format("{}: cannot read {}: {}", directory.filename().string(), name,
                                                      std::strerror(errno)));
    }
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || static_cast<std::size_t>(status.st_size) > max_metadata_bytes) {
        ::close(fd);
        return fail(ErrorKind::Integrity, fmt::format("{}: {} is not a regular file of a sensible size",
                                                      directory.filename().string(), name));
    }
    std::string text(static_cast<std::size_t>(status.st_size), '\0');
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::read(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(done);
    return std::optional<std::string>(std::move(text));
}

}  // namespace

Result<extract::PackageInfo> load_cached_package(const fs::path& directory) {
    extract::InfoFiles files;
    auto paths = read_metadata(directory, "info/paths.json");
    if (!paths) return fail(std::move(paths.error()));
    if (!*paths) return extract::load_extracted_package(directory);
    files.paths_json = std::move(*paths);
    auto index = read_metadata(directory, "info/index.json");
    if (!index) return fail(std::move(index.error()));
    files.index_json = std::move(*index);
    auto link = read_metadata(directory, "info/link.json");
    if (!link) return fail(std::move(link.error()));
    files.link_json = std::move(*link);
    const auto label = directory.filename().string();
    auto info = extract::parse_package_info(files, label);
    if (!info) return fail(std::move(info.error()));
    for (auto& entry : info->contents.paths) {
        if (entry.type != extract::PathType::Softlink) continue;
        struct stat status {};
        if (::lstat((directory / entry.path).c_str(), &status) != 0 || S_ISLNK(status.st_mode)) continue;
        // The same tolerance as extraction: what is really there counts.
        info->warnings.push_back(fmt::format("'{}' is a regular file although paths.json says softlink; treated as a file",
                                             entry.path));
        entry.type = S_ISDIR(status.st_mode) ? extract::PathType::Directory : extract::PathType::Hardlink;
    }
    return info;
}

}  // namespace envctl::fetch::detail
