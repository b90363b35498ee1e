#include "envctl/link/prefix_replace.hpp"

#include <fmt/format.h>

namespace envctl::link {

std::string replace_text_placeholder(std::string_view data, std::string_view placeholder, std::string_view prefix) {
    std::string out;
    if (placeholder.empty()) return std::string(data);
    out.reserve(data.size() + prefix.size());
    std::size_t start = 0;
    for (auto hit = data.find(placeholder); hit != std::string_view::npos; hit = data.find(placeholder, start)) {
        out.append(data.substr(start, hit - start));
        out.append(prefix);
        start = hit + placeholder.size();
    }
    out.append(data.substr(start));
    return out;
}

Result<std::string> replace_binary_placeholder(std::string_view data, std::string_view placeholder,
                                               std::string_view prefix) {
    if (placeholder.empty()) return std::string(data);
    auto hit = data.find(placeholder);
    if (hit == std::string_view::npos) return std::string(data);
    if (prefix.size() > placeholder.size()) {
        Error error{ErrorKind::Input,
                    fmt::format("the prefix ({} characters) is longer than the package's binary placeholder ({} "
                                "characters), so it cannot be written into the binary file",
                                prefix.size(), placeholder.size()),
                    {},
                    {}};
        return fail(std::move(error).with_hint("use a shorter prefix path"));
    }
    std::string out;
    out.reserve(data.size());
    std::size_t start = 0;
    while (hit != std::string_view::npos) {
        out.append(data.substr(start, hit - start));
        auto end = data.find('\0', hit);
        if (end == std::string_view::npos) end = data.size();
        // The whole NUL-terminated string from the first occurrence: replace every occurrence
        // inside it, then pad back to its length.
        const auto original = data.substr(hit, end - hit);
        auto replaced = replace_text_placeholder(original, placeholder, prefix);
        replaced.resize(original.size(), '\0');
        out.append(replaced);
        start = end;
        hit = data.find(placeholder, start);
    }
    out.append(data.substr(start));
    return out;
}

std::optional<std::string> fix_long_shebang(std::string_view data, std::string_view prefix) {
    if (!data.starts_with("#!")) return std::nullopt;
    const auto newline = data.find('\n');
    const auto line = data.substr(0, newline == std::string_view::npos ? data.size() : newline);
    auto command = line.substr(2);
    while (!command.empty() && (command.front() == ' ' || command.front() == '\t')) command.remove_prefix(1);
    // The interpreter ends at the first blank, except that a prefix with blanks is taken whole.
    std::size_t from = 0;
    if (!prefix.empty() && command.starts_with(prefix) && command.size() > prefix.size() && command[prefix.size()] == '/')
        from = prefix.size();
    const auto blank = command.find_first_of(" \t", from);
    const auto interpreter = command.substr(0, blank);
    const auto arguments = blank == std::string_view::npos ? std::string_view() : command.substr(blank);
    const bool too_long = line.size() > max_shebang_length;
    const bool has_blank = interpreter.find_first_of(" \t") != std::string_view::npos;
    if (!too_long && !has_blank) return std::nullopt;
    const auto name = interpreter.substr(interpreter.rfind('/') + 1);
    if (interpreter.empty() || interpreter.front() != '/' || name.empty()) return std::nullopt;
    std::string out = fmt::format("#!/usr/bin/env {}{}", name, arguments);
    out.append(data.substr(line.size()));
    return out;
}

std::string python_entry_point_shebang(std::string_view python) {
    const auto direct = fmt::format("#!{}", python);
    if (direct.size() <= max_shebang_length && python.find_first_of(" \t") == std::string_view::npos)
        return direct + "\n";
    // sh reads the second line as: exec "<python>" "$0" "$@"; python sees a string literal.
    return fmt::format("#!/bin/sh\n'''exec' \"{}\" \"$0\" \"$@\" #'''\n", python);
}

std::string python_entry_point_script(std::string_view python, std::string_view module, std::string_view function) {
    const auto dot = function.find('.');
    const auto import_name = function.substr(0, dot);
    return fmt::format(
        "{}# -*- coding: utf-8 -*-\n"
        "import re\n"
        "import sys\n"
        "\n"
        "from {} import {}\n"
        "\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
        "    sys.exit({}())\n",
        python_entry_point_shebang(python), module, import_name, function);
}

}  // namespace envctl::link
