#include "envctl/conda/build_number_spec.hpp"

#include <fmt/format.h>

#include "envctl/util/strings.hpp"

namespace envctl::conda {

Result<BuildNumberSpec> BuildNumberSpec::parse(std::string_view input) {
    const auto text = trim(input);
    BuildNumberSpec spec;
    if (text == "*") return spec;
    struct Prefix {
        std::string_view token;
        Op op;
    };
    static constexpr Prefix kPrefixes[] = {{"==", Op::Equal}, {"!=", Op::NotEqual}, {"<=", Op::LessEqual},
                                           {">=", Op::GreaterEqual}, {"<", Op::Less}, {">", Op::Greater},
                                           {"=", Op::Equal}};
    std::string_view number = text;
    spec.op_ = Op::Equal;
    for (const auto& prefix : kPrefixes) {
        if (text.substr(0, prefix.token.size()) == prefix.token) {
            spec.op_ = prefix.op;
            number = trim(text.substr(prefix.token.size()));
            break;
        }
    }
    if (!is_ascii_digits(number) || number.size() > 18)
        return fail(ErrorKind::Input, fmt::format("invalid build number spec '{}': expected a number, optionally after ==, !=, <, <=, > or >=", input));
    spec.value_ = std::stoull(std::string(number));
    return spec;
}

bool BuildNumberSpec::matches(std::uint64_t build_number) const {
    switch (op_) {
        case Op::Any: return true;
        case Op::Equal: return build_number == value_;
        case Op::NotEqual: return build_number != value_;
        case Op::Less: return build_number < value_;
        case Op::LessEqual: return build_number <= value_;
        case Op::Greater: return build_number > value_;
        case Op::GreaterEqual: return build_number >= value_;
    }
    return false;
}

std::string BuildNumberSpec::str() const {
    switch (op_) {
        case Op::Any: return "*";
        case Op::Equal: return std::to_string(value_);
        case Op::NotEqual: return "!=" + std::to_string(value_);
        case Op::Less: return "<" + std::to_string(value_);
        case Op::LessEqual: return "<=" + std::to_string(value_);
        case Op::Greater: return ">" + std::to_string(value_);
        case Op::GreaterEqual: return ">=" + std::to_string(value_);
    }
    return "*";
}

}  // namespace envctl::conda
