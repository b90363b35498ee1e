#include "envctl/conda/version.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "envctl/util/ascii.hpp"

namespace envctl::conda {

// Each component ("atom") is one 64-bit word:
//   bit 62      first atom of a segment
//   bits 60-61  kind, numbered in sort order: dev < text < number < post
//   bits 0-59   a number's value, or a text run's (offset << 16 | length) into text_
// The epoch is atom 0 (a segment of its own), then the main segments, then from local_begin_
// the local segments.
namespace {

constexpr std::uint64_t kSegmentStart = 1ULL << 62;
constexpr int kKindShift = 60;
constexpr std::uint64_t kPayloadMask = (1ULL << kKindShift) - 1;
constexpr std::uint64_t kMaxNumber = kPayloadMask;
constexpr std::size_t kMaxLength = 4096;  // offsets and lengths must fit 16 bits

enum Kind : std::uint64_t { kDev = 0, kText = 1, kNumber = 2, kPost = 3 };

constexpr std::uint64_t make_atom(Kind kind, std::uint64_t payload) {
    return (static_cast<std::uint64_t>(kind) << kKindShift) | payload;
}
constexpr std::uint64_t kZero = make_atom(kNumber, 0);

constexpr Kind kind_of(std::uint64_t atom) { return static_cast<Kind>((atom >> kKindShift) & 3); }
constexpr std::uint64_t payload_of(std::uint64_t atom) { return atom & kPayloadMask; }
constexpr bool starts_segment(std::uint64_t atom) { return (atom & kSegmentStart) != 0; }
constexpr std::uint64_t key_of(std::uint64_t atom) { return atom & ~kSegmentStart; }

std::string_view text_of(std::uint64_t atom, std::string_view text) {
    const auto payload = payload_of(atom);
    return text.substr(payload >> 16, payload & 0xFFFF);
}

// Lowercase, and '-' compares as '_' (conda rewrites dashes to underscores).
unsigned char fold(char c) {
    if (c >= 'A' && c <= 'Z') return static_cast<unsigned char>(c - 'A' + 'a');
    if (c == '-') return '_';
    return static_cast<unsigned char>(c);
}

bool folded_equals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(a[i]) != fold(b[i])) return false;
    return true;
}

int compare_text(std::string_view a, std::string_view b) {
    const auto n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        const auto x = fold(a[i]), y = fold(b[i]);
        if (x != y) return x < y ? -1 : 1;
    }
    if (a.size() == b.size()) return 0;
    return a.size() < b.size() ? -1 : 1;
}

int compare_atom(std::uint64_t x, std::uint64_t y, std::string_view tx, std::string_view ty) {
    const auto kx = key_of(x), ky = key_of(y);
    const auto kind = kind_of(kx);
    if (kind != kText || kind_of(ky) != kText) {
        // Kinds are numbered in sort order and numbers sit in the low bits: one comparison.
        if (kx == ky) return 0;
        return kx < ky ? -1 : 1;
    }
    return compare_text(text_of(kx, tx), text_of(ky, ty));
}

std::size_t segment_end(const std::uint64_t* atoms, std::size_t begin, std::size_t end) {
    std::size_t i = begin + 1;
    while (i < end && !starts_segment(atoms[i])) ++i;
    return i;
}

// A run of segments: [begin, end) of an atom array, plus the text its strings point into.
struct Run {
    const std::uint64_t* atoms;
    std::size_t begin;
    std::size_t end;
    std::string_view text;
};

// Segment-by-segment, component-by-component comparison with zero padding.
int compare_runs(const Run& a, const Run& b) {
    std::size_t i = a.begin, j = b.begin;
    while (i < a.end || j < b.end) {
        const auto ie = i < a.end ? segment_end(a.atoms, i, a.end) : i;
        const auto je = j < b.end ? segment_end(b.atoms, j, b.end) : j;
        std::size_t p = i, q = j;
        while (p < ie || q < je) {
            const auto x = p < ie ? a.atoms[p] : kZero;
            const auto y = q < je ? b.atoms[q] : kZero;
            if (const int c = compare_atom(x, y, a.text, b.text)) return c;
            if (p < ie) ++p;
            if (q < je) ++q;
        }
        i = ie;
        j = je;
    }
    return 0;
}

// conda's startswith: every segment of `prefix` but the last equals the candidate's; in the
// last one, every component but the last is equal and the last is equal (numbers) or a string
// prefix (strings).
bool run_starts_with(const Run& candidate, const Run& prefix) {
    if (prefix.begin == prefix.end) return true;
    std::size_t last = prefix.begin;  // start of the prefix's last segment
    for (std::size_t k = prefix.begin; k < prefix.end; ++k)
        if (starts_segment(prefix.atoms[k])) last = k;
    // Whole segments before the last one.
    std::size_t i = candidate.begin, j = prefix.begin;
    while (j < last) {
        const auto ie = i < candidate.end ? segment_end(candidate.atoms, i, candidate.end) : i;
        const auto je = segment_end(prefix.atoms, j, last);
        std::size_t p = i, q = j;
        while (p < ie || q < je) {
            const auto x = p < ie ? candidate.atoms[p] : kZero;
            const auto y = q < je ? prefix.atoms[q] : kZero;
            if (compare_atom(x, y, candidate.text, prefix.text) != 0) return false;
            if (p < ie) ++p;
            if (q < je) ++q;
        }
        i = ie;
        j = je;
    }
    // The last segment: components before its last one must be equal.
    const auto ie = i < candidate.end ? segment_end(candidate.atoms, i, candidate.end) : i;
    std::size_t p = i;
    for (std::size_t q = last; q + 1 < prefix.end; ++q, ++p) {
        const auto x = p < ie ? candidate.atoms[p] : kZero;
        if (compare_atom(x, prefix.atoms[q], candidate.text, prefix.text) != 0) return false;
    }
    if (p >= ie) return false;  // conda: a missing component never matches
    const auto c1 = key_of(candidate.atoms[p]);
    const auto c2 = key_of(prefix.atoms[prefix.end - 1]);
    if (kind_of(c2) == kText) {
        if (kind_of(c1) != kText) return false;
        const auto whole = text_of(c1, candidate.text);
        const auto start = text_of(c2, prefix.text);
        return whole.size() >= start.size() && folded_equals(whole.substr(0, start.size()), start);
    }
    return c1 == c2;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Storage

Version::Version() : text_("0"), size_(0), capacity_(kInline), local_begin_(0), numeric_(true) {
    push_atom(make_atom(kNumber, 0) | kSegmentStart);  // epoch 0
    push_atom(make_atom(kNumber, 0) | kSegmentStart);  // main version 0
    local_begin_ = size_;
}

Version::Version(const Version& other)
    : text_(other.text_), size_(other.size_), capacity_(kInline), local_begin_(other.local_begin_),
      numeric_(other.numeric_) {
    if (other.size_ > kInline) {
        heap_ = new std::uint64_t[other.size_];
        capacity_ = other.size_;
    }
    std::memcpy(capacity_ > kInline ? heap_ : inline_, other.atoms(), sizeof(std::uint64_t) * size_);
}

Version::Version(Version&& other) noexcept
    : text_(std::move(other.text_)), size_(other.size_), capacity_(other.capacity_),
      local_begin_(other.local_begin_), numeric_(other.numeric_) {
    if (capacity_ > kInline) {
        heap_ = other.heap_;
        other.capacity_ = kInline;
        other.size_ = 0;
        other.local_begin_ = 0;
    } else {
        std::memcpy(inline_, other.inline_, sizeof(std::uint64_t) * size_);
    }
}

Version& Version::operator=(const Version& other) {
    if (this != &other) {
        Version copy(other);
        *this = std::move(copy);
    }
    return *this;
}

Version& Version::operator=(Version&& other) noexcept {
    if (this == &other) return *this;
    release();
    text_ = std::move(other.text_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    local_begin_ = other.local_begin_;
    numeric_ = other.numeric_;
    if (capacity_ > kInline) {
        heap_ = other.heap_;
        other.capacity_ = kInline;
        other.size_ = 0;
        other.local_begin_ = 0;
    } else {
        std::memcpy(inline_, other.inline_, sizeof(std::uint64_t) * size_);
    }
    return *this;
}

Version::~Version() { release(); }

void Version::release() {
    if (capacity_ > kInline) delete[] heap_;
    capacity_ = kInline;
    size_ = 0;
}

void Version::push_atom(std::uint64_t atom) {
    if (size_ == capacity_) {
        const auto grown = static_cast<std::uint16_t>(capacity_ * 2);
        auto* fresh = new std::uint64_t[grown];
        std::memcpy(fresh, atoms(), sizeof(std::uint64_t) * size_);
        if (capacity_ > kInline) delete[] heap_;
        heap_ = fresh;
        capacity_ = grown;
    }
    (capacity_ > kInline ? heap_ : inline_)[size_++] = atom;
}

// ---------------------------------------------------------------------------------------------
// Parsing

struct VersionParser {
    Version& version;
    std::string_view text;  // the whole (trimmed) version text

    tl::unexpected<Error> error(std::string_view problem) const {
        return fail(ErrorKind::Input, fmt::format("invalid version '{}': {}", text, problem));
    }

    // Digits [begin, end) of text as a number.
    Result<std::uint64_t> number(std::size_t begin, std::size_t end) const {
        std::uint64_t value = 0;
        for (std::size_t i = begin; i < end; ++i) {
            const auto digit = static_cast<std::uint64_t>(text[i] - '0');
            if (value > (kMaxNumber - digit) / 10) return error(fmt::format("number '{}' is too large", text.substr(begin, end - begin)));
            value = value * 10 + digit;
        }
        return value;
    }

    // One segment [begin, end): runs of digits and non-digits.
    Status segment(std::size_t begin, std::size_t end) {
        std::uint64_t flag = kSegmentStart;
        if (!is_ascii_digit(text[begin])) {
            version.push_atom(kZero | flag);  // keeps numbers and strings in phase
            flag = 0;
        }
        std::size_t i = begin;
        while (i < end) {
            std::size_t j = i;
            if (is_ascii_digit(text[i])) {
                while (j < end && is_ascii_digit(text[j])) ++j;
                auto value = number(i, j);
                if (!value) return tl::unexpected(value.error());
                version.push_atom(make_atom(kNumber, *value) | flag);
            } else {
                while (j < end && !is_ascii_digit(text[j])) ++j;
                const auto run = text.substr(i, j - i);
                if (folded_equals(run, "dev")) {
                    version.push_atom(make_atom(kDev, 0) | flag);
                } else if (folded_equals(run, "post")) {
                    version.push_atom(make_atom(kPost, 0) | flag);
                } else {
                    version.push_atom(make_atom(kText, (static_cast<std::uint64_t>(i) << 16) | (j - i)) | flag);
                }
            }
            flag = 0;
            i = j;
        }
        return {};
    }

    // The main or local part [begin, end): segments separated by '.', '_' or '-'.
    Status part(std::size_t begin, std::size_t end, bool allow_trailing_underscore, std::string_view what) {
        if (begin == end) return error(fmt::format("the {} is empty", what));
        std::size_t stop = end;
        const bool trailing = allow_trailing_underscore && (text[end - 1] == '_' || text[end - 1] == '-');
        if (trailing) --stop;  // "1.0.1_": the underscore belongs to the last segment
        std::size_t start = begin;
        for (std::size_t i = begin; i <= stop; ++i) {
            if (i < stop && text[i] != '.' && text[i] != '_' && text[i] != '-') continue;
            if (i == start) {
                if (i == stop && trailing && i == begin) return error("a lone '_' is not a version");
                return error(fmt::format("empty segment at position {}", i + 1));
            }
            const auto segment_stop = (i == stop && trailing) ? end : i;
            if (auto status = segment(start, segment_stop); !status) return status;
            start = i + 1;
        }
        return {};
    }

    Status parse() {
        if (text.empty()) return fail(ErrorKind::Input, "invalid version '': the version is empty");
        if (text.size() > kMaxLength) return error(fmt::format("longer than {} characters", kMaxLength));
        std::size_t bang = std::string_view::npos, plus = std::string_view::npos;
        bool has_dash = false, has_underscore = false;
        for (std::size_t i = 0; i < text.size(); ++i) {
            const char c = text[i];
            if (is_ascii_digit(c) || is_ascii_alpha(c) || c == '.') continue;
            if (c == '_') {
                has_underscore = true;
            } else if (c == '-') {
                has_dash = true;
            } else if (c == '!') {
                if (bang != std::string_view::npos) return error("more than one epoch separator '!'");
                if (plus != std::string_view::npos) return error("the epoch '!' must come before the local version '+'");
                bang = i;
            } else if (c == '+') {
                if (plus != std::string_view::npos) return error("more than one local version separator '+'");
                plus = i;
            } else if (c == '*') {
                return error("'*' is a pattern, not part of a version");
            } else {
                const auto shown = (c >= 0x20 && c < 0x7f) ? fmt::format("'{}'", c)
                                                            : fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
                return error(fmt::format("invalid character {} at position {} (expected letters, digits, '.', '_', '-', '!' or '+')", shown, i + 1));
            }
        }
        if (has_dash && has_underscore) return error("mixes '-' and '_' as separators");

        std::uint64_t epoch = 0;
        std::size_t main_begin = 0;
        if (bang != std::string_view::npos) {
            if (bang == 0) return error("the epoch before '!' is empty");
            for (std::size_t i = 0; i < bang; ++i)
                if (!is_ascii_digit(text[i])) return error("the epoch before '!' must be a number");
            auto value = number(0, bang);
            if (!value) return tl::unexpected(value.error());
            epoch = *value;
            main_begin = bang + 1;
        }
        version.push_atom(make_atom(kNumber, epoch) | kSegmentStart);
        const auto main_end = plus == std::string_view::npos ? text.size() : plus;
        if (auto status = part(main_begin, main_end, true, "version before the local part"); !status) return status;
        version.local_begin_ = version.size_;
        if (plus != std::string_view::npos) {
            if (auto status = part(plus + 1, text.size(), false, "local version after '+'"); !status) return status;
        }
        const auto* atoms = version.atoms();
        version.numeric_ = plus == std::string_view::npos &&
                           std::all_of(atoms, atoms + version.size_, [](std::uint64_t atom) {
                               return starts_segment(atom) && kind_of(atom) == kNumber;
                           });
        return {};
    }
};

Result<Version> Version::parse(std::string_view input) {
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
    while (!input.empty() && is_space(input.front())) input.remove_prefix(1);
    while (!input.empty() && is_space(input.back())) input.remove_suffix(1);
    Version version;
    version.release();
    version.local_begin_ = 0;
    version.text_.assign(input.data(), input.size());
    VersionParser parser{version, version.text_};
    if (auto status = parser.parse(); !status) return tl::unexpected(std::move(status.error()));
    return version;
}

// ---------------------------------------------------------------------------------------------
// Queries

std::uint64_t Version::epoch() const { return payload_of(atoms()[0]); }

std::size_t Version::segment_count() const {
    std::size_t count = 0;
    for (std::size_t i = 1; i < local_begin_; ++i)
        if (starts_segment(atoms()[i])) ++count;
    return count;
}

std::weak_ordering Version::compare(const Version& other) const {
    const auto* a = atoms();
    const auto* b = other.atoms();
    if (numeric_ && other.numeric_) {
        // Plain numeric versions: one number per segment, zero padded.
        const std::size_t n = std::max(size_, other.size_);
        for (std::size_t i = 0; i < n; ++i) {
            const auto x = i < size_ ? payload_of(a[i]) : 0;
            const auto y = i < other.size_ ? payload_of(b[i]) : 0;
            if (x != y) return x < y ? std::weak_ordering::less : std::weak_ordering::greater;
        }
        return std::weak_ordering::equivalent;
    }
    int c = compare_runs(Run{a, 0, local_begin_, text_}, Run{b, 0, other.local_begin_, other.text_});
    if (c == 0 && (has_local() || other.has_local()))
        c = compare_runs(Run{a, local_begin_, size_, text_}, Run{b, other.local_begin_, other.size_, other.text_});
    if (c < 0) return std::weak_ordering::less;
    if (c > 0) return std::weak_ordering::greater;
    return std::weak_ordering::equivalent;
}

bool Version::starts_with(const Version& prefix) const {
    const auto* a = atoms();
    const auto* b = prefix.atoms();
    if (prefix.has_local()) {
        if (compare_runs(Run{a, 0, local_begin_, text_}, Run{b, 0, prefix.local_begin_, prefix.text_}) != 0)
            return false;
        return run_starts_with(Run{a, local_begin_, size_, text_}, Run{b, prefix.local_begin_, prefix.size_, prefix.text_});
    }
    return run_starts_with(Run{a, 0, local_begin_, text_}, Run{b, 0, prefix.local_begin_, prefix.text_});
}

bool Version::compatible_with(const Version& base) const {
    if (compare(base) < 0) return false;
    const auto* b = base.atoms();
    std::size_t last = 0;  // start of base's last main segment
    for (std::size_t i = 0; i < base.local_begin_; ++i)
        if (starts_segment(b[i])) last = i;
    if (last == 0) return true;  // only an epoch: nothing more to match
    return run_starts_with(Run{atoms(), 0, local_begin_, text_}, Run{b, 0, last, base.text_});
}

std::size_t Version::hash() const {
    // FNV-1a over the normalised form: trailing zero components of each segment and trailing
    // all-zero segments do not count, strings are folded.
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::uint64_t value) {
        for (int i = 0; i < 8; ++i) {
            h ^= (value >> (i * 8)) & 0xFF;
            h *= 1099511628211ULL;
        }
    };
    const auto* a = atoms();
    auto hash_run = [&](std::size_t begin, std::size_t end) {
        std::size_t pending_empty = 0;
        std::size_t i = begin;
        while (i < end) {
            const auto e = segment_end(a, i, end);
            std::size_t last = e;
            while (last > i && key_of(a[last - 1]) == kZero) --last;
            if (last == i) {
                ++pending_empty;
            } else {
                for (; pending_empty > 0; --pending_empty) mix(0xE);
                for (std::size_t k = i; k < last; ++k) {
                    const auto key = key_of(a[k]);
                    if (kind_of(key) == kText) {
                        mix(make_atom(kText, 0));
                        for (const char ch : text_of(key, text_)) {
                            h ^= fold(ch);
                            h *= 1099511628211ULL;
                        }
                    } else {
                        mix(key);
                    }
                }
                mix(0xE);
            }
            i = e;
        }
    };
    hash_run(0, local_begin_);
    mix(0xF);
    hash_run(local_begin_, size_);
    return static_cast<std::size_t>(h);
}

}  // namespace envctl::conda
