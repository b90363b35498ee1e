#pragma once
// A loopback ../shared/tools/channel-server owned by one unit test (header-only, so any
// module's tests can include it): starts it on port 0, waits for its port file, reads its
// request log, and stops it with SIGTERM + waitpid when the object dies.
//
//   auto tool = envctl::testing::channel_server_tool();
//   if (!tool) { WARN(envctl::testing::missing_tools_message()); return; }
//   envctl::testing::ChannelServer server(*tool, directory, work_dir, {"--fail-first", "2"});
//   fetch(server.url() + "/linux-64/repodata.json");
//   CHECK(server.requests().size() == 3);
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace envctl::testing {

#ifdef ENVCTL_SHARED_DIR
inline std::filesystem::path shared_dir() { return ENVCTL_SHARED_DIR; }
#endif

// The channel-server script, or nullopt when ../shared/tools is absent.
inline std::optional<std::filesystem::path> channel_server_tool() {
#ifdef ENVCTL_SHARED_DIR
    auto tool = shared_dir() / "tools" / "channel-server";
    if (std::filesystem::exists(tool)) return tool;
#endif
    return std::nullopt;
}

inline std::string missing_tools_message() {
    return "skipped: ../shared/tools/channel-server is absent; this test needs the shared tools next to the checkout";
}

class ChannelServer {
public:
    ChannelServer(const std::filesystem::path& tool, const std::filesystem::path& directory,
                  const std::filesystem::path& work_dir, const std::vector<std::string>& extra_args = {}) {
        std::filesystem::create_directories(work_dir);
        port_file_ = work_dir / "port";
        log_file_ = work_dir / "requests.log";
        std::filesystem::remove(port_file_);
        std::vector<std::string> args = {tool.string(),      directory.string(), "--port",   "0",
                                         "--port-file",      port_file_.string(), "--log",   log_file_.string(),
                                         "--max-seconds",    "120",              "--quiet"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        std::vector<char*> argv;
        for (auto& arg : args) argv.push_back(arg.data());
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
            throw std::runtime_error("cannot start " + tool.string());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (true) {
            if (auto port = read_port()) {
                port_ = *port;
                break;
            }
            int status = 0;
            if (waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("channel-server exited before listening");
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("channel-server did not start within 20 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    ChannelServer(const ChannelServer&) = delete;
    ChannelServer& operator=(const ChannelServer&) = delete;
    ~ChannelServer() { stop(); }

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // Every request logged so far (method, path, status, bytes, range, if_none_match, ...).
    // The server writes an entry when a request ends.
    std::vector<nlohmann::json> requests() const {
        std::vector<nlohmann::json> entries;
        std::ifstream in(log_file_);
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) entries.push_back(nlohmann::json::parse(line));
        return entries;
    }
    // Waits (up to 10 s) until the log holds at least `count` entries, then returns them all.
    std::vector<nlohmann::json> wait_for_requests(std::size_t count) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        auto entries = requests();
        while (entries.size() < count && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            entries = requests();
        }
        return entries;
    }
    std::vector<nlohmann::json> requests_for(const std::string& path) const {
        std::vector<nlohmann::json> matching;
        for (auto& entry : requests())
            if (entry.value("path", "") == path) matching.push_back(entry);
        return matching;
    }

    void stop() {
        if (pid_ <= 0) return;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    std::optional<int> read_port() const {
        std::ifstream in(port_file_);
        int port = 0;
        if (in >> port && port > 0) return port;
        return std::nullopt;
    }

    std::filesystem::path port_file_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace envctl::testing
