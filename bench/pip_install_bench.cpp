// Installs every wheel of a folder into a fresh prefix as one transaction (pip::apply_pip_transaction,
// .pyc compiled by the prefix's python), as `envctl create` does after resolving and downloading.
//
//   pip_install_bench WHEEL_DIR WORK_DIR [--python /usr/bin/python3.11] [--runs 5] [--no-pyc]
//
// WORK_DIR/env is recreated for each run with bin/python -> the given interpreter. Prints one line
// per run and the median.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "envctl/pip/wheel_install.hpp"

namespace fs = std::filesystem;
using namespace envctl;

// User + system time of this process and its waited-for children (the .pyc compiler).
double cpu_seconds() {
    double total = 0;
    for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
        rusage usage {};
        ::getrusage(who, &usage);
        total += static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    }
    return total;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s WHEEL_DIR WORK_DIR [--python PATH] [--runs N] [--no-pyc]\n", argv[0]);
        return 2;
    }
    const fs::path wheel_dir = argv[1];
    const fs::path work = argv[2];
    std::string python = "/usr/bin/python3";
    int runs = 5;
    bool compile = true;
    for (int i = 3; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--python" && i + 1 < argc) python = argv[++i];
        else if (arg == "--runs" && i + 1 < argc) runs = std::stoi(argv[++i]);
        else if (arg == "--no-pyc") compile = false;
    }
    // The interpreter's X.Y, for site-packages and .pyc names.
    std::string version;
    {
        std::FILE* pipe = ::popen((python + " -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])'").c_str(), "r");
        char buffer[64] = {};
        if (pipe && std::fgets(buffer, sizeof buffer, pipe)) version = buffer;
        if (pipe) ::pclose(pipe);
        while (!version.empty() && (version.back() == '\n' || version.back() == '\r')) version.pop_back();
    }
    if (version.empty()) {
        std::fprintf(stderr, "cannot run %s\n", python.c_str());
        return 1;
    }
    std::vector<fs::path> wheels;
    for (const auto& entry : fs::directory_iterator(wheel_dir))
        if (entry.path().extension() == ".whl") wheels.push_back(entry.path());
    std::sort(wheels.begin(), wheels.end());

    std::vector<double> seconds;
    std::size_t files = 0;
    std::size_t pyc = 0;
    for (int run = 0; run < runs; ++run) {
        const auto prefix = work / "env";
        fs::remove_all(prefix);
        fs::create_directories(prefix / "bin");
        fs::create_directories(prefix / "conda-meta");
        fs::create_symlink(python, prefix / "bin/python");
        pip::PipTransaction change;
        change.prefix = prefix;
        change.python = {version, ""};
        change.compile_pyc = compile;
        for (const auto& wheel : wheels) {
            pip::WheelToInstall install;
            install.wheel = wheel;
            install.requested = true;
            change.install.push_back(std::move(install));
        }
        const auto cpu_before = cpu_seconds();
        const auto start = std::chrono::steady_clock::now();
        auto lock = link::PrefixLock::acquire(prefix);
        if (!lock) return std::fprintf(stderr, "%s\n", lock.error().message.c_str()), 1;
        auto result = pip::apply_pip_transaction(change, *lock);
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!result) return std::fprintf(stderr, "%s\n", result.error().to_string().c_str()), 1;
        files = pyc = 0;
        for (const auto& installed : result->installed) {
            files += installed.files.size();
            pyc += installed.pyc_files;
        }
        seconds.push_back(elapsed);
        std::printf("run %d: %.3f s wall %.3f s cpu\n", run + 1, elapsed, cpu_seconds() - cpu_before);
    }
    std::sort(seconds.begin(), seconds.end());
    std::printf("pip_install_bench: %zu wheels, %zu files (%zu .pyc), python %s: median %.3f s over %d runs\n",
                wheels.size(), files, pyc, version.c_str(), seconds[seconds.size() / 2], runs);
    return 0;
}
