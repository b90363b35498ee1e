#include "envctl/util/hash.hpp"

#include <fstream>
#include <vector>

#include <openssl/evp.h>

namespace envctl {

struct Hasher::State {
    HashAlgorithm algorithm;
    EVP_MD_CTX* context = nullptr;

    explicit State(HashAlgorithm a) : algorithm(a), context(EVP_MD_CTX_new()) { reset(); }
    ~State() { EVP_MD_CTX_free(context); }
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    void reset() {
        EVP_DigestInit_ex(context, algorithm == HashAlgorithm::Sha256 ? EVP_sha256() : EVP_md5(), nullptr);
    }
};

Hasher::Hasher(HashAlgorithm algorithm) : state_(std::make_unique<State>(algorithm)) {}
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::update(const void* data, std::size_t size) { EVP_DigestUpdate(state_->context, data, size); }

std::string Hasher::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(state_->context, digest, &length);
    state_->reset();
    return to_hex(digest, length);
}

std::string sha256_hex(std::string_view data) {
    Hasher hasher(HashAlgorithm::Sha256);
    hasher.update(data);
    return hasher.hex_digest();
}

std::string md5_hex(std::string_view data) {
    Hasher hasher(HashAlgorithm::Md5);
    hasher.update(data);
    return hasher.hex_digest();
}

Result<std::string> file_digest_hex(const std::filesystem::path& file, HashAlgorithm algorithm) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ErrorKind::Io, "cannot open " + file.string() + " for hashing");
    Hasher hasher(algorithm);
    std::vector<char> buffer(1 << 16);
    while (in) {
        in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
        hasher.update(buffer.data(), static_cast<std::size_t>(in.gcount()));
    }
    if (in.bad()) return fail(ErrorKind::Io, "read error while hashing " + file.string());
    return hasher.hex_digest();
}

std::string to_hex(const std::uint8_t* bytes, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(size * 2, '0');
    for (std::size_t i = 0; i < size; ++i) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    return out;
}

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

Result<std::string> from_hex(std::string_view hex) {
    if (hex.size() % 2 != 0) return fail(ErrorKind::Input, "hex string has odd length");
    std::string out(hex.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) return fail(ErrorKind::Input, "invalid hex digit");
        out[i] = static_cast<char>(high * 16 + low);
    }
    return out;
}

bool is_hex_digest(std::string_view text, std::size_t bytes) {
    if (text.size() != bytes * 2) return false;
    for (char c : text)
        if (hex_value(c) < 0) return false;
    return true;
}

}  // namespace envctl
