#include "regex.hpp"

#include <memory>

#include <fmt/format.h>

#include "envctl/util/ascii.hpp"

namespace envctl::conda {

namespace {

constexpr std::size_t kMaxInstructions = 20000;
constexpr int kMaxRepeat = 1000;
constexpr std::size_t kMaxDepth = 100;

using CharSet = std::bitset<256>;

// Parse tree of a pattern.
struct Node {
    enum class Kind { Empty, Set, Begin, End, Concat, Alternate, Repeat } kind = Kind::Empty;
    CharSet set;
    std::vector<std::unique_ptr<Node>> children;
    int min = 0;
    int max = -1;  // -1: unbounded
};

unsigned char byte(char c) { return static_cast<unsigned char>(c); }

void add_char(CharSet& set, char c, bool ignore_case) {
    set.set(byte(c));
    if (!ignore_case) return;
    if (c >= 'a' && c <= 'z') set.set(byte(static_cast<char>(c - 'a' + 'A')));
    if (c >= 'A' && c <= 'Z') set.set(byte(static_cast<char>(c - 'A' + 'a')));
}

CharSet shorthand(char c) {
    CharSet set;
    switch (c) {
        case 'd':
        case 'D':
            for (char d = '0'; d <= '9'; ++d) set.set(byte(d));
            break;
        case 'w':
        case 'W':
            for (int i = 0; i < 256; ++i) {
                const char ch = static_cast<char>(i);
                if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || is_ascii_digit(ch) || ch == '_') set.set(static_cast<std::size_t>(i));
            }
            break;
        case 's':
        case 'S':
            for (const char ch : {' ', '\t', '\n', '\r', '\f', '\v'}) set.set(byte(ch));
            break;
        default: break;
    }
    if (c == 'D' || c == 'W' || c == 'S') set.flip();
    return set;
}

bool is_shorthand(char c) { return c == 'd' || c == 'D' || c == 'w' || c == 'W' || c == 's' || c == 'S'; }

}  // namespace

class RegexCompiler {
public:
    RegexCompiler(std::string_view pattern, bool ignore_case) : pattern_(pattern), ignore_case_(ignore_case) {}

    Result<Regex> compile() {
        auto tree = alternation();
        if (!tree) return tl::unexpected(std::move(tree.error()));
        if (pos_ < pattern_.size()) return error(fmt::format("unexpected '{}' at position {}", pattern_[pos_], pos_ + 1));
        if (auto status = emit(**tree); !status) return tl::unexpected(std::move(status.error()));
        regex_.program_.push_back({Regex::Op::Match});
        return std::move(regex_);
    }

private:
    using NodePtr = std::unique_ptr<Node>;

    tl::unexpected<Error> error(std::string_view problem) const {
        return fail(ErrorKind::Input, fmt::format("invalid regular expression '{}': {}", pattern_, problem));
    }

    bool at_end() const { return pos_ >= pattern_.size(); }
    char peek() const { return pattern_[pos_]; }

    Result<NodePtr> alternation() {
        if (++depth_ > kMaxDepth) return error("nested too deeply");
        auto first = concatenation();
        if (!first) return first;
        if (at_end() || peek() != '|') {
            --depth_;
            return first;
        }
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::Alternate;
        node->children.push_back(std::move(*first));
        while (!at_end() && peek() == '|') {
            ++pos_;
            auto next = concatenation();
            if (!next) return next;
            node->children.push_back(std::move(*next));
        }
        --depth_;
        return node;
    }

    Result<NodePtr> concatenation() {
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::Concat;
        while (!at_end() && peek() != '|' && peek() != ')') {
            auto item = repetition();
            if (!item) return item;
            node->children.push_back(std::move(*item));
        }
        return node;
    }

    Result<int> number() {
        if (at_end() || !is_ascii_digit(peek())) return error("expected a number in '{...}'");
        int value = 0;
        while (!at_end() && is_ascii_digit(peek())) {
            value = value * 10 + (peek() - '0');
            if (value > kMaxRepeat) return error(fmt::format("repetition count above {}", kMaxRepeat));
            ++pos_;
        }
        return value;
    }

    Result<NodePtr> repetition() {
        auto atom_node = atom();
        if (!atom_node) return atom_node;
        NodePtr node = std::move(*atom_node);
        int quantifiers = 0;
        while (!at_end()) {
            int min = 0, max = -1;
            const char c = peek();
            if (c == '*') {
                ++pos_;
            } else if (c == '+') {
                min = 1;
                ++pos_;
            } else if (c == '?') {
                max = 1;
                ++pos_;
            } else if (c == '{') {
                ++pos_;
                auto low = number();
                if (!low) return tl::unexpected(std::move(low.error()));
                min = max = *low;
                if (!at_end() && peek() == ',') {
                    ++pos_;
                    max = -1;
                    if (!at_end() && peek() != '}') {
                        auto high = number();
                        if (!high) return tl::unexpected(std::move(high.error()));
                        max = *high;
                        if (max < min) return error("'{n,m}' with m < n");
                    }
                }
                if (at_end() || peek() != '}') return error("expected '}'");
                ++pos_;
            } else {
                break;
            }
            if (!at_end() && peek() == '?') ++pos_;  // laziness does not change whether it matches
            if (++quantifiers > 1) return error("nothing to repeat (two quantifiers in a row)");
            if (node->kind == Node::Kind::Begin || node->kind == Node::Kind::End) return error("nothing to repeat");
            auto repeat = std::make_unique<Node>();
            repeat->kind = Node::Kind::Repeat;
            repeat->min = min;
            repeat->max = max;
            repeat->children.push_back(std::move(node));
            node = std::move(repeat);
        }
        return node;
    }

    Result<char> escaped_literal() {
        if (at_end()) return error("'\\' at the end");
        const char c = pattern_[pos_++];
        if (is_ascii_digit(c)) return error("backreferences are not supported");
        if (c == 'n') return '\n';
        if (c == 't') return '\t';
        if (c == 'r') return '\r';
        if (c == 'f') return '\f';
        if (c == 'v') return '\v';
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return error(fmt::format("'\\{}' is not supported", c));
        return c;
    }

    Result<NodePtr> atom() {
        auto node = std::make_unique<Node>();
        const char c = pattern_[pos_++];
        switch (c) {
            case '(': {
                if (!at_end() && peek() == '?') {
                    if (pos_ + 1 < pattern_.size() && pattern_[pos_ + 1] == ':') {
                        pos_ += 2;
                    } else {
                        return error("lookaround and named groups are not supported");
                    }
                }
                auto inner = alternation();
                if (!inner) return inner;
                if (at_end() || peek() != ')') return error("missing ')'");
                ++pos_;
                return inner;
            }
            case ')': return error("unmatched ')'");
            case '*':
            case '+':
            case '?':
            case '{': return error(fmt::format("nothing to repeat before '{}'", c));
            case '^': node->kind = Node::Kind::Begin; return node;
            case '$': node->kind = Node::Kind::End; return node;
            case '.':
                node->kind = Node::Kind::Set;
                node->set.set();
                node->set.reset(byte('\n'));
                return node;
            case '[': return character_class();
            case '\\': {
                node->kind = Node::Kind::Set;
                if (!at_end() && is_shorthand(peek())) {
                    node->set = shorthand(pattern_[pos_++]);
                    return node;
                }
                auto literal = escaped_literal();
                if (!literal) return tl::unexpected(std::move(literal.error()));
                add_char(node->set, *literal, ignore_case_);
                return node;
            }
            default:
                node->kind = Node::Kind::Set;
                add_char(node->set, c, ignore_case_);
                return node;
        }
    }

    Result<NodePtr> character_class() {
        auto node = std::make_unique<Node>();
        node->kind = Node::Kind::Set;
        bool negate = false;
        if (!at_end() && peek() == '^') {
            negate = true;
            ++pos_;
        }
        bool first = true;
        while (true) {
            if (at_end()) return error("missing ']'");
            char c = pattern_[pos_++];
            if (c == ']' && !first) break;
            first = false;
            if (c == '\\') {
                if (!at_end() && is_shorthand(peek())) {
                    node->set |= shorthand(pattern_[pos_++]);
                    continue;
                }
                auto literal = escaped_literal();
                if (!literal) return tl::unexpected(std::move(literal.error()));
                c = *literal;
            }
            char high = c;
            if (pos_ + 1 < pattern_.size() && peek() == '-' && pattern_[pos_ + 1] != ']') {
                ++pos_;
                high = pattern_[pos_++];
                if (high == '\\') {
                    auto literal = escaped_literal();
                    if (!literal) return tl::unexpected(std::move(literal.error()));
                    high = *literal;
                }
                if (byte(high) < byte(c)) return error(fmt::format("invalid range '{}-{}'", c, high));
            }
            for (int i = byte(c); i <= byte(high); ++i) add_char(node->set, static_cast<char>(i), ignore_case_);
        }
        if (negate) node->set.flip();
        return node;
    }

    // Thompson construction.
    Status emit(const Node& node) {
        if (regex_.program_.size() > kMaxInstructions) return error("too complex");
        using Op = Regex::Op;
        auto& program = regex_.program_;
        switch (node.kind) {
            case Node::Kind::Empty: return {};
            case Node::Kind::Set:
                regex_.sets_.push_back(node.set);
                program.push_back({Op::Set, static_cast<std::uint32_t>(regex_.sets_.size() - 1)});
                return {};
            case Node::Kind::Begin: program.push_back({Op::Begin}); return {};
            case Node::Kind::End: program.push_back({Op::End}); return {};
            case Node::Kind::Concat:
                for (const auto& child : node.children)
                    if (auto status = emit(*child); !status) return status;
                return {};
            case Node::Kind::Alternate: {
                // split(first, split(second, ...)), each branch jumping to the end.
                std::vector<std::size_t> jumps;
                for (std::size_t i = 0; i < node.children.size(); ++i) {
                    const bool last = i + 1 == node.children.size();
                    const auto split = program.size();
                    if (!last) program.push_back({Op::Split, static_cast<std::uint32_t>(split + 1)});
                    if (auto status = emit(*node.children[i]); !status) return status;
                    if (!last) {
                        jumps.push_back(program.size());
                        program.push_back({Op::Jump});
                        program[split].y = static_cast<std::uint32_t>(program.size());
                    }
                }
                for (const auto jump : jumps) program[jump].x = static_cast<std::uint32_t>(program.size());
                return {};
            }
            case Node::Kind::Repeat: {
                const auto& child = *node.children.front();
                for (int i = 0; i < node.min; ++i)
                    if (auto status = emit(child); !status) return status;
                if (node.max < 0) {
                    const auto loop = program.size();
                    program.push_back({Op::Split, static_cast<std::uint32_t>(loop + 1)});
                    if (auto status = emit(child); !status) return status;
                    program.push_back({Op::Jump, static_cast<std::uint32_t>(loop)});
                    program[loop].y = static_cast<std::uint32_t>(program.size());
                    return {};
                }
                std::vector<std::size_t> splits;
                for (int i = node.min; i < node.max; ++i) {
                    splits.push_back(program.size());
                    program.push_back({Op::Split, static_cast<std::uint32_t>(program.size() + 1)});
                    if (auto status = emit(child); !status) return status;
                    if (program.size() > kMaxInstructions) return error("too complex");
                }
                for (const auto split : splits) program[split].y = static_cast<std::uint32_t>(program.size());
                return {};
            }
        }
        return {};
    }

    std::string_view pattern_;
    bool ignore_case_;
    std::size_t pos_ = 0;
    std::size_t depth_ = 0;
    Regex regex_;
};

Result<Regex> Regex::compile(std::string_view pattern, bool ignore_case) { return RegexCompiler(pattern, ignore_case).compile(); }

bool Regex::search(std::string_view text) const {
    // Pike VM: the set of live instructions advances one character at a time.
    const auto size = program_.size();
    std::vector<std::uint32_t> current, next, stack;
    std::vector<std::size_t> seen(size, static_cast<std::size_t>(-1));
    current.reserve(size);
    next.reserve(size);
    // Follows jumps, splits and assertions from `pc` at text position `at`; true on Match.
    auto add = [&](std::vector<std::uint32_t>& list, std::uint32_t pc, std::size_t at) {
        stack.push_back(pc);
        while (!stack.empty()) {
            const auto top = stack.back();
            stack.pop_back();
            if (seen[top] == at) continue;
            seen[top] = at;
            const auto& instruction = program_[top];
            switch (instruction.op) {
                case Op::Match: return true;
                case Op::Jump: stack.push_back(instruction.x); break;
                case Op::Split:
                    stack.push_back(instruction.y);
                    stack.push_back(instruction.x);
                    break;
                case Op::Begin:
                    if (at == 0) stack.push_back(top + 1);
                    break;
                case Op::End:
                    if (at == text.size()) stack.push_back(top + 1);
                    break;
                case Op::Set: list.push_back(top); break;
            }
        }
        return false;
    };
    for (std::size_t at = 0;; ++at) {
        if (add(current, 0, at)) return true;  // a match may start anywhere
        if (at == text.size()) return false;
        next.clear();
        const auto c = static_cast<unsigned char>(text[at]);
        for (const auto pc : current) {
            if (sets_[program_[pc].x].test(c) && add(next, pc + 1, at + 1)) return true;
        }
        current.swap(next);
    }
}

}  // namespace envctl::conda
