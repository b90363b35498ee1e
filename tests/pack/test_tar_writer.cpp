#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "envctl/pack/tar_writer.hpp"

using namespace envctl;
using namespace envctl::pack;

namespace {

// The bytes of a tar stream holding a few entries, written in memory.
std::string tar_bytes(std::int64_t mtime, const std::string& long_name) {
    std::string out;
    auto tar = TarWriter::open(
        [&](std::string_view data) {
            out.append(data);
            return Status{};
        },
        mtime);
    REQUIRE(tar);
    REQUIRE((*tar)->add_directory("bin"));
    REQUIRE((*tar)->add_file("bin/tool", "#!/bin/sh\necho hi\n", true));
    REQUIRE((*tar)->add_symlink("bin/alias", "tool"));
    REQUIRE((*tar)->add_file(long_name, "data", false));
    REQUIRE((*tar)->finish());
    return out;
}

// A field of the ustar header at `offset` (NUL- or space-terminated).
std::string field(const std::string& tar, std::size_t header, std::size_t offset, std::size_t length) {
    std::string value = tar.substr(header + offset, length);
    return value.substr(0, value.find_first_of(std::string("\0 ", 2)));
}

}  // namespace

TEST_CASE("tar streams depend only on their entries", "[tar]") {
    const std::string long_name = "lib/" + std::string(200, 'x') + ".txt";
    const auto first = tar_bytes(0, long_name);
    const auto second = tar_bytes(0, long_name);
    CHECK(first == second);
    CHECK(first.size() % 512 == 0);
    CHECK(tar_bytes(1700000000, long_name) != first);
    // A long path is carried by a pax header whose name holds no process id.
    CHECK(first.find(long_name) != std::string::npos);
    CHECK(first.find("PaxHeader") != std::string::npos);
}

TEST_CASE("tar headers are normalised: owner 0, fixed mtime, modes", "[tar]") {
    const auto tar = tar_bytes(1234, "short");
    // First entry: the directory.
    CHECK(field(tar, 0, 0, 100) == "bin/");
    CHECK(std::strtol(field(tar, 0, 100, 8).c_str(), nullptr, 8) == 0755);
    CHECK(std::strtol(field(tar, 0, 108, 8).c_str(), nullptr, 8) == 0);
    CHECK(std::strtol(field(tar, 0, 116, 8).c_str(), nullptr, 8) == 0);
    CHECK(std::strtol(field(tar, 0, 136, 12).c_str(), nullptr, 8) == 1234);
    CHECK(tar[156] == '5');
    CHECK(field(tar, 0, 265, 32).empty());  // no owner name
    // Second entry: the executable file, then its 512-byte data block.
    CHECK(field(tar, 512, 0, 100) == "bin/tool");
    CHECK(std::strtol(field(tar, 512, 100, 8).c_str(), nullptr, 8) == 0755);
    CHECK(tar[512 + 156] == '0');
    // Third: the symlink.
    CHECK(field(tar, 1536, 0, 100) == "bin/alias");
    CHECK(tar[1536 + 156] == '2');
    CHECK(field(tar, 1536, 157, 100) == "tool");
    CHECK(std::strtol(field(tar, 1536, 100, 8).c_str(), nullptr, 8) == 0777);
    // Fourth: a plain file.
    CHECK(field(tar, 2048, 0, 100) == "short");
    CHECK(std::strtol(field(tar, 2048, 100, 8).c_str(), nullptr, 8) == 0644);
}

TEST_CASE("gzip output has no timestamp or name and is reproducible", "[tar]") {
    auto compress = [](Compression compression) {
        std::string out;
        auto compressor = make_compressor(compression, [&](std::string_view data) {
            out.append(data);
            return Status{};
        });
        REQUIRE(compressor);
        REQUIRE((*compressor)->write(std::string(100000, 'a')));
        REQUIRE((*compressor)->write("tail"));
        REQUIRE((*compressor)->finish());
        return out;
    };
    const auto gzip = compress(Compression::Gzip);
    REQUIRE(gzip.size() > 10);
    CHECK(static_cast<unsigned char>(gzip[0]) == 0x1f);
    CHECK(static_cast<unsigned char>(gzip[1]) == 0x8b);
    CHECK(gzip[3] == 0);                     // no FNAME/FCOMMENT/FEXTRA flags
    CHECK(gzip.substr(4, 4) == std::string(4, '\0'));  // mtime 0
    CHECK(gzip == compress(Compression::Gzip));
    const auto zstd = compress(Compression::Zstd);
    CHECK(zstd.substr(0, 4) == std::string("\x28\xb5\x2f\xfd", 4));
    CHECK(zstd == compress(Compression::Zstd));
    CHECK(compress(Compression::None).size() == 100004);
}

TEST_CASE("Sha256Sink hashes and forwards", "[tar]") {
    std::string forwarded;
    Sha256Sink sink([&](std::string_view data) {
        forwarded.append(data);
        return Status{};
    });
    REQUIRE(sink.write("ab"));
    REQUIRE(sink.write("c"));
    CHECK(forwarded == "abc");
    CHECK(sink.size() == 3);
    CHECK(sink.hex_digest() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("a failing sink stops the tar writer with its error", "[tar]") {
    auto tar = TarWriter::open([](std::string_view) -> Status { return fail(ErrorKind::Io, "disk full"); }, 0);
    REQUIRE(tar);
    Status status = (*tar)->add_file("big", std::string(20000, 'x'), false);
    if (status) status = (*tar)->finish();
    REQUIRE_FALSE(status);
    CHECK(status.error().message.find("disk full") != std::string::npos);
}
