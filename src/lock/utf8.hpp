#pragma once
// UTF-8 validation for text files the lock module reads (YAML requires Unicode, and yaml-cpp
// reads stray bytes inconsistently).
#include <cstddef>
#include <optional>
#include <string_view>

namespace envctl::lock {

// The 1-based line of the first byte that is not well-formed UTF-8, or nullopt.
inline std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    std::size_t line = 1;
    for (std::size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            if (byte == '\n') ++line;
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned min = 0;
        unsigned code = 0;
        if ((byte & 0xE0) == 0xC0) length = 2, min = 0x80, code = byte & 0x1F;
        else if ((byte & 0xF0) == 0xE0) length = 3, min = 0x800, code = byte & 0x0F;
        else if ((byte & 0xF8) == 0xF0) length = 4, min = 0x10000, code = byte & 0x07;
        else return line;
        if (i + length > text.size()) return line;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return line;
            code = (code << 6) | (next & 0x3F);
        }
        if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return line;
        i += length;
    }
    return std::nullopt;
}

}  // namespace envctl::lock
