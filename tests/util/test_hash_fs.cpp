#include <catch2/catch.hpp>

#include <filesystem>

#include "envctl/util/fs.hpp"
#include "envctl/util/hash.hpp"

using namespace envctl;
namespace fs = std::filesystem;

TEST_CASE("digests match known vectors") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
    Hasher incremental(HashAlgorithm::Sha256);
    incremental.update("a");
    incremental.update("bc");
    CHECK(incremental.hex_digest() == sha256_hex("abc"));
}

TEST_CASE("hex decoding rejects malformed input") {
    CHECK(from_hex("00ff").value() == std::string("\x00\xff", 2));
    CHECK_FALSE(from_hex("0").has_value());
    CHECK_FALSE(from_hex("zz").has_value());
    CHECK(is_hex_digest(sha256_hex(""), 32));
    CHECK_FALSE(is_hex_digest("abc", 32));
}

TEST_CASE("atomic writes replace whole files and temporary directories clean up") {
    fs::path kept;
    {
        auto directory = TemporaryDirectory::create(fs::temp_directory_path(), "envctl-test-");
        REQUIRE(directory);
        kept = directory->path();
        const auto file = kept / "data.txt";
        REQUIRE(write_file_atomic(file, "first"));
        REQUIRE(write_file_atomic(file, "second"));
        CHECK(read_file(file).value() == "second");
        CHECK(std::distance(fs::directory_iterator(kept), fs::directory_iterator{}) == 1);
    }
    CHECK_FALSE(fs::exists(kept));
    auto missing = read_file(kept / "nope");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::Io);
}

TEST_CASE("errors render their location and map to exit codes") {
    Error error{ErrorKind::Input, "expected a list", Location{"environment.yml", 3, 5}, {}};
    CHECK(error.to_string() == "environment.yml:3:5: expected a list");
    CHECK(exit_code(ErrorKind::Input) == 2);
    CHECK(exit_code(ErrorKind::Network) == 3);
    CHECK(exit_code(ErrorKind::Integrity) == 4);
    CHECK(exit_code(ErrorKind::Unsatisfiable) == 1);
}
