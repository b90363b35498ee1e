#include "progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/core.h>

#include "output.hpp"

namespace envctl::cli {

bool ProgressBar::wanted(const GlobalOptions& global) { return !global.json && !global.quiet && stderr_is_interactive(); }

void ProgressBar::update(std::string_view label, std::uint64_t done, std::uint64_t total, std::string_view detail,
                         bool force) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    if (!force && shown_ && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    struct winsize size {};
    const int columns = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 20 ? size.ws_col : 80;
    std::string line = fmt::format("{:<12}", label);
    if (total > 0) {
        const std::size_t width = 28;
        const auto filled = static_cast<std::size_t>(std::min<std::uint64_t>(done, total) * width / total);
        std::string bar(width, ' ');
        std::fill(bar.begin(), bar.begin() + static_cast<std::ptrdiff_t>(filled), '=');
        if (filled < width) bar[filled] = '>';
        line += fmt::format("[{}] ", bar);
    }
    line += detail;
    if (line.size() >= static_cast<std::size_t>(columns)) line.resize(static_cast<std::size_t>(columns) - 1);
    std::fputs(fmt::format("\r\033[K{}", line).c_str(), stderr);
    std::fflush(stderr);
    shown_ = true;
}

void ProgressBar::clear() {
    if (!shown_) return;
    std::fputs("\r\033[K", stderr);
    std::fflush(stderr);
    shown_ = false;
}

std::string human_bytes(std::uint64_t bytes) {
    if (bytes >= 1000ull * 1000 * 1000) return fmt::format("{:.1f} GB", static_cast<double>(bytes) / 1e9);
    if (bytes >= 1000 * 1000) return fmt::format("{:.1f} MB", static_cast<double>(bytes) / 1e6);
    if (bytes >= 1000) return fmt::format("{:.0f} kB", static_cast<double>(bytes) / 1e3);
    return fmt::format("{} B", bytes);
}

}  // namespace envctl::cli
