// The environment registry (<root_prefix>/environments.txt) and `envctl env list`.
#include "envctl/ops/environments.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "envctl/link/conda_meta.hpp"
#include "envctl/util/fs.hpp"
#include "envctl/util/strings.hpp"

namespace envctl::ops {
namespace {

namespace fs = std::filesystem;

// An exclusive flock() on <root>/.environments.lock for the lifetime of the object.
class RegistryLock {
public:
    static Result<RegistryLock> acquire(const fs::path& root) {
        if (auto made = ensure_directory(root); !made) return fail(std::move(made.error()));
        const auto file = root / ".environments.lock";
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return fail(ErrorKind::Io, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
        while (::flock(fd, LOCK_EX) != 0) {
            if (errno == EINTR) continue;
            const int saved = errno;
            ::close(fd);
            return fail(ErrorKind::Io, fmt::format("cannot lock {}: {}", file.string(), std::strerror(saved)));
        }
        return RegistryLock(fd);
    }
    RegistryLock(RegistryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    RegistryLock& operator=(RegistryLock&&) = delete;
    ~RegistryLock() {
        if (fd_ >= 0) ::close(fd_);
    }

private:
    explicit RegistryLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

Result<std::vector<fs::path>> read_registry(const fs::path& file) {
    std::vector<fs::path> paths;
    std::error_code error;
    if (!fs::exists(file, error)) return paths;
    auto text = read_file(file);
    if (!text) return fail(std::move(text.error()));
    for (const auto line : split(*text, '\n')) {
        const auto path = trim(line);
        if (!path.empty() && path.front() == '/') paths.emplace_back(path);
    }
    return paths;
}

std::string registry_text(const std::vector<fs::path>& paths) {
    std::string text;
    for (const auto& path : paths) text += path.string() + "\n";
    return text;
}

fs::path absolute_canonical(const fs::path& path) {
    std::error_code error;
    auto out = fs::weakly_canonical(fs::absolute(path), error);
    return error ? fs::absolute(path).lexically_normal() : out;
}

}  // namespace

std::string_view environment_kind_name(EnvironmentEntry::Kind kind) {
    switch (kind) {
    case EnvironmentEntry::Kind::Root: return "root";
    case EnvironmentEntry::Kind::Named: return "named";
    case EnvironmentEntry::Kind::Project: return "project";
    case EnvironmentEntry::Kind::Other: return "other";
    }
    return "other";
}

fs::path registry_file(const fs::path& root_prefix) { return root_prefix / "environments.txt"; }

Status register_environment(const fs::path& root_prefix, const fs::path& prefix) {
    auto lock = RegistryLock::acquire(root_prefix);
    if (!lock) return fail(std::move(lock.error()));
    const auto file = registry_file(root_prefix);
    auto paths = read_registry(file);
    if (!paths) return fail(std::move(paths.error()));
    const auto target = absolute_canonical(prefix);
    for (const auto& path : *paths)
        if (absolute_canonical(path) == target) return {};
    paths->push_back(target);
    return write_file_atomic(file, registry_text(*paths));
}

Result<std::vector<EnvironmentEntry>> list_environments(const config::Config& config) {
    std::vector<EnvironmentEntry> out;
    std::set<fs::path> seen;
    auto add = [&](const fs::path& prefix, EnvironmentEntry::Kind kind) {
        const auto path = absolute_canonical(prefix);
        if (!link::is_environment(path) || !seen.insert(path).second) return;
        const auto parent = path.parent_path();
        if (kind == EnvironmentEntry::Kind::Other && parent.filename() == "envs" && parent.parent_path().filename() == ".envctl")
            kind = EnvironmentEntry::Kind::Project;
        out.push_back({path, kind == EnvironmentEntry::Kind::Root ? "base" : path.filename().string(), kind});
    };
    add(config.root_prefix, EnvironmentEntry::Kind::Root);
    std::error_code error;
    for (const auto& folder : config.envs_dirs) {
        if (!fs::is_directory(folder, error)) continue;
        std::vector<fs::path> children;
        for (const auto& entry : fs::directory_iterator(folder, error))
            if (entry.is_directory(error)) children.push_back(entry.path());
        std::sort(children.begin(), children.end());
        for (const auto& child : children) add(child, EnvironmentEntry::Kind::Named);
    }

    // Registered prefixes; the registry forgets those that are gone.
    const auto file = registry_file(config.root_prefix);
    if (fs::exists(file, error)) {
        auto lock = RegistryLock::acquire(config.root_prefix);
        if (!lock) return fail(std::move(lock.error()));
        auto paths = read_registry(file);
        if (!paths) return fail(std::move(paths.error()));
        std::vector<fs::path> kept;
        for (const auto& path : *paths)
            if (link::is_environment(path)) kept.push_back(path);
        if (kept.size() != paths->size())
            if (auto written = write_file_atomic(file, registry_text(kept)); !written) return fail(std::move(written.error()));
        std::sort(kept.begin(), kept.end());
        for (const auto& path : kept) add(path, EnvironmentEntry::Kind::Other);
    }
    return out;
}

Result<fs::path> existing_environment(const std::string& prefix, const std::string& name, const config::Config& config,
                                      const config::Environment& environment) {
    auto checked = [](const fs::path& path) -> Result<fs::path> {
        if (link::is_environment(path)) return absolute_canonical(path);
        return fail(Error{ErrorKind::Input, fmt::format("{} is not an environment (it has no conda-meta/history)", path.string()),
                          std::nullopt, {"list the known environments with `envctl env list`"}});
    };
    if (!prefix.empty()) return checked(fs::absolute(prefix));
    if (!name.empty()) {
        if (name.find('/') != std::string::npos || name == "." || name == "..")
            return fail(Error{ErrorKind::Usage, fmt::format("invalid environment name '{}'", name), std::nullopt,
                              {"use -p PATH for an environment at a path"}});
        for (const auto& folder : config.envs_dirs)
            if (link::is_environment(folder / name)) return absolute_canonical(folder / name);
        std::error_code error;
        for (auto folder = fs::current_path(error); !error && !folder.empty(); folder = folder.parent_path()) {
            if (link::is_environment(folder / ".envctl" / "envs" / name)) return absolute_canonical(folder / ".envctl" / "envs" / name);
            if (folder == folder.root_path()) break;
        }
        return fail(Error{ErrorKind::Input, fmt::format("no environment named '{}'", name), std::nullopt,
                          {"list the known environments with `envctl env list`"}});
    }
    if (const auto active = environment.variables.find("CONDA_PREFIX");
        active != environment.variables.end() && !active->second.empty())
        return checked(active->second);
    return fail(Error{ErrorKind::Usage, "no environment given", std::nullopt,
                      {"use -p PATH or -n NAME, or activate an environment"}});
}

}  // namespace envctl::ops
