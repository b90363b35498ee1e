#pragma once
// Internal: syntax errors with the offset where they happened, so that parsers of bigger
// grammars (requirements containing markers) can report columns in the text the user wrote.
#include <cstddef>
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "envctl/pypi/marker.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi::detail {

struct SyntaxError {
    std::string reason;
    std::size_t offset = 0;  // 0-based, into the whole text
};
template <class T>
using Parsed = tl::expected<T, SyntaxError>;

inline tl::unexpected<SyntaxError> syntax_error(std::string reason, std::size_t offset) {
    return tl::unexpected<SyntaxError>(SyntaxError{std::move(reason), offset});
}

// "invalid <what> '<text>': <reason> (column N)", with the column in Error::location.
Error to_error(std::string_view what, std::string_view text, const SyntaxError& error);

// Parses the marker in text[begin, end); offsets in errors are into `text`.
Parsed<Marker> parse_marker(std::string_view text, std::size_t begin, std::size_t end);

}  // namespace envctl::pypi::detail
