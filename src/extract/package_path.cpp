#include "envctl/extract/package_path.hpp"

#include <cstdint>
#include <vector>

#include <fmt/format.h>

namespace envctl::extract {

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is malformed.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
    const std::uint8_t lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    std::uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
        code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        code = lead & 0x07u;
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k) {
        if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
        code = (code << 6) | (byte(i + k) & 0x3Fu);
    }
    const bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    if (overlong || surrogate || code > 0x10FFFF) return 0;
    return length;
}

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
}

Status check_characters(std::string_view text, std::string_view what) {
    for (const char c : text) {
        if (c == '\0') return fail(ErrorKind::Integrity, fmt::format("{} contains a NUL byte", what));
        if (is_control(c)) return fail(ErrorKind::Integrity, fmt::format("{} contains a control character", what));
    }
    if (!is_valid_utf8(text)) return fail(ErrorKind::Integrity, fmt::format("{} is not valid UTF-8", what));
    return {};
}

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        const auto part = path.substr(start, end - start);
        if (!part.empty() && part != ".") parts.push_back(part);
        start = end + 1;
    }
    return parts;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const auto length = utf8_sequence_length(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

Result<std::string> normalize_package_path(std::string_view raw) {
    if (raw.empty()) return fail(ErrorKind::Integrity, "the path is empty");
    if (auto ok = check_characters(raw, "the path"); !ok) return fail(ok.error());
    if (raw.front() == '/') return fail(ErrorKind::Integrity, "the path is absolute");
    std::string normalized;
    for (const auto part : components(raw)) {
        if (part == "..") return fail(ErrorKind::Integrity, "the path has a '..' component");
        if (!normalized.empty()) normalized += '/';
        normalized += part;
    }
    return normalized;
}

Status check_symlink_target(std::string_view link_path, std::string_view target) {
    if (target.empty()) return fail(ErrorKind::Integrity, "the symlink target is empty");
    if (auto ok = check_characters(target, "the symlink target"); !ok) return ok;
    if (target.front() == '/') return fail(ErrorKind::Integrity, fmt::format("the symlink target '{}' is absolute", target));
    auto stack = components(link_path);
    if (!stack.empty()) stack.pop_back();  // resolve against the link's directory
    for (const auto part : components(target)) {
        if (part != "..") {
            stack.push_back(part);
        } else if (stack.empty()) {
            return fail(ErrorKind::Integrity,
                        fmt::format("the symlink target '{}' resolves outside the package", target));
        } else {
            stack.pop_back();
        }
    }
    return {};
}

std::string printable_path(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto length = utf8_sequence_length(text, i);
        if (length == 0 || (length == 1 && is_control(text[i]))) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned>(static_cast<unsigned char>(text[i])));
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    return out;
}

}  // namespace envctl::extract
