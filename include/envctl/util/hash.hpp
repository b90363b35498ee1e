#pragma once
// Streaming SHA-256 and MD5 (OpenSSL), hex encoding and decoding.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl {

enum class HashAlgorithm { Sha256, Md5 };

class Hasher {
public:
    explicit Hasher(HashAlgorithm algorithm);
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    ~Hasher();

    void update(const void* data, std::size_t size);
    void update(std::string_view data) { update(data.data(), data.size()); }
    // Lowercase hex digest; the hasher is reset afterwards.
    std::string hex_digest();

private:
    struct State;
    std::unique_ptr<State> state_;
};

std::string sha256_hex(std::string_view data);
std::string md5_hex(std::string_view data);
Result<std::string> file_digest_hex(const std::filesystem::path& file, HashAlgorithm algorithm);

std::string to_hex(const std::uint8_t* bytes, std::size_t size);
// Decodes lowercase or uppercase hex; fails on odd length or non-hex characters.
Result<std::string> from_hex(std::string_view hex);
bool is_hex_digest(std::string_view text, std::size_t bytes);

}  // namespace envctl
