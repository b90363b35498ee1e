// Feeds arbitrary text to the info/ parsers and checks that every path they accept is
// canonical and stays inside the package.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "envctl/extract/package_info.hpp"
#include "envctl/extract/package_path.hpp"

using namespace envctl::extract;

namespace {

void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

void check_path(const std::string& path) {
    check(!path.empty(), "an accepted path is empty");
    const auto again = normalize_package_path(path);
    check(again && *again == path, "an accepted path is not canonical");
    check(path.front() != '/', "an accepted path is absolute");
    check(path != ".." && !path.starts_with("../") && path.find("/../") == std::string::npos &&
              !path.ends_with("/.."),
          "an accepted path climbs out");
}

void check_contents(const PackageContents& contents) {
    for (const auto& entry : contents.paths) check_path(entry.path);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto contents = parse_paths_json(text, "fuzz")) check_contents(*contents);
    (void)parse_index_json(text, "fuzz");
    if (auto link = parse_link_json(text, "fuzz"))
        for (const auto& point : link->entry_points) check(point.command.find('/') == std::string::npos, "entry point");
    if (auto entries = parse_has_prefix(text, "fuzz"))
        for (const auto& entry : *entries) check_path(entry.path);
    if (auto contents = contents_from_legacy(text, std::string(text), std::string(text), "fuzz")) check_contents(*contents);
    if (auto path = normalize_package_path(text); path && !path->empty()) check_path(*path);
    const auto split = text.find('\n');
    if (split != std::string_view::npos) {
        const auto link = normalize_package_path(text.substr(0, split));
        if (link && !link->empty() && check_symlink_target(*link, text.substr(split + 1))) {
            const auto target = text.substr(split + 1);
            check(!target.empty() && target.front() != '/', "an accepted symlink target is absolute");
        }
    }
    InfoFiles files;
    files.index_json = R"({"name": "fuzz", "version": "1", "build": "0"})";
    files.paths_json = std::string(text);
    if (auto info = parse_package_info(files, "fuzz")) check_contents(info->contents);
    return 0;
}
