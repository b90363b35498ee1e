#pragma once
// Prefix replacement (CEP 34 prefix placeholders) and shebang fixing. Pure functions on bytes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl::link {

// The longest "#!..." first line (without the newline) Linux executes reliably; conda uses 127.
inline constexpr std::size_t max_shebang_length = 127;

// Text mode: every occurrence of `placeholder` becomes `prefix`.
std::string replace_text_placeholder(std::string_view data, std::string_view placeholder, std::string_view prefix);

// Binary mode: inside each NUL-terminated string that holds the placeholder (the end of the data
// counts as a terminator), every occurrence becomes `prefix` and the string is padded with NULs
// to its old length, so offsets in the file do not move. Fails (ErrorKind::Input) when `prefix`
// is longer than `placeholder`: the result would not fit.
Result<std::string> replace_binary_placeholder(std::string_view data, std::string_view placeholder,
                                               std::string_view prefix);

// When `data` starts with a shebang the kernel would refuse (longer than max_shebang_length) or
// misread (an interpreter path with blanks), the data with that line rewritten to
// "#!/usr/bin/env <interpreter name> [arguments]"; nullopt when it needs no change. An
// interpreter under `prefix` (the path just written into the file) may hold blanks.
std::optional<std::string> fix_long_shebang(std::string_view data, std::string_view prefix);

// How a noarch: python entry point script starts: "#!<python>\n" when that is short enough and
// has no spaces, otherwise a /bin/sh trampoline that execs <python> on the script itself.
std::string python_entry_point_shebang(std::string_view python);

// The text of bin/<command> for an entry point "command = module:function".
std::string python_entry_point_script(std::string_view python, std::string_view module, std::string_view function);

}  // namespace envctl::link
