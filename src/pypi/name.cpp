#include "envctl/pypi/name.hpp"

#include "envctl/util/ascii.hpp"

namespace envctl::pypi {

namespace {
bool is_name_separator(char c) { return c == '-' || c == '_' || c == '.'; }

// Walks a name yielding normalized characters one at a time.
class NormalizedCursor {
public:
    explicit NormalizedCursor(std::string_view name) : name_(name) {}
    static constexpr int end = -1;
    // The next normalized character, or `end`.
    int next() {
        if (pos_ >= name_.size()) return end;
        if (is_name_separator(name_[pos_])) {
            while (pos_ < name_.size() && is_name_separator(name_[pos_])) ++pos_;
            return '-';
        }
        return static_cast<unsigned char>(ascii_lower(name_[pos_++]));
    }

private:
    std::string_view name_;
    std::size_t pos_ = 0;
};
}  // namespace

std::string normalize_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    NormalizedCursor cursor(name);
    for (int c = cursor.next(); c != NormalizedCursor::end; c = cursor.next()) out.push_back(static_cast<char>(c));
    return out;
}

std::string escape_name(std::string_view name) {
    auto out = normalize_name(name);
    for (auto& c : out) {
        if (c == '-') c = '_';
    }
    return out;
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || !is_ascii_alnum(name.front()) || !is_ascii_alnum(name.back())) return false;
    for (char c : name) {
        if (!is_ascii_alnum(c) && !is_name_separator(c)) return false;
    }
    return true;
}

bool names_equal(std::string_view a, std::string_view b) {
    NormalizedCursor left(a), right(b);
    while (true) {
        const int l = left.next();
        if (l != right.next()) return false;
        if (l == NormalizedCursor::end) return true;
    }
}

}  // namespace envctl::pypi
