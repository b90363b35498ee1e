#pragma once
// PEP 440 versions (living "Version specifiers" specification): parsing with normalization,
// the normalized string form and the total ordering. Versions that do not follow the scheme are
// rejected; there is no "legacy version" fallback.
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/util/result.hpp"

namespace envctl::pypi {

enum class PreReleaseKind : std::uint8_t { Alpha = 1, Beta = 2, ReleaseCandidate = 3 };

struct PreRelease {
    PreReleaseKind kind = PreReleaseKind::Alpha;
    std::uint64_t number = 0;
    friend bool operator==(const PreRelease&, const PreRelease&) = default;
};

class Version {
public:
    // Accepts every spelling the specification allows: surrounding whitespace, any case, a leading
    // "v", "-", "_" or "." separators, alpha/beta/c/pre/preview/rev/r spellings, implicit numbers
    // ("1.0a" = "1.0a0") and implicit post releases ("1.0-1"). Numbers must fit 64 bits.
    static Result<Version> parse(std::string_view text);

    // The version "0", so that records holding a version can be default-constructed.
    Version() = default;

    // Builds "epoch!release" directly (release must not be empty).
    static Version from_release(std::span<const std::uint64_t> release, std::uint64_t epoch = 0);

    std::uint64_t epoch() const { return epoch_; }
    std::span<const std::uint64_t> release() const;
    std::optional<PreRelease> pre() const;
    std::optional<std::uint64_t> post() const;
    std::optional<std::uint64_t> dev() const;
    // The normalized local label without "+" ("ubuntu.1"), empty when there is none.
    const std::string& local() const { return local_; }
    bool has_local() const { return !local_.empty(); }

    // Pre-releases include developmental releases, as in the specification.
    bool is_prerelease() const { return pre_kind_ != 0 || has_dev_; }
    bool is_devrelease() const { return has_dev_; }
    bool is_postrelease() const { return has_post_; }

    // "epoch!release" only: 1!2.0rc1.post2+x -> 1!2.0.
    Version base_version() const;
    // Without the local label.
    Version public_version() const;

    // The normalized form: "1!2.0rc1.post2.dev3+ubuntu.1".
    std::string to_string() const;
    // Consistent with ==: equal versions (1.0 and 1.0.0) hash alike.
    std::size_t hash() const;

    // Release segments compare zero-padded, so 1.0 == 1.0.0; the ordering is total.
    friend bool operator==(const Version& a, const Version& b) { return compare(a, b) == 0; }
    friend std::weak_ordering operator<=>(const Version& a, const Version& b) { return compare(a, b) <=> 0; }
    // Negative, zero or positive.
    static int compare(const Version& a, const Version& b);
    // As compare(), ignoring local labels.
    static int compare_public(const Version& a, const Version& b);
    // Epoch and zero-padded release segments only (the base versions).
    static int compare_base(const Version& a, const Version& b);

private:
    void set_release(std::span<const std::uint64_t> segments);
    void append_release(std::uint64_t segment);
    friend class VersionParser;

    static constexpr std::size_t inline_release = 4;
    std::uint64_t epoch_ = 0;
    std::array<std::uint64_t, inline_release> release_inline_{};
    std::vector<std::uint64_t> release_heap_;  // used instead when there are more segments
    std::uint32_t release_size_ = 1;
    std::uint8_t pre_kind_ = 0;  // 0: none, else a PreReleaseKind
    bool has_post_ = false;
    bool has_dev_ = false;
    std::uint64_t pre_number_ = 0;
    std::uint64_t post_ = 0;
    std::uint64_t dev_ = 0;
    std::string local_;
};

}  // namespace envctl::pypi

template <>
struct std::hash<envctl::pypi::Version> {
    std::size_t operator()(const envctl::pypi::Version& version) const noexcept { return version.hash(); }
};
