#pragma once
// Environment markers (living "Dependency specifiers" specification, PEP 508): parsing the full
// grammar and evaluating it against the environment of an install target.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/pypi/specifier.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pypi {

// The values markers are evaluated against. Empty strings are allowed (envctl leaves
// platform_release and platform_version empty for targets other than the running machine).
struct MarkerEnvironment {
    std::string os_name;
    std::string sys_platform;
    std::string platform_machine;
    std::string platform_python_implementation;
    std::string platform_release;
    std::string platform_system;
    std::string platform_version;
    std::string python_version;        // "3.11"
    std::string python_full_version;   // "3.11.4"
    std::string implementation_name;   // "cpython"
    std::string implementation_version;
    // Requested extras (any spelling). A marker that uses `extra` holds when it holds for one of
    // them, or for `extra == ""` when none is requested, as pip evaluates Requires-Dist.
    std::vector<std::string> extras;
    // Values of the set-valued `dependency_groups` marker.
    std::vector<std::string> dependency_groups;

    // The environment of CPython `python_version` ("3.11" or "3.11.4") on a conda subdir:
    // linux-64, linux-32, linux-aarch64, linux-ppc64le, linux-ppc64, linux-s390x, linux-armv6l,
    // linux-armv7l, linux-riscv64, osx-64, osx-arm64, win-64, win-32, win-arm64,
    // emscripten-wasm32. platform_release and platform_version stay empty: they describe a
    // running kernel, which a target does not have.
    static Result<MarkerEnvironment> for_target(std::string_view conda_subdir, std::string_view python_version);
};

enum class MarkerVariable : std::uint8_t {
    OsName,
    SysPlatform,
    PlatformMachine,
    PlatformPythonImplementation,
    PlatformRelease,
    PlatformSystem,
    PlatformVersion,
    PythonVersion,
    PythonFullVersion,
    ImplementationName,
    ImplementationVersion,
    Extra,
    Extras,            // set-valued: only `"name" in extras` / `not in`
    DependencyGroups,  // set-valued, likewise
};
std::string_view variable_name(MarkerVariable variable);

enum class MarkerOperator : std::uint8_t {
    Equal, NotEqual, LessEqual, GreaterEqual, Less, Greater, Compatible, ArbitraryEqual, In, NotIn,
};

class Marker {
public:
    // The marker expression after "; " in a requirement. The legacy spellings os.name,
    // sys.platform, platform.version, platform.machine, platform.python_implementation and
    // python_implementation are accepted (old metadata uses them) and printed canonically.
    // Errors give the 1-based column in Error::location.
    static Result<Marker> parse(std::string_view text);

    // Comparisons use PEP 440 when the operator and right-hand value form a valid specifier and
    // the left-hand value is a valid version (pre-releases included); otherwise ==, !=, <, <=,
    // >, >= compare strings, `in` tests substrings, and ~= is false. === is string equality.
    // `extra` values compare after name normalization.
    bool evaluate(const MarkerEnvironment& environment) const;

    bool uses(MarkerVariable variable) const;

    // Canonical text: canonical variable names, double-quoted values (single quotes when the
    // value holds a double quote), "and"/"or" in lowercase, parentheses where written or needed.
    std::string to_string() const;

    friend bool operator==(const Marker& a, const Marker& b) { return a.to_string() == b.to_string(); }

    // The parsed form, for tools that inspect markers: a tree of comparisons joined by and/or.
    // A default-constructed Marker has no nodes and always holds.
    struct Operand {
        bool is_variable = false;
        MarkerVariable variable = MarkerVariable::OsName;
        std::string literal;
    };
    struct Node {
        enum class Kind : std::uint8_t { Compare, And, Or } kind = Kind::Compare;
        bool parenthesized = false;
        std::uint32_t left = 0, right = 0;  // children of And / Or
        Operand lhs, rhs;
        MarkerOperator op = MarkerOperator::Equal;
        // For `variable OP "literal"`: the literal as a specifier when it forms a valid one.
        std::optional<Specifier> literal_specifier;
    };

private:
    friend class MarkerParser;
    bool evaluate_node(std::uint32_t index, const MarkerEnvironment& environment, std::string_view extra) const;
    void print_node(std::uint32_t index, std::string& out, bool in_and) const;

    std::vector<Node> nodes_;
    std::uint32_t root_ = 0;
};

}  // namespace envctl::pypi
