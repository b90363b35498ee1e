#pragma once
// Linking one package's files into a prefix.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "envctl/link/conda_meta.hpp"
#include "envctl/link/transaction.hpp"
#include "prefix_writer.hpp"

namespace envctl::link::detail {

// Where each path of a package goes in the prefix.
struct TargetPlan {
    std::vector<std::string> targets;  // one per info.contents.paths entry
    struct EntryPointTarget {
        std::string path;  // bin/<command>
        extract::EntryPoint entry_point;
    };
    std::vector<EntryPointTarget> entry_points;
    std::vector<std::string> sources;  // noarch python .py files under site-packages
    std::vector<std::string> pyc;      // their __pycache__/<stem>.cpython-XY.pyc, parallel to sources
    bool noarch_python = false;

    // Every path linking may create, for the journal.
    std::vector<std::string> all_paths() const;
};

bool is_noarch_python(const LinkSource& source);
// Fails (Input) for a noarch: python package when the environment has no python.
Result<TargetPlan> plan_targets(const LinkSource& source, const std::optional<PythonContext>& python);

struct LinkCounters {
    std::size_t hardlinks = 0;
    std::size_t copies = 0;
    std::size_t replaced = 0;
    std::size_t symlinks = 0;
};

class PackageLinker {
public:
    // `on_replaced(path)` is called when a path that already existed is replaced.
    PackageLinker(PrefixWriter& writer, bool always_copy, std::function<void(const std::string&)> on_replaced)
        : writer_(writer), copy_(always_copy), on_replaced_(std::move(on_replaced)) {}

    // Links every path of the plan and returns the paths_data entries (pyc files excluded).
    Result<std::vector<InstalledPath>> link(const LinkSource& source, const TargetPlan& plan,
                                            std::vector<std::string>& warnings);
    const LinkCounters& counters() const { return counters_; }
    // Whether any package so far had to be copied although hard links were allowed.
    bool copied() const { return copy_ || fell_back_; }

private:
    Status link_file(const std::string& source, const std::string& target, bool copy);
    // Runs `create` (a system call); when the target exists, makes room and runs it again.
    Status make_room_and(const std::string& target, const std::function<int()>& create);
    // Makes room first, then runs `create`.
    Status write_with_room(const std::string& target, const std::function<Status()>& create);

    PrefixWriter& writer_;
    bool copy_ = false;
    bool fell_back_ = false;  // hard links failed (another filesystem): copies from then on
    std::function<void(const std::string&)> on_replaced_;
    LinkCounters counters_;
};

}  // namespace envctl::link::detail
