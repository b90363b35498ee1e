#include "envctl/ops/remove.hpp"

#include <set>

#include <fmt/format.h>

#include "envctl/util/strings.hpp"

namespace envctl::ops {

namespace fs = std::filesystem;

namespace {

std::string depends_name(std::string_view spec) {
    spec = trim(spec);
    if (const auto colons = spec.rfind("::"); colons != std::string_view::npos) spec.remove_prefix(colons + 2);
    return to_lower(spec.substr(0, spec.find_first_of(" =<>!~[")));
}

}  // namespace

Result<std::vector<conda::PackageRecord>> environment_without(const std::vector<link::PrefixRecord>& installed,
                                                              const std::vector<std::string>& names, bool force) {
    std::set<std::string> present;
    for (const auto& record : installed) present.insert(record.record.name);
    std::set<std::string> removing;
    for (const auto& name : names) {
        const auto lowered = to_lower(name);
        if (!present.contains(lowered))
            return fail(ErrorKind::Input, fmt::format("package '{}' is not installed in this environment", name));
        removing.insert(lowered);
    }
    for (bool grew = !force; grew;) {
        grew = false;
        for (const auto& record : installed) {
            if (removing.contains(record.record.name)) continue;
            for (const auto& spec : record.record.depends) {
                if (removing.contains(depends_name(spec))) {
                    removing.insert(record.record.name);
                    grew = true;
                    break;
                }
            }
        }
    }
    std::vector<conda::PackageRecord> kept;
    for (const auto& record : installed)
        if (!removing.contains(record.record.name)) kept.push_back(record.record);
    return kept;
}

Result<RemoveEnvironmentResult> remove_environment(const fs::path& prefix, bool link_scripts,
                                                   const ApplyCallbacks& callbacks) {
    std::error_code error;
    if (!fs::is_directory(prefix / "conda-meta", error))
        return fail(ErrorKind::Input, fmt::format("{} is not an environment (it has no conda-meta folder)", prefix.string()));
    RemoveEnvironmentResult result;
    {
        auto lock = link::PrefixLock::acquire(prefix, [&] {
            if (callbacks.on_notice)
                callbacks.on_notice(fmt::format("waiting for another envctl process to finish with {}", prefix.string()));
        });
        if (!lock) return fail(std::move(lock.error()));
        auto recovery = link::recover(prefix, *lock);
        if (!recovery) return fail(std::move(recovery.error()));
        result.recovery = std::move(*recovery);
        auto installed = link::read_prefix_records(prefix);
        if (!installed) return fail(std::move(installed.error()));
        link::TransactionOptions options;
        options.link_scripts = link_scripts;
        options.on_progress = callbacks.on_link_progress;
        options.on_warning = callbacks.on_warning;
        auto transaction = link::execute(prefix, *installed, {}, options, *lock);
        if (!transaction) return fail(std::move(transaction.error()));
        result.transaction = std::move(*transaction);
        for (auto it = fs::recursive_directory_iterator(prefix, error); !error && it != fs::recursive_directory_iterator();
             it.increment(error)) {
            if (it->is_directory(error) && !it->is_symlink(error)) continue;
            if (it->path().parent_path().filename() == "conda-meta") continue;
            ++result.other_files;
        }
        // The lock file goes with the folder; the descriptor keeps other processes out until then.
        fs::remove_all(prefix, error);
        if (error) return fail(ErrorKind::Io, fmt::format("cannot remove {}: {}", prefix.string(), error.message()));
    }
    return result;
}

}  // namespace envctl::ops
