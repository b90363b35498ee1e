#include "envctl/util/result.hpp"

#include <fmt/format.h>

namespace envctl {

std::string Error::to_string() const {
    if (!location || location->file.empty()) return message;
    if (location->line == 0) return fmt::format("{}: {}", location->file, message);
    if (location->column == 0) return fmt::format("{}:{}: {}", location->file, location->line, message);
    return fmt::format("{}:{}:{}: {}", location->file, location->line, location->column, message);
}

Error Error::with_context(const std::string& context) && {
    message = context + ": " + message;
    return std::move(*this);
}

Error Error::with_hint(std::string hint) && {
    hints.push_back(std::move(hint));
    return std::move(*this);
}

Error Error::at(Location where) && {
    location = std::move(where);
    return std::move(*this);
}

int exit_code(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Usage:
        case ErrorKind::Input: return 2;
        case ErrorKind::Network: return 3;
        case ErrorKind::Integrity: return 4;
        case ErrorKind::Unsatisfiable:
        case ErrorKind::Io:
        case ErrorKind::Internal: return 1;
    }
    return 1;
}

const char* kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::Usage: return "usage";
        case ErrorKind::Input: return "input";
        case ErrorKind::Unsatisfiable: return "unsatisfiable";
        case ErrorKind::Network: return "network";
        case ErrorKind::Integrity: return "integrity";
        case ErrorKind::Io: return "io";
        case ErrorKind::Internal: return "internal";
    }
    return "internal";
}

}  // namespace envctl
