// Solver benchmark: for each request, loads the records reachable from its names out of a
// channel (repodata::load_reachable; "load") and then times solve::solve() alone ("solve",
// median of several runs). Used by bench/solve/run; prints one Markdown table row per request.
//   solve_bench CHANNEL CACHE_DIR [RUNS] "python=3.11 numpy pandas" ["python=3.12 scipy" ...]
// CHANNEL is a URL, file:// URL or path (e.g. the 600k make-channel output). Virtual packages
// are make-channel's assumptions: __unix, __linux 5.15, __glibc 2.35, __archspec x86_64.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "envctl/conda/channel.hpp"
#include "envctl/repodata/repodata.hpp"
#include "envctl/solve/solver.hpp"
#include "envctl/solve/virtual_packages.hpp"
#include "envctl/util/strings.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int main(int argc, char** argv) {
    using namespace envctl;
    if (argc < 4) {
        std::fputs("usage: solve_bench CHANNEL CACHE_DIR [RUNS] SPECS...\n", stderr);
        return 2;
    }
    conda::ChannelContext context;
    context.cwd = std::filesystem::current_path().string();
    auto channel = conda::Channel::resolve(argv[1], context);
    if (!channel) {
        std::fprintf(stderr, "%s\n", channel.error().message.c_str());
        return 2;
    }
    int first_request = 3;
    int runs = 5;
    if (is_ascii_digits(argv[3])) {
        runs = std::max(1, std::stoi(argv[3]));
        first_request = 4;
    }
    repodata::Options options;
    options.cache_dir = argv[2];
    const std::vector<conda::Channel> channels = {*channel};
    const std::vector<std::string> subdirs = {"linux-64", "noarch"};
    solve::SystemInfo system;
    system.linux_version = "5.15";
    system.glibc_version = "2.35";
    system.archspec = "x86_64";
    const auto virtual_packages = solve::virtual_packages("linux-64", &system, {});

    std::printf("| request | reachable records | load (s) | solve (ms, median of %d) | packages |\n", runs);
    std::printf("|---|---:|---:|---:|---:|\n");
    int status = 0;
    for (int index = first_request; index < argc; ++index) {
        const std::string text = argv[index];
        solve::Request request;
        std::vector<std::string> roots = {"pip"};
        for (const auto word : split_whitespace(text)) {
            auto spec = conda::MatchSpec::parse(word);
            if (!spec) {
                std::fprintf(stderr, "%s\n", spec.error().message.c_str());
                return 2;
            }
            roots.emplace_back(spec->exact_name().value_or(word));
            request.specs.push_back(std::move(*spec));
        }
        const auto load_start = Clock::now();
        auto loaded = repodata::load_reachable(channels, subdirs, roots, options);
        if (!loaded) {
            std::fprintf(stderr, "%s\n", loaded.error().to_string().c_str());
            return 1;
        }
        const double load_seconds = seconds_since(load_start);
        std::size_t records = 0;
        for (const auto& loaded_channel : *loaded) {
            request.channels.push_back({loaded_channel.name, loaded_channel.url, loaded_channel.records});
            records += loaded_channel.records.size();
        }
        request.virtual_packages = virtual_packages;
        request.channel_priority = solve::ChannelPriority::Strict;

        std::vector<double> timings;
        std::size_t packages = 0;
        bool satisfiable = true;
        for (int run = 0; run < runs; ++run) {
            const auto start = Clock::now();
            auto solution = solve::solve(request);
            timings.push_back(seconds_since(start) * 1000.0);
            if (!solution) {
                std::fprintf(stderr, "%s\n", solution.error().to_string().c_str());
                return 1;
            }
            satisfiable = solution->satisfiable;
            packages = satisfiable ? solution->records.size() : 0;
            if (!satisfiable && run == 0) std::fprintf(stderr, "%s: %s", text.c_str(), solution->explanation.text().c_str());
        }
        std::sort(timings.begin(), timings.end());
        std::printf("%s", fmt::format("| `{}` | {} | {:.2f} | {:.1f} | {} |\n", text, records, load_seconds,
                                      timings[timings.size() / 2], satisfiable ? std::to_string(packages) : "unsatisfiable")
                              .c_str());
        if (!satisfiable) status = 1;
    }
    return status;
}
