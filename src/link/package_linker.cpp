#include "package_linker.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "envctl/link/prefix_replace.hpp"
#include "envctl/util/hash.hpp"

namespace envctl::link::detail {

namespace {

std::string pyc_path(const std::string& source, const std::string& version) {
    std::string tag = version;
    std::erase(tag, '.');
    const auto slash = source.rfind('/');
    const auto directory = slash == std::string::npos ? std::string() : source.substr(0, slash + 1);
    const auto file = source.substr(slash == std::string::npos ? 0 : slash + 1);
    const auto stem = file.substr(0, file.size() - 3);
    return fmt::format("{}__pycache__/{}.cpython-{}.pyc", directory, stem, tag);
}

}  // namespace

std::vector<std::string> TargetPlan::all_paths() const {
    std::vector<std::string> out = targets;
    for (const auto& entry_point : entry_points) out.push_back(entry_point.path);
    out.insert(out.end(), pyc.begin(), pyc.end());
    return out;
}

bool is_noarch_python(const LinkSource& source) {
    return source.record.noarch == conda::NoArchType::Python || source.info.index.noarch == extract::NoarchType::Python ||
           (source.info.link && source.info.link->noarch == extract::NoarchType::Python);
}

Result<TargetPlan> plan_targets(const LinkSource& source, const std::optional<PythonContext>& python) {
    TargetPlan plan;
    plan.noarch_python = is_noarch_python(source);
    if (plan.noarch_python && !python) {
        Error error{ErrorKind::Input,
                    fmt::format("{} is a noarch: python package, but the environment has no python",
                                source.record.dist_name()),
                    {},
                    {}};
        return fail(std::move(error).with_hint("add python to the specs"));
    }
    plan.targets.reserve(source.info.contents.paths.size());
    for (const auto& entry : source.info.contents.paths) {
        if (!plan.noarch_python) {
            plan.targets.push_back(entry.path);
            continue;
        }
        auto target = extract::noarch_python_path(entry.path, python->site_packages);
        if (entry.type == extract::PathType::Hardlink && target.ends_with(".py") &&
            target.starts_with(python->site_packages + "/")) {
            plan.sources.push_back(target);
            plan.pyc.push_back(pyc_path(target, python->version));
        }
        plan.targets.push_back(std::move(target));
    }
    if (plan.noarch_python && source.info.link) {
        for (const auto& entry_point : source.info.link->entry_points)
            plan.entry_points.push_back({"bin/" + entry_point.command, entry_point});
    }
    return plan;
}

Status PackageLinker::make_room_and(const std::string& target, const std::function<int()>& create) {
    // Callers look at errno after a failure (EXDEV and friends), so it is restored last.
    auto failed = [&](int error) -> Status {
        auto result = fail(io_error("create", writer_.full(target), error));
        errno = error;
        return result;
    };
    if (create() == 0) return {};
    if (errno != EEXIST) return failed(errno);
    auto moved = writer_.make_room(target);
    if (!moved) return fail(std::move(moved.error()));
    if (*moved && on_replaced_) on_replaced_(target);
    if (create() == 0) return {};
    return failed(errno);
}

Status PackageLinker::link_file(const std::string& source, const std::string& target, bool copy) {
    const auto destination = writer_.full(target);
    if (!copy && !copy_ && !fell_back_) {
        auto made = make_room_and(target, [&] { return ::linkat(AT_FDCWD, source.c_str(), AT_FDCWD, destination.c_str(), 0); });
        if (made) {
            ++counters_.hardlinks;
            return {};
        }
        const int error = errno;
        if (error != EXDEV && error != EPERM && error != EMLINK && error != EACCES) return made;
        if (error == EXDEV) fell_back_ = true;  // another filesystem: every later file too
    }
    struct stat status {};
    if (::stat(source.c_str(), &status) != 0) return fail(io_error("read", source, errno));
    auto copied = write_with_room(target, [&] { return copy_file(source, destination, static_cast<mode_t>(status.st_mode & 07777)); });
    if (!copied) return copied;
    ++counters_.copies;
    return {};
}

Status PackageLinker::write_with_room(const std::string& target, const std::function<Status()>& create) {
    auto moved = writer_.make_room(target);
    if (!moved) return fail(std::move(moved.error()));
    if (*moved && on_replaced_) on_replaced_(target);
    return create();
}

Result<std::vector<InstalledPath>> PackageLinker::link(const LinkSource& source, const TargetPlan& plan,
                                                       std::vector<std::string>& warnings) {
    const auto& paths = source.info.contents.paths;
    const bool trust_hashes = source.warnings.empty() && source.info.warnings.empty();
    const auto dist = source.record.dist_name();
    const std::string root = source.directory.string() + "/";
    std::vector<InstalledPath> installed;
    installed.reserve(paths.size() + plan.entry_points.size());
    auto in_context = [&](Error error, const std::string& path) {
        return fail(std::move(error).with_context(fmt::format("linking {} of {}", path, dist)));
    };
    for (std::size_t i = 0; i < paths.size(); ++i) {
        const auto& entry = paths[i];
        const auto& target = plan.targets[i];
        const auto from = root + entry.path;
        InstalledPath record;
        record.path = target;
        record.sha256 = entry.sha256;
        record.size = entry.size;
        record.no_link = entry.no_link;
        if (entry.type == extract::PathType::Directory) {
            if (auto made = writer_.ensure_directory(target); !made) return in_context(std::move(made.error()), target);
            record.path_type = "directory";
            installed.push_back(std::move(record));
            continue;
        }
        if (auto parent = writer_.ensure_parent(target); !parent) return in_context(std::move(parent.error()), target);
        if (entry.type == extract::PathType::Softlink) {
            char buffer[4096];
            const auto n = ::readlink(from.c_str(), buffer, sizeof buffer - 1);
            if (n < 0) {
                if (errno == ENOENT || errno == EINVAL) {
                    warnings.push_back(fmt::format("{}: {} is listed but missing from the package; skipped", dist, entry.path));
                    continue;
                }
                return in_context(io_error("read link", from, errno), target);
            }
            const std::string link_target(buffer, static_cast<std::size_t>(n));
            const auto destination = writer_.full(target);
            auto made = make_room_and(target, [&] { return ::symlink(link_target.c_str(), destination.c_str()); });
            if (!made) return in_context(std::move(made.error()), target);
            ++counters_.symlinks;
            record.path_type = "softlink";
            record.sha256_in_prefix = entry.sha256;
            installed.push_back(std::move(record));
            continue;
        }
        record.path_type = "hardlink";
        if (!entry.prefix_placeholder.empty()) {
            mode_t mode = 0644;
            auto data = read_whole_file(from, &mode);
            if (!data) {
                if (::access(from.c_str(), F_OK) != 0) {
                    warnings.push_back(fmt::format("{}: {} is listed but missing from the package; skipped", dist, entry.path));
                    continue;
                }
                return in_context(std::move(data.error()), target);
            }
            std::string replaced;
            if (entry.file_mode == extract::FileMode::Binary) {
                auto binary = replace_binary_placeholder(*data, entry.prefix_placeholder, writer_.prefix());
                if (!binary) return in_context(std::move(binary.error()), target);
                replaced = std::move(*binary);
            } else {
                replaced = replace_text_placeholder(*data, entry.prefix_placeholder, writer_.prefix());
                if (auto fixed = fix_long_shebang(replaced, writer_.prefix())) replaced = std::move(*fixed);
            }
            const auto destination = writer_.full(target);
            auto made = write_with_room(target, [&] { return write_new_file(destination, replaced, mode); });
            if (!made) return in_context(std::move(made.error()), target);
            ++counters_.replaced;
            record.prefix_placeholder = entry.prefix_placeholder;
            record.file_mode = std::string(extract::file_mode_name(entry.file_mode));
            record.sha256_in_prefix = sha256_hex(replaced);
            record.size = replaced.size();
            installed.push_back(std::move(record));
            continue;
        }
        auto linked = link_file(from, target, entry.no_link);
        if (!linked) {
            if (::access(from.c_str(), F_OK) != 0) {
                warnings.push_back(fmt::format("{}: {} is listed but missing from the package; skipped", dist, entry.path));
                continue;
            }
            return in_context(std::move(linked.error()), target);
        }
        if (trust_hashes && !entry.sha256.empty()) {
            record.sha256_in_prefix = entry.sha256;
        } else {
            auto digest = sha256_of_file(writer_.full(target));
            if (!digest) return in_context(std::move(digest.error()), target);
            record.sha256_in_prefix = *digest;
            if (record.sha256.empty()) record.sha256 = *digest;
            struct stat status {};
            if (::stat(writer_.full(target).c_str(), &status) == 0) record.size = static_cast<std::uint64_t>(status.st_size);
        }
        installed.push_back(std::move(record));
    }
    const auto python = writer_.prefix() + "/bin/python";
    for (const auto& entry_point : plan.entry_points) {
        if (auto parent = writer_.ensure_parent(entry_point.path); !parent)
            return in_context(std::move(parent.error()), entry_point.path);
        const auto script = python_entry_point_script(python, entry_point.entry_point.module, entry_point.entry_point.function);
        const auto destination = writer_.full(entry_point.path);
        auto made = write_with_room(entry_point.path, [&] { return write_new_file(destination, script, 0755); });
        if (!made) return in_context(std::move(made.error()), entry_point.path);
        InstalledPath record;
        record.path = entry_point.path;
        record.path_type = "unix_python_entry_point";
        record.sha256_in_prefix = sha256_hex(script);
        record.size = script.size();
        installed.push_back(std::move(record));
    }
    return installed;
}

}  // namespace envctl::link::detail
