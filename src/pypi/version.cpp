#include "envctl/pypi/version.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "envctl/util/ascii.hpp"

namespace envctl::pypi {

namespace {

bool is_version_separator(char c) { return c == '-' || c == '_' || c == '.'; }

bool is_numeric(std::string_view segment) {
    return !segment.empty() && std::all_of(segment.begin(), segment.end(), is_ascii_digit);
}

// Local labels compare segment by segment: numeric segments as numbers and above alphanumeric
// ones, alphanumeric segments as (lowercase) strings; a label that is a prefix of another is lower.
int compare_local(std::string_view a, std::string_view b) {
    auto next_segment = [](std::string_view& label) {
        const auto end = std::min(label.find('.'), label.size());
        const auto segment = label.substr(0, end);
        label.remove_prefix(std::min(end + 1, label.size()));
        return segment;
    };
    while (!a.empty() && !b.empty()) {
        const auto x = next_segment(a);
        const auto y = next_segment(b);
        const bool x_numeric = is_numeric(x);
        const bool y_numeric = is_numeric(y);
        if (x_numeric != y_numeric) return x_numeric ? 1 : -1;
        // Normalized numbers have no leading zeros, so a longer one is larger.
        if (x_numeric && x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
        if (const int r = x.compare(y); r != 0) return r < 0 ? -1 : 1;
    }
    return a.empty() == b.empty() ? 0 : (a.empty() ? -1 : 1);
}

template <class T>
int three_way(T a, T b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

// A hand-written matcher for the specification's regular expression: each optional part is tried
// in order and the longest keyword spelling is taken (no two spellings can both succeed).
class VersionParser {
public:
    explicit VersionParser(std::string_view text) : text_(text) {}

    Result<Version> parse() {
        skip_spaces();
        if (pos_ == text_.size()) return error("the version is empty");
        if (ascii_lower(peek()) == 'v') ++pos_;
        if (!is_ascii_digit(peek())) return error(fmt::format("expected a release number at position {}", pos_ + 1));

        Version version;
        version.release_size_ = 0;
        auto first = number();
        if (!first) return fail(std::move(first.error()));
        if (peek() == '!') {
            ++pos_;
            version.epoch_ = *first;
            if (!is_ascii_digit(peek()))
                return error(fmt::format("expected a release number after the epoch at position {}", pos_ + 1));
            auto major = number();
            if (!major) return fail(std::move(major.error()));
            version.append_release(*major);
        } else {
            version.append_release(*first);
        }
        while (peek() == '.' && is_ascii_digit(peek(1))) {
            ++pos_;
            auto segment = number();
            if (!segment) return fail(std::move(segment.error()));
            version.append_release(*segment);
        }

        if (auto status = pre_release(version); !status) return fail(std::move(status.error()));
        if (auto status = post_release(version); !status) return fail(std::move(status.error()));
        if (auto status = dev_release(version); !status) return fail(std::move(status.error()));
        if (peek() == '+') {
            ++pos_;
            if (auto status = local_label(version); !status) return fail(std::move(status.error()));
        }
        skip_spaces();
        if (pos_ != text_.size()) {
            return error(fmt::format("unexpected '{}' at position {}", text_.substr(pos_, 12), pos_ + 1));
        }
        return version;
    }

private:
    char peek(std::size_t ahead = 0) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    void skip_spaces() {
        while (pos_ < text_.size() && is_ascii_space(text_[pos_])) ++pos_;
    }

    tl::unexpected<Error> error(std::string reason) const {
        return fail(ErrorKind::Input, fmt::format("invalid version '{}': {}", text_, reason));
    }

    Result<std::uint64_t> number() {
        std::uint64_t value = 0;
        const auto start = pos_;
        while (is_ascii_digit(peek())) {
            const std::uint64_t digit = static_cast<std::uint64_t>(peek() - '0');
            if (value > (UINT64_MAX - digit) / 10)
                return error(fmt::format("the number at position {} is too large", start + 1));
            value = value * 10 + digit;
            ++pos_;
        }
        return value;
    }

    // The length of the longest of `keywords` at `at` (case-insensitive), 0 when none matches.
    std::size_t keyword_at(std::size_t at, std::initializer_list<std::string_view> keywords) const {
        std::size_t best = 0;
        for (auto keyword : keywords) {
            if (keyword.size() <= best || at + keyword.size() > text_.size()) continue;
            bool match = true;
            for (std::size_t i = 0; i < keyword.size() && match; ++i) match = ascii_lower(text_[at + i]) == keyword[i];
            if (match) best = keyword.size();
        }
        return best;
    }

    // After a keyword: "[-_.]?N?" with N = 0 when absent. As in the specification's regular
    // expression the separator is taken even without digits ("1.0a." is 1.0a0); leaving it would
    // never let a later part match where taking it does not.
    Result<std::uint64_t> optional_number() {
        if (is_version_separator(peek())) ++pos_;
        if (!is_ascii_digit(peek())) return std::uint64_t{0};
        return number();
    }

    Status pre_release(Version& version) {
        const std::size_t at = pos_ + (is_version_separator(peek()) ? 1 : 0);
        const std::size_t length = keyword_at(at, {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"});
        if (length == 0) return {};
        // alpha/a, beta/b and c/rc/pre/preview differ in their first letter.
        const char first = ascii_lower(text_[at]);
        pos_ = at + length;
        version.pre_kind_ = static_cast<std::uint8_t>(first == 'a'   ? PreReleaseKind::Alpha
                                                      : first == 'b' ? PreReleaseKind::Beta
                                                                     : PreReleaseKind::ReleaseCandidate);
        auto value = optional_number();
        if (!value) return fail(std::move(value.error()));
        version.pre_number_ = *value;
        return {};
    }

    Status post_release(Version& version) {
        if (peek() == '-' && is_ascii_digit(peek(1))) {
            ++pos_;
            auto value = number();
            if (!value) return fail(std::move(value.error()));
            version.has_post_ = true;
            version.post_ = *value;
            return {};
        }
        const std::size_t at = pos_ + (is_version_separator(peek()) ? 1 : 0);
        const std::size_t length = keyword_at(at, {"post", "rev", "r"});
        if (length == 0) return {};
        pos_ = at + length;
        auto value = optional_number();
        if (!value) return fail(std::move(value.error()));
        version.has_post_ = true;
        version.post_ = *value;
        return {};
    }

    Status dev_release(Version& version) {
        const std::size_t at = pos_ + (is_version_separator(peek()) ? 1 : 0);
        if (keyword_at(at, {"dev"}) == 0) return {};
        pos_ = at + 3;
        auto value = optional_number();
        if (!value) return fail(std::move(value.error()));
        version.has_dev_ = true;
        version.dev_ = *value;
        return {};
    }

    // "[a-z0-9]+([-_.][a-z0-9]+)*", normalized to lowercase with "." separators and numeric
    // segments without leading zeros.
    Status local_label(Version& version) {
        std::string local;
        while (true) {
            const auto start = pos_;
            while (is_ascii_digit(peek()) || is_ascii_alpha(peek())) ++pos_;
            if (pos_ == start)
                return error(fmt::format("expected a local version segment (letters and digits) at position {}",
                                         pos_ + 1));
            auto segment = text_.substr(start, pos_ - start);
            if (is_numeric(segment)) {
                while (segment.size() > 1 && segment.front() == '0') segment.remove_prefix(1);
                local.append(segment);
            } else {
                for (char c : segment) local.push_back(ascii_lower(c));
            }
            if (!(is_version_separator(peek()) && (is_ascii_digit(peek(1)) || is_ascii_alpha(peek(1))))) break;
            ++pos_;
            local.push_back('.');
        }
        version.local_ = std::move(local);
        return {};
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

Result<Version> Version::parse(std::string_view text) { return VersionParser(text).parse(); }

Version Version::from_release(std::span<const std::uint64_t> release, std::uint64_t epoch) {
    Version version;
    version.epoch_ = epoch;
    version.set_release(release);
    return version;
}

void Version::set_release(std::span<const std::uint64_t> segments) {
    release_size_ = 0;
    release_heap_.clear();
    for (auto segment : segments) append_release(segment);
}

void Version::append_release(std::uint64_t segment) {
    if (release_size_ < inline_release) {
        release_inline_[release_size_++] = segment;
        return;
    }
    if (release_size_ == inline_release) release_heap_.assign(release_inline_.begin(), release_inline_.end());
    release_heap_.push_back(segment);
    ++release_size_;
}

std::span<const std::uint64_t> Version::release() const {
    if (release_size_ <= inline_release) return {release_inline_.data(), release_size_};
    return {release_heap_.data(), release_heap_.size()};
}

std::optional<PreRelease> Version::pre() const {
    if (pre_kind_ == 0) return std::nullopt;
    return PreRelease{static_cast<PreReleaseKind>(pre_kind_), pre_number_};
}

std::optional<std::uint64_t> Version::post() const {
    return has_post_ ? std::optional<std::uint64_t>(post_) : std::nullopt;
}

std::optional<std::uint64_t> Version::dev() const {
    return has_dev_ ? std::optional<std::uint64_t>(dev_) : std::nullopt;
}

Version Version::base_version() const { return from_release(release(), epoch_); }

Version Version::public_version() const {
    Version copy = *this;
    copy.local_.clear();
    return copy;
}

std::string Version::to_string() const {
    std::string out;
    if (epoch_ != 0) out = fmt::format("{}!", epoch_);
    const auto segments = release();
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (i != 0) out.push_back('.');
        out += std::to_string(segments[i]);
    }
    if (pre_kind_ != 0) {
        static constexpr std::string_view labels[] = {"", "a", "b", "rc"};
        out += labels[pre_kind_];
        out += std::to_string(pre_number_);
    }
    if (has_post_) out += fmt::format(".post{}", post_);
    if (has_dev_) out += fmt::format(".dev{}", dev_);
    if (!local_.empty()) {
        out.push_back('+');
        out += local_;
    }
    return out;
}

std::size_t Version::hash() const {
    auto mix = [](std::size_t seed, std::uint64_t value) {
        return seed ^ (std::hash<std::uint64_t>{}(value) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
    };
    auto segments = release();
    while (!segments.empty() && segments.back() == 0) segments = segments.first(segments.size() - 1);
    std::size_t seed = mix(0, epoch_);
    for (auto segment : segments) seed = mix(seed, segment);
    seed = mix(seed, pre_kind_);
    seed = mix(seed, pre_number_);
    seed = mix(seed, has_post_ ? post_ + 1 : 0);
    seed = mix(seed, has_dev_ ? dev_ + 1 : 0);
    return mix(seed, std::hash<std::string>{}(local_));
}

int Version::compare_base(const Version& a, const Version& b) {
    if (a.epoch_ != b.epoch_) return three_way(a.epoch_, b.epoch_);
    const auto ra = a.release();
    const auto rb = b.release();
    for (std::size_t i = 0; i < std::max(ra.size(), rb.size()); ++i) {
        const std::uint64_t x = i < ra.size() ? ra[i] : 0;
        const std::uint64_t y = i < rb.size() ? rb[i] : 0;
        if (x != y) return three_way(x, y);
    }
    return 0;
}

int Version::compare(const Version& a, const Version& b) {
    if (const int r = compare_public(a, b); r != 0) return r;
    return compare_local(a.local_, b.local_);
}

int Version::compare_public(const Version& a, const Version& b) {
    if (const int r = compare_base(a, b); r != 0) return r;
    // Pre-release rank: a dev release of a final release sorts before its alphas (-1), a release
    // without pre-release after its release candidates (4).
    auto pre_rank = [](const Version& v) -> int {
        if (v.pre_kind_ != 0) return v.pre_kind_;
        return (!v.has_post_ && v.has_dev_) ? -1 : 4;
    };
    if (int r = three_way(pre_rank(a), pre_rank(b)); r != 0) return r;
    if (a.pre_kind_ != 0 && a.pre_number_ != b.pre_number_) return three_way(a.pre_number_, b.pre_number_);
    if (a.has_post_ != b.has_post_) return a.has_post_ ? 1 : -1;
    if (a.has_post_ && a.post_ != b.post_) return three_way(a.post_, b.post_);
    if (a.has_dev_ != b.has_dev_) return a.has_dev_ ? -1 : 1;
    if (a.has_dev_ && a.dev_ != b.dev_) return three_way(a.dev_, b.dev_);
    return 0;
}

}  // namespace envctl::pypi
