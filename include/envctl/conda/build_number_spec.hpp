#pragma once
// Build number constraints: `3`, `==3`, `!=3`, `<3`, `<=3`, `>3`, `>=3`, or `*`.
#include <cstdint>
#include <string>
#include <string_view>

#include "envctl/util/result.hpp"

namespace envctl::conda {

class BuildNumberSpec {
public:
    enum class Op : std::uint8_t { Any, Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual };

    BuildNumberSpec() = default;  // matches every build number
    static Result<BuildNumberSpec> parse(std::string_view input);

    bool matches(std::uint64_t build_number) const;
    bool is_any() const { return op_ == Op::Any; }
    Op op() const { return op_; }
    std::uint64_t value() const { return value_; }
    // "*", "3" for equality, else the operator and the number (">=3").
    std::string str() const;

    friend bool operator==(const BuildNumberSpec&, const BuildNumberSpec&) = default;

private:
    Op op_ = Op::Any;
    std::uint64_t value_ = 0;
};

}  // namespace envctl::conda
