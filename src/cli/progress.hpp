#pragma once
// Progress bars on stderr for long operations: one line, redrawn at most ten times a second,
// cleared when done. Shown only when stderr is a terminal and NO_COLOR is unset, and never
// with --json or --quiet (ProgressBar::wanted); otherwise every call does nothing.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "command.hpp"

namespace envctl::cli {

class ProgressBar {
public:
    // Whether a command with these options shows progress at all.
    static bool wanted(const GlobalOptions& global);

    explicit ProgressBar(bool enabled) : enabled_(enabled) {}
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;
    ~ProgressBar() { clear(); }

    // "label [=======>      ] detail", `done` of `total` (total 0: no bar, just the text).
    // Redraws when `force` or when the last redraw is at least 100 ms old.
    void update(std::string_view label, std::uint64_t done, std::uint64_t total, std::string_view detail,
                bool force = false);
    // Removes the line (the next output starts on a clean line).
    void clear();
    bool enabled() const { return enabled_; }

private:
    bool enabled_ = false;
    bool shown_ = false;
    std::chrono::steady_clock::time_point last_{};
};

// "12.3 MB", "512 kB", "17 B".
std::string human_bytes(std::uint64_t bytes);

}  // namespace envctl::cli
