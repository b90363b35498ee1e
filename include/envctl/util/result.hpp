#pragma once
// Errors are values inside the library: every fallible function returns Result<T>.
// Exceptions are only thrown and caught at the edges (the CLI, third-party callbacks).
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace envctl {

// What went wrong, coarse enough to pick an exit code (see exit_code()).
enum class ErrorKind {
    Usage,          // bad command-line usage
    Input,          // a file or value the user gave is malformed
    Unsatisfiable,  // no solution, or a check that did not pass
    Network,        // transport failures after retries, HTTP errors
    Integrity,      // hash mismatch, corrupt archive, hostile content
    Io,             // local filesystem failures
    Internal,       // a bug in envctl
};

// A position in a file the user wrote; line and column are 1-based, 0 when unknown.
struct Location {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;
};

struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;
    std::optional<Location> location;
    std::vector<std::string> hints;  // what the user can do next, one sentence each

    // "file:line:col: message" (the location part only when known).
    std::string to_string() const;
    // Prefixes the message with what was being done, e.g. "reading repodata of conda-forge/linux-64".
    Error with_context(const std::string& context) &&;
    Error with_hint(std::string hint) &&;
    Error at(Location where) &&;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

// `return fail(ErrorKind::Input, "...");` inside a function returning Result<T>.
inline tl::unexpected<Error> fail(ErrorKind kind, std::string message) {
    return tl::unexpected<Error>(Error{kind, std::move(message), std::nullopt, {}});
}
inline tl::unexpected<Error> fail(Error error) {
    return tl::unexpected<Error>(std::move(error));
}

// Exit codes scripts can rely on: 0 ok, 1 failed check or unsatisfiable (and other failures),
// 2 usage or input error, 3 network, 4 integrity.
int exit_code(ErrorKind kind);
const char* kind_name(ErrorKind kind);

}  // namespace envctl
