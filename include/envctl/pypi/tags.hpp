#pragma once
// The compatibility tags a target supports, most preferred first (PEP 425, 600, 656 and the
// living "Platform compatibility tags" specification), in the order pip generates them.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "envctl/pypi/wheel.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

// What an install target is: a conda subdir plus the versions that decide binary compatibility.
struct TagTarget {
    std::string subdir;          // "linux-64", "osx-arm64", "win-64", ...
    std::string python_version;  // CPython "3.11" (a micro part is ignored)
    // glibc of the target ("2.28", conda's __glibc). Unset on Linux: 2.17 (manylinux2014),
    // unless musl_version is set, in which case the target is a musl system.
    std::optional<std::string> glibc_version;
    // macOS of the target ("11.0", conda's __osx). Unset: 10.13 on osx-64, 11.0 on osx-arm64.
    std::optional<std::string> macos_version;
    std::optional<std::string> musl_version;  // "1.2": adds musllinux_1_2 .. musllinux_1_0
    bool free_threaded = false;               // CPython built without the GIL (cp313t, no abi3)
};

class TagSet {
public:
    // Fails for subdirs without Python wheels (noarch, unknown ones) and malformed versions.
    // emscripten-wasm32 gets only platform-independent tags.
    static Result<TagSet> for_target(const TagTarget& target);

    // Most preferred first.
    const std::vector<Tag>& tags() const { return tags_; }

    // The position of `tag` in tags() (lower is better), nullopt when the target cannot use it.
    // Tags compare in lowercase, as parsed wheel names are.
    std::optional<int> rank(std::string_view interpreter, std::string_view abi, std::string_view platform) const;
    std::optional<int> rank(const Tag& tag) const { return rank(tag.interpreter, tag.abi, tag.platform); }
    // The best rank among the wheel's tags.
    std::optional<int> rank(const WheelFilename& wheel) const;
    bool is_compatible(const WheelFilename& wheel) const { return rank(wheel).has_value(); }

private:
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
    };
    using Ids = std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>>;
    static std::uint32_t intern(Ids& ids, const std::string& value);

    std::vector<Tag> tags_;
    Ids interpreter_ids_, abi_ids_, platform_ids_;
    std::vector<int> ranks_;  // [interpreter][abi][platform] -> rank, -1 when absent
};

}  // namespace envctl::pypi
