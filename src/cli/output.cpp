#include "output.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace envctl::cli {

void configure_logging(const GlobalOptions& global) {
    auto logger = stderr_is_interactive() ? spdlog::stderr_color_mt("envctl") : spdlog::stderr_logger_mt("envctl");
    logger->set_pattern("%^%l%$: %v");
    if (global.quiet)
        logger->set_level(spdlog::level::err);
    else if (global.verbosity >= 2)
        logger->set_level(spdlog::level::debug);
    else if (global.verbosity == 1)
        logger->set_level(spdlog::level::info);
    else
        logger->set_level(spdlog::level::warn);
    spdlog::set_default_logger(logger);
}

nlohmann::json error_json(const Error& error) {
    nlohmann::json out{{"success", false}, {"error", error.to_string()}, {"kind", kind_name(error.kind)}};
    if (!error.hints.empty()) out["hints"] = error.hints;
    return out;
}

int report_error(const GlobalOptions& global, const Error& error) {
    if (global.json) {
        print_json(error_json(error));
    } else {
        std::fputs(fmt::format("error: {}\n", error.to_string()).c_str(), stderr);
        for (const auto& hint : error.hints) std::fputs(fmt::format("hint: {}\n", hint).c_str(), stderr);
    }
    return exit_code(error.kind);
}

void print_json(const nlohmann::json& document) {
    std::fputs(document.dump(2).c_str(), stdout);
    std::fputc('\n', stdout);
}

std::string pad_right(std::string text, std::size_t width) {
    if (text.size() < width) text.append(width - text.size(), ' ');
    return text;
}

bool stderr_is_interactive() {
    const char* no_color = std::getenv("NO_COLOR");
    return ::isatty(STDERR_FILENO) && (no_color == nullptr || *no_color == '\0');
}

}  // namespace envctl::cli
