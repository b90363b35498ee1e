// Arbitrary bytes as a .condarc and as the envctl config file, read by config::load the way
// envctl reads them: no crashes; every error is an input error that names the file.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "envctl/config/config.hpp"

using namespace envctl;
namespace fs = std::filesystem;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

const fs::path& work_dir() {
    static const fs::path dir = [] {
        std::string pattern = (fs::temp_directory_path() / "envctl-fuzz-condarc-XXXXXX").string();
        check(::mkdtemp(pattern.data()) != nullptr, "mkdtemp failed");
        std::atexit([] { std::error_code ignored; fs::remove_all(work_dir(), ignored); });
        return fs::path(pattern);
    }();
    return dir;
}

void load_as(const char* variable, const fs::path& file) {
    config::Environment environment;
    environment.home = work_dir() / "home";
    environment.system_dir = work_dir() / "etc";
    environment.variables = {{"HOME", environment.home.string()}, {variable, file.string()}, {"TOKEN", "tk"}};
    if (std::string(variable) != "ENVCTL_CONFIG") environment.variables["ENVCTL_CONFIG"] = (work_dir() / "none.yml").string();
    const auto loaded = config::load(environment);
    if (loaded) return;
    check(loaded.error().kind == ErrorKind::Input, "a config file error that is not an input error");
    const auto where = loaded.error().location;
    check(where.has_value() && where->file == file.string(), "a config file error that does not name the file");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const fs::path file = work_dir() / "condarc.yml";
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    load_as("CONDARC", file);
    load_as("ENVCTL_CONFIG", file);
    return 0;
}
