#include "journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "envctl/util/fs.hpp"
#include "prefix_writer.hpp"

namespace envctl::link::detail {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const char* state_name(Journal::State state) {
    switch (state) {
        case Journal::State::Running: return "running";
        case Journal::State::Restoring: return "restoring";
        case Journal::State::Committed: return "committed";
    }
    return "running";
}

fs::path journal_path(const fs::path& prefix) { return prefix / std::string(journal_file); }

}  // namespace

Status write_journal(const fs::path& prefix, const Journal& journal, bool durable) {
    json link = json::array();
    for (const auto& package : journal.link) link.push_back(json{{"dist", package.dist}, {"paths", package.paths}});
    const json document{{"version", 1},
                        {"state", state_name(journal.state)},
                        {"started_ns", journal.started_ns},
                        {"unlink", journal.unlink},
                        {"link", std::move(link)},
                        {"history", journal.history}};
    const auto text = document.dump() + "\n";
    const auto file = journal_path(prefix);
    if (durable) return write_file_atomic(file, text);
    const auto temporary = temporary_sibling(file);
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(io_error("create", temporary.string(), errno));
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int saved = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            return fail(io_error("write", temporary.string(), saved));
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (::rename(temporary.c_str(), file.c_str()) != 0) return fail(io_error("rename into", file.string(), errno));
    return {};
}

Result<std::optional<Journal>> read_journal(const fs::path& prefix) {
    const auto file = journal_path(prefix);
    std::error_code error;
    if (!fs::exists(file, error)) return std::optional<Journal>();
    auto text = read_file(file);
    if (!text) return fail(std::move(text.error()));
    const auto document = json::parse(*text, nullptr, false);
    auto bad = [&file](std::string_view why) {
        return fail(ErrorKind::Io, fmt::format("the transaction journal {} is damaged ({}); the prefix may be "
                                               "half-changed: remove and recreate it",
                                               file.string(), why));
    };
    if (!document.is_object()) return bad("not a JSON object");
    try {
        Journal journal;
        const auto state = document.at("state").get<std::string>();
        journal.state = state == "committed"   ? Journal::State::Committed
                        : state == "restoring" ? Journal::State::Restoring
                                               : Journal::State::Running;
        journal.started_ns = document.at("started_ns").get<std::int64_t>();
        journal.unlink = document.at("unlink").get<std::vector<std::string>>();
        for (const auto& item : document.at("link"))
            journal.link.push_back({item.at("dist").get<std::string>(), item.at("paths").get<std::vector<std::string>>()});
        journal.history = document.value("history", std::string());
        return std::optional<Journal>(std::move(journal));
    } catch (const json::exception& exception) {
        return bad(exception.what());
    }
}

Status remove_journal(const fs::path& prefix) {
    const auto file = journal_path(prefix);
    if (::unlink(file.c_str()) != 0 && errno != ENOENT) return fail(io_error("remove", file.string(), errno));
    return {};
}

Result<std::int64_t> filesystem_now_ns(const fs::path& prefix) {
    const auto probe = temporary_sibling(prefix / "conda-meta" / ".envctl-clock");
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return fail(io_error("create", probe.string(), errno));
    struct stat status {};
    const int result = ::fstat(fd, &status);
    ::close(fd);
    ::unlink(probe.c_str());
    if (result != 0) return fail(io_error("inspect", probe.string(), errno));
    return static_cast<std::int64_t>(status.st_ctim.tv_sec) * 1'000'000'000 + status.st_ctim.tv_nsec;
}

}  // namespace envctl::link::detail
