#include "envctl/conda/version_spec.hpp"

#include <fmt/format.h>

#include "envctl/conda/string_matcher.hpp"
#include "envctl/util/ascii.hpp"
#include "regex.hpp"

namespace envctl::conda {

namespace {

constexpr std::size_t kMaxDepth = 64;
constexpr std::size_t kMaxRegexLength = 1000;

std::string_view trim_view(std::string_view text) {
    while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
    return text;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string clause_text(const VersionSpec::Node& node) {
    using Op = VersionSpec::Op;
    const auto& v = node.version.str();
    switch (node.op) {
        case Op::Any: return "*";
        case Op::Equal: return "==" + v;
        case Op::NotEqual: return "!=" + v;
        case Op::Less: return "<" + v;
        case Op::LessEqual: return "<=" + v;
        case Op::Greater: return ">" + v;
        case Op::GreaterEqual: return ">=" + v;
        case Op::StartsWith: return v + ".*";
        case Op::NotStartsWith: return "!=" + v + ".*";
        case Op::Compatible: return "~=" + v;
        case Op::Glob:
        case Op::Regex: return node.pattern;
        case Op::And:
        case Op::Or: break;
    }
    return {};
}

}  // namespace

struct VersionSpecParser {
    std::string_view input;
    std::size_t pos = 0;
    std::vector<VersionSpec::Node> nodes;
    std::size_t depth = 0;

    using Node = VersionSpec::Node;
    using Op = VersionSpec::Op;

    tl::unexpected<Error> error(std::string_view problem) const {
        return fail(ErrorKind::Input, fmt::format("invalid version spec '{}': {}", input, problem));
    }

    void skip_space() {
        while (pos < input.size() && is_ascii_space(input[pos])) ++pos;
    }
    char peek() {
        skip_space();
        return pos < input.size() ? input[pos] : '\0';
    }

    // Turns the nodes from `start` on into the operands of a new `op` node.
    void wrap(std::size_t start, Op op) {
        Node group;
        group.op = op;
        group.size = static_cast<std::uint32_t>(nodes.size() - start + 1);
        nodes.insert(nodes.begin() + static_cast<std::ptrdiff_t>(start), std::move(group));
    }

    Status parse_or() {
        if (++depth > kMaxDepth) return error("parentheses nested too deeply");
        const auto start = nodes.size();
        if (auto status = parse_and(); !status) return status;
        std::size_t operands = 1;
        while (peek() == '|') {
            ++pos;
            if (auto status = parse_and(); !status) return status;
            ++operands;
        }
        if (operands > 1) wrap(start, Op::Or);
        --depth;
        return {};
    }

    Status parse_and() {
        const auto start = nodes.size();
        if (auto status = parse_term(); !status) return status;
        std::size_t operands = 1;
        while (peek() == ',') {
            ++pos;
            if (auto status = parse_term(); !status) return status;
            ++operands;
        }
        if (operands > 1) wrap(start, Op::And);
        return {};
    }

    Status parse_term() {
        const char c = peek();
        if (c == '(') {
            ++pos;
            if (auto status = parse_or(); !status) return status;
            if (peek() != ')') return error(fmt::format("expected ')' at position {}", pos + 1));
            ++pos;
            return {};
        }
        if (c == '\0') return error("expected a version clause at the end");
        if (c == ')' || c == ',' || c == '|')
            return error(fmt::format("expected a version clause at position {}, found '{}'", pos + 1, c));
        const auto begin = pos;
        if (c == '^') {
            const auto dollar = input.find('$', pos);
            if (dollar == std::string_view::npos) return error("a regular expression must end with '$'");
            pos = dollar + 1;
        } else {
            while (pos < input.size() && input[pos] != '(' && input[pos] != ')' && input[pos] != ',' && input[pos] != '|') ++pos;
        }
        return clause(trim_view(input.substr(begin, pos - begin)));
    }

    Status regex_clause(std::string_view raw) {
        if (raw.size() > kMaxRegexLength) return error(fmt::format("regular expression longer than {} characters", kMaxRegexLength));
        Node node;
        node.op = Op::Regex;
        node.pattern = std::string(raw);
        auto regex = Regex::compile(raw, false);
        if (!regex) return error(regex.error().message);
        node.regex = std::make_shared<const Regex>(std::move(*regex));
        nodes.push_back(std::move(node));
        return {};
    }

    Status clause(std::string_view raw) {
        if (raw.front() == '^') return regex_clause(raw);
        if (raw.back() == '$') return error("a regular expression must start with '^'");

        // One of == != <= >= ~= < > =, or none.
        std::string_view op;
        const char first = raw.front();
        if (first == '=' || first == '!' || first == '<' || first == '>' || first == '~') {
            const bool two = raw.size() > 1 && raw[1] == '=';
            if (two || first == '<' || first == '>' || first == '=') op = raw.substr(0, two ? 2 : 1);
        }
        auto literal = trim_view(raw.substr(op.size()));
        if (!literal.empty() && (literal.front() == '=' || literal.front() == '<' || literal.front() == '>' ||
                                 literal.front() == '!' || literal.front() == '~'))
            return error(fmt::format("invalid operator in '{}'", raw));
        if (literal.empty()) {
            if (op.empty()) return error("empty version clause");
            return error(fmt::format("missing version after '{}'", op));
        }
        for (const char ch : literal)
            if (is_ascii_space(ch)) return error(fmt::format("unexpected space in '{}'", raw));

        bool glob = false;
        while (true) {
            if (ends_with(literal, ".*")) {
                literal.remove_suffix(2);
            } else if (ends_with(literal, "*")) {
                literal.remove_suffix(1);
            } else {
                break;
            }
            glob = true;
        }
        Node node;
        if (literal.empty()) {
            // "*", "*.*", "=*", "==*": anything.
            if (!op.empty() && op != "=" && op != "==") return error(fmt::format("'{}' needs a version, not only '*'", op));
            nodes.push_back(std::move(node));
            return {};
        }
        if (literal.find('*') != std::string_view::npos) {
            if (!op.empty()) return error(fmt::format("a '*' inside a version cannot follow '{}'", op));
            node.op = Op::Glob;
            node.pattern = std::string(raw);
            nodes.push_back(std::move(node));
            return {};
        }
        if (literal.back() == '.') literal.remove_suffix(1);  // ">=2.7." in old repodata
        auto version = Version::parse(literal);
        if (!version) return error(version.error().message);
        node.version = std::move(*version);

        if (op.empty() || op == "==") {
            node.op = glob ? Op::StartsWith : Op::Equal;
        } else if (op == "=") {
            node.op = Op::StartsWith;
        } else if (op == "!=") {
            node.op = glob ? Op::NotStartsWith : Op::NotEqual;
        } else if (op == "~=") {
            if (glob) return error("'~=' cannot be combined with '*'");
            node.op = Op::Compatible;
        } else if (op == "<") {
            node.op = Op::Less;
        } else if (op == "<=") {
            node.op = Op::LessEqual;
        } else if (op == ">") {
            node.op = Op::Greater;
        } else {
            node.op = Op::GreaterEqual;
        }
        nodes.push_back(std::move(node));
        return {};
    }
};

namespace {

void print(const std::vector<VersionSpec::Node>& nodes, std::size_t index, std::string& out) {
    using Op = VersionSpec::Op;
    const auto& node = nodes[index];
    if (node.op != Op::And && node.op != Op::Or) {
        out += clause_text(node);
        return;
    }
    const char separator = node.op == Op::And ? ',' : '|';
    bool first = true;
    for (std::size_t child = index + 1; child < index + node.size; child += nodes[child].size) {
        if (!first) out += separator;
        first = false;
        const bool parens = node.op == Op::And && nodes[child].op == Op::Or;
        if (parens) out += '(';
        print(nodes, child, out);
        if (parens) out += ')';
    }
}

}  // namespace

VersionSpec::VersionSpec() : text_("*") {}

Result<VersionSpec> VersionSpec::parse(std::string_view text) {
    VersionSpecParser parser;
    parser.input = text;
    parser.nodes.reserve(4);
    if (trim_view(text).empty()) return parser.error("the spec is empty");
    if (auto status = parser.parse_or(); !status) return tl::unexpected(std::move(status.error()));
    if (parser.peek() != '\0')
        return parser.error(fmt::format("unexpected '{}' at position {}", text[parser.pos], parser.pos + 1));
    VersionSpec spec;
    if (parser.nodes.size() == 1 && parser.nodes[0].op == Op::Any) return spec;
    spec.nodes_ = std::move(parser.nodes);
    spec.text_.clear();
    print(spec.nodes_, 0, spec.text_);
    return spec;
}

VersionSpec VersionSpec::exactly(const Version& version) {
    VersionSpec spec;
    spec.nodes_.resize(1);
    spec.nodes_[0].op = Op::Equal;
    spec.nodes_[0].version = version;
    spec.text_ = "==" + version.str();
    return spec;
}

bool VersionSpec::matches(const Version& version) const { return nodes_.empty() || matches_at(0, version); }

bool VersionSpec::matches_at(std::size_t index, const Version& version) const {
    const auto& node = nodes_[index];
    switch (node.op) {
        case Op::Any: return true;
        case Op::Equal: return version == node.version;
        case Op::NotEqual: return version != node.version;
        case Op::Less: return version < node.version;
        case Op::LessEqual: return version <= node.version;
        case Op::Greater: return version > node.version;
        case Op::GreaterEqual: return version >= node.version;
        case Op::StartsWith: return version.starts_with(node.version);
        case Op::NotStartsWith: return !version.starts_with(node.version);
        case Op::Compatible: return version.compatible_with(node.version);
        case Op::Glob: return glob_match_icase(node.pattern, version.str());
        case Op::Regex: return node.regex->search(version.str());
        case Op::And:
            for (std::size_t child = index + 1; child < index + node.size; child += nodes_[child].size)
                if (!matches_at(child, version)) return false;
            return true;
        case Op::Or:
            for (std::size_t child = index + 1; child < index + node.size; child += nodes_[child].size)
                if (matches_at(child, version)) return true;
            return false;
    }
    return false;
}

}  // namespace envctl::conda
