#pragma once
// Warnings about input files: something envctl ignored or that other tools would reject.
#include <string>

#include "envctl/util/result.hpp"

namespace envctl::spec {

struct Warning {
    Location location;  // file, 1-based line and column (0 when unknown)
    std::string message;

    // "file:line:col: message", like Error::to_string().
    std::string to_string() const;
};

}  // namespace envctl::spec
