#pragma once
// The transaction journal: conda-meta/.envctl-transaction.json (see transaction.hpp).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::link::detail {

struct JournalPackage {
    std::string dist;                // name-version-build ("" for the prefix's own files)
    std::vector<std::string> paths;  // every path linking creates, its conda-meta record last
};

struct Journal {
    enum class State { Running, Restoring, Committed };
    State state = State::Running;
    // Files created by this transaction have a ctime at or after this (nanoseconds since the
    // epoch, read from the filesystem's clock); older files at listed paths were not ours.
    std::int64_t started_ns = 0;
    std::vector<std::string> unlink;  // dist names
    std::vector<JournalPackage> link;
    std::string history;  // the conda-meta/history block appended on completion
};

// Written atomically; `durable` fsyncs it (the first write of a transaction).
Status write_journal(const std::filesystem::path& prefix, const Journal& journal, bool durable);
// nullopt when there is none. A journal that cannot be parsed is an Io error naming the file.
Result<std::optional<Journal>> read_journal(const std::filesystem::path& prefix);
Status remove_journal(const std::filesystem::path& prefix);
// The filesystem clock now: the ctime of a file created and removed in conda-meta/.
Result<std::int64_t> filesystem_now_ns(const std::filesystem::path& prefix);

}  // namespace envctl::link::detail
