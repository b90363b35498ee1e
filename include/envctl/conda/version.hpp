#pragma once
// Conda version literals and their ordering, as CEP 33 defines them.
//
// A version is `[epoch!]main[+local]`. The main and local parts are split into segments at
// `.`, `_` and `-` (dashes only when the string has no underscore), and each segment into
// runs of digits (numbers) and letters (strings). Ordering, case-insensitive:
//   dev < other strings < numbers < post,
// missing components and segments count as 0 (so 1.1 == 1.1.0), a segment that starts with a
// letter gets an implicit leading 0 (1.1.a1 == 1.1.0a1), and local versions only break ties.
//
// Performance: parsing makes no heap allocation for versions of up to 15 characters and 7
// components (the usual case); comparisons never allocate.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl::conda {

class Version {
public:
    // The version "0".
    Version();
    // Fails with ErrorKind::Input and a message naming the text and the problem.
    static Result<Version> parse(std::string_view input);

    Version(const Version& other);
    Version(Version&& other) noexcept;
    Version& operator=(const Version& other);
    Version& operator=(Version&& other) noexcept;
    ~Version();

    // The text as parsed (surrounding whitespace removed, case kept).
    const std::string& str() const { return text_; }
    std::uint64_t epoch() const;
    bool has_local() const { return local_begin_ != size_; }
    // Number of segments of the main part, the epoch not counted: "1.2.3" has 3.
    std::size_t segment_count() const;

    // CEP 33 ordering; equal versions may have different text (1.1 == 1.1.0).
    std::weak_ordering compare(const Version& other) const;
    friend std::weak_ordering operator<=>(const Version& a, const Version& b) { return a.compare(b); }
    friend bool operator==(const Version& a, const Version& b) { return a.compare(b) == 0; }

    // Whole-segment prefix match used by `1.2.*` and `=1.2`: 1.2, 1.2.0, 1.2.3 and 1.2a1
    // start with 1.2; 1.20 does not. As in conda, a trailing string component of the
    // prefix matches as a string prefix (1.2.3rc1 starts with 1.2.3rc).
    bool starts_with(const Version& prefix) const;
    // `~=base`: at least `base` and starting with `base` minus its last segment
    // (~=1.4.2 means >=1.4.2,1.4.*).
    bool compatible_with(const Version& base) const;

    // Consistent with operator==: 1.1 and 1.1.0 hash the same.
    std::size_t hash() const;

private:
    const std::uint64_t* atoms() const { return capacity_ > kInline ? heap_ : inline_; }
    void push_atom(std::uint64_t atom);
    void release();

    static constexpr std::uint16_t kInline = 7;

    std::string text_;
    std::uint16_t size_ = 0;
    std::uint16_t capacity_ = kInline;
    std::uint16_t local_begin_ = 0;  // index of the first local-version atom; size_ when none
    bool numeric_ = false;           // only numbers, one per segment, no local part: "1.26.4"
    union {
        std::uint64_t inline_[kInline];
        std::uint64_t* heap_;
    };

    friend struct VersionParser;
};

}  // namespace envctl::conda

template <>
struct std::hash<envctl::conda::Version> {
    std::size_t operator()(const envctl::conda::Version& version) const noexcept { return version.hash(); }
};
