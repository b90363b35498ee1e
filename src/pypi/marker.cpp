#include "envctl/pypi/marker.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "envctl/pypi/name.hpp"
#include "envctl/util/ascii.hpp"
#include "syntax.hpp"

namespace envctl::pypi {

namespace {

bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
}

struct VariableSpelling {
    std::string_view text;
    MarkerVariable variable;
};
// Canonical names first (variable_name() takes the first match); legacy aliases after them.
constexpr VariableSpelling variable_spellings[] = {
    {"os_name", MarkerVariable::OsName},
    {"sys_platform", MarkerVariable::SysPlatform},
    {"platform_machine", MarkerVariable::PlatformMachine},
    {"platform_python_implementation", MarkerVariable::PlatformPythonImplementation},
    {"platform_release", MarkerVariable::PlatformRelease},
    {"platform_system", MarkerVariable::PlatformSystem},
    {"platform_version", MarkerVariable::PlatformVersion},
    {"python_version", MarkerVariable::PythonVersion},
    {"python_full_version", MarkerVariable::PythonFullVersion},
    {"implementation_name", MarkerVariable::ImplementationName},
    {"implementation_version", MarkerVariable::ImplementationVersion},
    {"extra", MarkerVariable::Extra},
    {"extras", MarkerVariable::Extras},
    {"dependency_groups", MarkerVariable::DependencyGroups},
    {"os.name", MarkerVariable::OsName},
    {"sys.platform", MarkerVariable::SysPlatform},
    {"platform.version", MarkerVariable::PlatformVersion},
    {"platform.machine", MarkerVariable::PlatformMachine},
    {"platform.python_implementation", MarkerVariable::PlatformPythonImplementation},
    {"python_implementation", MarkerVariable::PlatformPythonImplementation},
};

struct MarkerOperatorSpelling {
    std::string_view text;
    MarkerOperator op;
};
constexpr MarkerOperatorSpelling marker_operator_spellings[] = {
    {"===", MarkerOperator::ArbitraryEqual}, {"==", MarkerOperator::Equal},      {"~=", MarkerOperator::Compatible},
    {"!=", MarkerOperator::NotEqual},        {"<=", MarkerOperator::LessEqual},  {">=", MarkerOperator::GreaterEqual},
    {"<", MarkerOperator::Less},             {">", MarkerOperator::Greater},
};

std::string_view marker_operator_text(MarkerOperator op) {
    if (op == MarkerOperator::In) return "in";
    if (op == MarkerOperator::NotIn) return "not in";
    for (const auto& spelling : marker_operator_spellings) {
        if (spelling.op == op) return spelling.text;
    }
    return "";
}

bool is_set_variable(const Marker::Operand& operand) {
    return operand.is_variable &&
           (operand.variable == MarkerVariable::Extras || operand.variable == MarkerVariable::DependencyGroups);
}

// A cheap test before trying a literal as a version: PEP 440 versions start with a digit,
// after optional blanks and "v". Saves building error messages for "win32" and the like.
bool looks_like_version(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && is_ascii_space(text[i])) ++i;
    if (i < text.size() && (text[i] == 'v' || text[i] == 'V')) ++i;
    return i < text.size() && text[i] >= '0' && text[i] <= '9';
}

}  // namespace

std::string_view variable_name(MarkerVariable variable) {
    for (const auto& spelling : variable_spellings) {
        if (spelling.variable == variable) return spelling.text;
    }
    return "";
}

// Recursive descent over the grammar: or_expr := and_expr ("or" and_expr)*,
// and_expr := atom ("and" atom)*, atom := "(" or_expr ")" | operand op operand.
class MarkerParser {
public:
    MarkerParser(std::string_view text, std::size_t begin, std::size_t end) : text_(text), pos_(begin), end_(end) {}

    detail::Parsed<Marker> parse() {
        skip_spaces();
        if (pos_ == end_) return detail::syntax_error("expected a marker expression", pos_);
        auto root = parse_or(0);
        if (!root) return tl::unexpected(std::move(root.error()));
        skip_spaces();
        if (pos_ != end_) return detail::syntax_error("expected 'and', 'or' or the end of the marker", pos_);
        marker_.root_ = *root;
        return std::move(marker_);
    }

private:
    // Parentheses nest at most this deep, which keeps the recursion bounded on hostile input.
    static constexpr int max_depth = 100;

    char peek() const { return pos_ < end_ ? text_[pos_] : '\0'; }
    void skip_spaces() {
        while (pos_ < end_ && is_ascii_space(text_[pos_])) ++pos_;
    }
    bool keyword(std::string_view word) {
        skip_spaces();
        if (text_.substr(pos_, std::min(word.size(), end_ - pos_)) != word) return false;
        const auto after = pos_ + word.size();
        if (after < end_ && is_word_char(text_[after])) return false;
        pos_ = after;
        return true;
    }

    std::uint32_t add(Marker::Node node) {
        marker_.nodes_.push_back(std::move(node));
        return static_cast<std::uint32_t>(marker_.nodes_.size() - 1);
    }

    detail::Parsed<std::uint32_t> parse_or(int depth) {
        auto left = parse_and(depth);
        if (!left) return left;
        while (keyword("or")) {
            auto right = parse_and(depth);
            if (!right) return right;
            Marker::Node node;
            node.kind = Marker::Node::Kind::Or;
            node.left = *left;
            node.right = *right;
            left = add(std::move(node));
        }
        return left;
    }

    detail::Parsed<std::uint32_t> parse_and(int depth) {
        auto left = parse_atom(depth);
        if (!left) return left;
        while (keyword("and")) {
            auto right = parse_atom(depth);
            if (!right) return right;
            Marker::Node node;
            node.kind = Marker::Node::Kind::And;
            node.left = *left;
            node.right = *right;
            left = add(std::move(node));
        }
        return left;
    }

    detail::Parsed<std::uint32_t> parse_atom(int depth) {
        skip_spaces();
        if (peek() == '(') {
            if (depth >= max_depth) return detail::syntax_error("parentheses nest too deeply", pos_);
            const auto open = pos_++;
            auto inner = parse_or(depth + 1);
            if (!inner) return inner;
            skip_spaces();
            if (peek() != ')')
                return detail::syntax_error(fmt::format("expected ')' to close the '(' at column {}", open + 1), pos_);
            ++pos_;
            marker_.nodes_[*inner].parenthesized = true;
            return inner;
        }
        return parse_comparison();
    }

    detail::Parsed<std::uint32_t> parse_comparison() {
        Marker::Node node;
        const auto lhs_at = pos_;
        auto lhs = parse_operand();
        if (!lhs) return tl::unexpected(std::move(lhs.error()));
        skip_spaces();
        const auto op_at = pos_;
        auto op = parse_operator();
        if (!op) return tl::unexpected(std::move(op.error()));
        skip_spaces();
        const auto rhs_at = pos_;
        auto rhs = parse_operand();
        if (!rhs) return tl::unexpected(std::move(rhs.error()));

        if (is_set_variable(*lhs))
            return detail::syntax_error(
                fmt::format("'{}' is a set: write '\"name\" in {}'", variable_name(lhs->variable),
                            variable_name(lhs->variable)),
                lhs_at);
        if (is_set_variable(*rhs) && *op != MarkerOperator::In && *op != MarkerOperator::NotIn)
            return detail::syntax_error(
                fmt::format("'{}' is a set and only works with 'in' and 'not in'", variable_name(rhs->variable)),
                op_at);
        if (*op == MarkerOperator::Compatible && !rhs->is_variable) {
            auto compatible = Specifier::parse(fmt::format("~={}", rhs->literal));
            if (!compatible) return detail::syntax_error(compatible.error().message, rhs_at);
        }

        node.kind = Marker::Node::Kind::Compare;
        node.lhs = std::move(*lhs);
        node.op = *op;
        node.rhs = std::move(*rhs);
        const bool version_operator = *op != MarkerOperator::In && *op != MarkerOperator::NotIn &&
                                      *op != MarkerOperator::ArbitraryEqual;
        const bool names_extra = (node.lhs.is_variable && node.lhs.variable == MarkerVariable::Extra);
        if (version_operator && !node.rhs.is_variable && !names_extra && looks_like_version(node.rhs.literal)) {
            auto specifier = Specifier::parse(fmt::format("{}{}", marker_operator_text(*op), node.rhs.literal));
            if (specifier) node.literal_specifier = std::move(*specifier);
        }
        return add(std::move(node));
    }

    detail::Parsed<Marker::Operand> parse_operand() {
        Marker::Operand operand;
        const char quote = peek();
        if (quote == '"' || quote == '\'') {
            const auto start = pos_;
            const auto close = text_.substr(0, end_).find(quote, pos_ + 1);
            if (close == std::string_view::npos) return detail::syntax_error("unterminated string", start);
            operand.literal = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
            pos_ = close + 1;
            return operand;
        }
        const auto start = pos_;
        while (pos_ < end_ && is_word_char(text_[pos_])) ++pos_;
        const auto word = text_.substr(start, pos_ - start);
        for (const auto& spelling : variable_spellings) {
            if (spelling.text == word) {
                operand.is_variable = true;
                operand.variable = spelling.variable;
                return operand;
            }
        }
        pos_ = start;
        if (word.empty())
            return detail::syntax_error("expected a marker variable (such as python_version) or a quoted string",
                                        start);
        return detail::syntax_error(fmt::format("unknown marker variable '{}'", word), start);
    }

    detail::Parsed<MarkerOperator> parse_operator() {
        for (const auto& spelling : marker_operator_spellings) {
            if (text_.substr(pos_, std::min(spelling.text.size(), end_ - pos_)) == spelling.text) {
                pos_ += spelling.text.size();
                return spelling.op;
            }
        }
        const auto start = pos_;
        if (keyword("in")) return MarkerOperator::In;
        if (keyword("not")) {
            const auto after_not = pos_;
            if (after_not < end_ && !is_ascii_space(text_[after_not]))
                return detail::syntax_error("expected 'in' after 'not'", after_not);
            if (keyword("in")) return MarkerOperator::NotIn;
            skip_spaces();
            return detail::syntax_error("expected 'in' after 'not'", pos_);
        }
        return detail::syntax_error("expected a comparison operator (==, !=, <, <=, >, >=, ~=, ===, in, not in)",
                                    start);
    }

    std::string_view text_;
    std::size_t pos_;
    std::size_t end_;
    Marker marker_;
};

namespace detail {

Error to_error(std::string_view what, std::string_view text, const SyntaxError& error) {
    const auto column = std::min(error.offset, text.size()) + 1;
    Error out{ErrorKind::Input, fmt::format("invalid {} '{}': {} (column {})", what, text, error.reason, column),
              Location{"", 0, column}, {}};
    return out;
}

Parsed<Marker> parse_marker(std::string_view text, std::size_t begin, std::size_t end) {
    return MarkerParser(text, begin, end).parse();
}

}  // namespace detail

Result<Marker> Marker::parse(std::string_view text) {
    auto marker = detail::parse_marker(text, 0, text.size());
    if (!marker) return fail(detail::to_error("marker", text, marker.error()));
    return std::move(*marker);
}

bool Marker::uses(MarkerVariable variable) const {
    return std::any_of(nodes_.begin(), nodes_.end(), [&](const Node& node) {
        return node.kind == Node::Kind::Compare &&
               ((node.lhs.is_variable && node.lhs.variable == variable) ||
                (node.rhs.is_variable && node.rhs.variable == variable));
    });
}

bool Marker::evaluate(const MarkerEnvironment& environment) const {
    if (nodes_.empty()) return true;
    if (!uses(MarkerVariable::Extra) || environment.extras.empty()) return evaluate_node(root_, environment, "");
    for (const auto& extra : environment.extras) {
        if (evaluate_node(root_, environment, extra)) return true;
    }
    return false;
}

namespace {

std::string_view value_of(const Marker::Operand& operand, const MarkerEnvironment& env, std::string_view extra) {
    if (!operand.is_variable) return operand.literal;
    switch (operand.variable) {
        case MarkerVariable::OsName: return env.os_name;
        case MarkerVariable::SysPlatform: return env.sys_platform;
        case MarkerVariable::PlatformMachine: return env.platform_machine;
        case MarkerVariable::PlatformPythonImplementation: return env.platform_python_implementation;
        case MarkerVariable::PlatformRelease: return env.platform_release;
        case MarkerVariable::PlatformSystem: return env.platform_system;
        case MarkerVariable::PlatformVersion: return env.platform_version;
        case MarkerVariable::PythonVersion: return env.python_version;
        case MarkerVariable::PythonFullVersion: return env.python_full_version;
        case MarkerVariable::ImplementationName: return env.implementation_name;
        case MarkerVariable::ImplementationVersion: return env.implementation_version;
        case MarkerVariable::Extra: return extra;
        case MarkerVariable::Extras:
        case MarkerVariable::DependencyGroups: return "";
    }
    return "";
}

bool compare_strings(MarkerOperator op, std::string_view lhs, std::string_view rhs) {
    switch (op) {
        case MarkerOperator::Equal: return lhs == rhs;
        case MarkerOperator::NotEqual: return lhs != rhs;
        case MarkerOperator::LessEqual: return lhs <= rhs;
        case MarkerOperator::GreaterEqual: return lhs >= rhs;
        case MarkerOperator::Less: return lhs < rhs;
        case MarkerOperator::Greater: return lhs > rhs;
        case MarkerOperator::In: return rhs.find(lhs) != std::string_view::npos;
        case MarkerOperator::NotIn: return rhs.find(lhs) == std::string_view::npos;
        case MarkerOperator::ArbitraryEqual: return ascii_iequals(lhs, rhs);
        case MarkerOperator::Compatible: return false;  // no string meaning
    }
    return false;
}

bool evaluate_comparison(const Marker::Node& node, const MarkerEnvironment& env, std::string_view extra) {
    if (is_set_variable(node.rhs)) {
        const auto& set = node.rhs.variable == MarkerVariable::Extras ? env.extras : env.dependency_groups;
        const auto needle = value_of(node.lhs, env, extra);
        const bool found = std::any_of(set.begin(), set.end(), [&](const std::string& item) {
            return names_equal(item, needle);
        });
        return found == (node.op == MarkerOperator::In);
    }
    auto lhs = value_of(node.lhs, env, extra);
    auto rhs = value_of(node.rhs, env, extra);
    std::string lhs_normalized, rhs_normalized;
    if ((node.lhs.is_variable && node.lhs.variable == MarkerVariable::Extra) ||
        (node.rhs.is_variable && node.rhs.variable == MarkerVariable::Extra)) {
        lhs_normalized = normalize_name(lhs);
        rhs_normalized = normalize_name(rhs);
        lhs = lhs_normalized;
        rhs = rhs_normalized;
    }
    if (node.op == MarkerOperator::In || node.op == MarkerOperator::NotIn || node.op == MarkerOperator::ArbitraryEqual)
        return compare_strings(node.op, lhs, rhs);

    std::optional<Specifier> parsed;
    const Specifier* specifier = node.literal_specifier ? &*node.literal_specifier : nullptr;
    if (specifier == nullptr && node.rhs.is_variable && looks_like_version(rhs)) {
        if (auto s = Specifier::parse(fmt::format("{}{}", marker_operator_text(node.op), rhs))) {
            parsed = std::move(*s);
            specifier = &*parsed;
        }
    }
    if (specifier != nullptr && looks_like_version(lhs)) {
        if (auto version = Version::parse(lhs)) return specifier->contains(*version, true);
    }
    return compare_strings(node.op, lhs, rhs);
}

void print_operand(const Marker::Operand& operand, std::string& out) {
    if (operand.is_variable) {
        out += variable_name(operand.variable);
        return;
    }
    const char quote = operand.literal.find('"') == std::string::npos ? '"' : '\'';
    out.push_back(quote);
    out += operand.literal;
    out.push_back(quote);
}

}  // namespace

bool Marker::evaluate_node(std::uint32_t index, const MarkerEnvironment& environment, std::string_view extra) const {
    const auto& node = nodes_[index];
    switch (node.kind) {
        case Node::Kind::And:
            return evaluate_node(node.left, environment, extra) && evaluate_node(node.right, environment, extra);
        case Node::Kind::Or:
            return evaluate_node(node.left, environment, extra) || evaluate_node(node.right, environment, extra);
        case Node::Kind::Compare: return evaluate_comparison(node, environment, extra);
    }
    return false;
}

void Marker::print_node(std::uint32_t index, std::string& out, bool in_and) const {
    const auto& node = nodes_[index];
    const bool parentheses = node.parenthesized || (in_and && node.kind == Node::Kind::Or);
    if (parentheses) out.push_back('(');
    switch (node.kind) {
        case Node::Kind::And:
            print_node(node.left, out, true);
            out += " and ";
            print_node(node.right, out, true);
            break;
        case Node::Kind::Or:
            print_node(node.left, out, false);
            out += " or ";
            print_node(node.right, out, false);
            break;
        case Node::Kind::Compare:
            print_operand(node.lhs, out);
            out.push_back(' ');
            out += marker_operator_text(node.op);
            out.push_back(' ');
            print_operand(node.rhs, out);
            break;
    }
    if (parentheses) out.push_back(')');
}

std::string Marker::to_string() const {
    std::string out;
    if (!nodes_.empty()) print_node(root_, out, false);
    return out;
}

namespace {

struct TargetPlatform {
    std::string_view subdir, sys_platform, platform_system, platform_machine, os_name;
};
constexpr TargetPlatform target_platforms[] = {
    {"linux-64", "linux", "Linux", "x86_64", "posix"},
    {"linux-32", "linux", "Linux", "i686", "posix"},
    {"linux-aarch64", "linux", "Linux", "aarch64", "posix"},
    {"linux-ppc64le", "linux", "Linux", "ppc64le", "posix"},
    {"linux-ppc64", "linux", "Linux", "ppc64", "posix"},
    {"linux-s390x", "linux", "Linux", "s390x", "posix"},
    {"linux-armv6l", "linux", "Linux", "armv6l", "posix"},
    {"linux-armv7l", "linux", "Linux", "armv7l", "posix"},
    {"linux-riscv64", "linux", "Linux", "riscv64", "posix"},
    {"osx-64", "darwin", "Darwin", "x86_64", "posix"},
    {"osx-arm64", "darwin", "Darwin", "arm64", "posix"},
    {"win-64", "win32", "Windows", "AMD64", "nt"},
    {"win-32", "win32", "Windows", "x86", "nt"},
    {"win-arm64", "win32", "Windows", "ARM64", "nt"},
    {"emscripten-wasm32", "emscripten", "Emscripten", "wasm32", "posix"},
};

}  // namespace

Result<MarkerEnvironment> MarkerEnvironment::for_target(std::string_view conda_subdir,
                                                        std::string_view python_version) {
    const auto* platform = std::find_if(std::begin(target_platforms), std::end(target_platforms),
                                        [&](const TargetPlatform& p) { return p.subdir == conda_subdir; });
    if (platform == std::end(target_platforms)) {
        return fail(ErrorKind::Input, fmt::format("no Python platform is known for the conda subdir '{}'", conda_subdir));
    }
    auto version = Version::parse(python_version);
    if (!version || version->release().size() < 2 || version->epoch() != 0 || version->has_local() ||
        version->post() || version->dev()) {
        return fail(ErrorKind::Input,
                    fmt::format("invalid Python version '{}': expected X.Y or X.Y.Z such as 3.11.4", python_version));
    }
    const auto release = version->release();
    MarkerEnvironment env;
    env.os_name = platform->os_name;
    env.sys_platform = platform->sys_platform;
    env.platform_machine = platform->platform_machine;
    env.platform_system = platform->platform_system;
    env.platform_python_implementation = "CPython";
    env.implementation_name = "cpython";
    env.python_version = fmt::format("{}.{}", release[0], release[1]);
    const auto micro = release.size() > 2 ? release[2] : 0;
    env.python_full_version = fmt::format("{}.{}.{}", release[0], release[1], micro);
    // sys.implementation.version spells a release candidate "c" where platform.python_version()
    // spells it "rc".
    env.implementation_version = env.python_full_version;
    if (const auto pre = version->pre()) {
        static constexpr std::array<std::string_view, 4> full = {"", "a", "b", "rc"};
        static constexpr std::array<std::string_view, 4> implementation = {"", "a", "b", "c"};
        const auto kind = static_cast<std::size_t>(pre->kind);
        env.python_full_version += fmt::format("{}{}", full[kind], pre->number);
        env.implementation_version += fmt::format("{}{}", implementation[kind], pre->number);
    }
    return env;
}

}  // namespace envctl::pypi
