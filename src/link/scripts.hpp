#pragma once
// Link scripts (bin/.<name>-<action>.sh) run as conda runs them, and pyc compilation.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/util/result.hpp"

namespace envctl::link::detail {

struct ScriptRun {
    std::string script;  // the script's path
    std::string prefix;
    const conda::PackageRecord* record = nullptr;
    std::string root_prefix;
    // post-link: the script is sourced by bash after an activation of the prefix (PATH,
    // CONDA_PREFIX, the env_vars, etc/conda/activate.d/*.sh); others run as `bash -x script`.
    bool activate = false;
    std::vector<std::pair<std::string, std::string>> env_vars;
};

struct ProcessResult {
    int status = 0;  // exit status; 128 + signal when killed by one
    std::string output;  // stdout and stderr together
};

// Runs the script; fails only when it cannot be started.
Result<ProcessResult> run_link_script(const ScriptRun& run);

// Runs `arguments` (argv[0] a path) with stdin from /dev/null, capturing output.
Result<ProcessResult> run_process(const std::vector<std::string>& arguments,
                                  const std::vector<std::pair<std::string, std::string>>& extra_environment = {});

// The last `lines` lines of `text`, for error messages.
std::string tail_lines(const std::string& text, std::size_t lines);

}  // namespace envctl::link::detail
