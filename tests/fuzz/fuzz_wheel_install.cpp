// Installs arbitrary wheels and checks the installer's promises: nothing is ever written outside
// the prefix, a refused wheel leaves the prefix as it was, and an installed one is uninstalled
// without a trace. The first byte picks how the rest is used: 0 as the wheel file itself; 1 as a
// recipe ("path\tcontent" lines) zipped here with a correct RECORD, so that mutations reach member
// names, .data schemes, entry points and RECORD contents directly.
#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pip/wheel_install.hpp"
#include "envctl/pypi/metadata.hpp"
#include "envctl/util/hash.hpp"

namespace fs = std::filesystem;
using namespace envctl;

namespace {

// base/a/b/c/env: an escape of up to four levels lands somewhere watched.
struct Sandbox {
    fs::path base;
    fs::path prefix;
    fs::path wheel;
    Sandbox() {
        char pattern[] = "/tmp/envctl-fuzz-wheel-XXXXXX";
        base = ::mkdtemp(pattern);
        prefix = base / "a/b/c/env";
        wheel = base / "demo-1.0-py3-none-any.whl";
    }
};

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

std::vector<std::string> listing(const fs::path& root) {
    std::vector<std::string> out;
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(root, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
        const auto path = it->path().string();
        if (path.find(".envctl.lock") == std::string::npos) out.push_back(path);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string record_hash(std::string_view data) {
    return "sha256=" + pypi::urlsafe_b64_encode_nopad(from_hex(sha256_hex(data)).value());
}

// "path\tcontent" lines (content with "\n" written as "\\n") plus METADATA, WHEEL and RECORD.
void write_recipe(const fs::path& wheel, std::string_view recipe) {
    std::vector<std::pair<std::string, std::string>> members;
    std::size_t start = 0;
    while (start < recipe.size()) {
        auto end = recipe.find('\n', start);
        if (end == std::string_view::npos) end = recipe.size();
        const auto line = recipe.substr(start, end - start);
        start = end + 1;
        const auto tab = line.find('\t');
        std::string content(tab == std::string_view::npos ? std::string_view() : line.substr(tab + 1));
        for (std::size_t at = 0; (at = content.find("\\n", at)) != std::string::npos;) content.replace(at, 2, "\n");
        members.emplace_back(std::string(line.substr(0, tab)), std::move(content));
    }
    const bool has_metadata = std::any_of(members.begin(), members.end(), [](const auto& m) {
        return m.first == "demo-1.0.dist-info/METADATA";
    });
    if (!has_metadata) members.emplace_back("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n\n");
    members.emplace_back("demo-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n");
    std::string record;
    for (const auto& [path, content] : members) record += path + "," + record_hash(content) + "," + std::to_string(content.size()) + "\n";
    members.emplace_back("demo-1.0.dist-info/RECORD", record + "demo-1.0.dist-info/RECORD,,\n");

    archive* writer = archive_write_new();
    archive_write_set_format_zip(writer);
    archive_write_open_filename(writer, wheel.c_str());
    for (const auto& [path, content] : members) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, path.c_str());
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_perm(entry, 0644);
        archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
        archive_write_header(writer, entry);
        archive_write_data(writer, content.data(), content.size());
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static const Sandbox sandbox;
    std::error_code error;
    fs::remove_all(sandbox.base / "a", error);
    fs::remove(sandbox.wheel, error);
    fs::create_directories(sandbox.prefix / "lib/python3.11/site-packages");
    fs::create_directories(sandbox.prefix / "conda-meta");
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (data[0] % 2 == 0) std::ofstream(sandbox.wheel, std::ios::binary).write(rest.data(), static_cast<std::streamsize>(rest.size()));
    else write_recipe(sandbox.wheel, rest);

    const auto before = listing(sandbox.base / "a");
    pip::WheelInstallRequest request;
    request.wheel = sandbox.wheel;
    request.prefix = sandbox.prefix;
    request.python = {"3.11", ""};
    request.compile_pyc = false;
    request.limits.min_total_bytes = 16 << 20;
    auto installed = pip::install_wheel(request);
    const auto after = listing(sandbox.base / "a");
    for (const auto& path : after)
        check(path.starts_with(sandbox.prefix.string() + "/") || sandbox.prefix.string().starts_with(path),
              "a file was written outside the prefix");
    if (!installed) {
        check(after == before, "a refused wheel changed the prefix");
        return 0;
    }
    check(pip::uninstall_distribution(sandbox.prefix, "lib/python3.11/site-packages", installed->name).has_value(),
          "an installed wheel could not be uninstalled");
    const auto cleaned = listing(sandbox.base / "a");
    // Directories every prefix has may stay; files may not.
    for (const auto& path : cleaned)
        check(std::find(before.begin(), before.end(), path) != before.end() || fs::is_directory(path),
              "uninstalling left a file behind");
    return 0;
}
