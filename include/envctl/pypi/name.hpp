#pragma once
// Project and extra names (living "Names and normalization" specification, PEP 503/685).
#include <string>
#include <string_view>

namespace envctl::pypi {

// Lowercase with every run of '-', '_' and '.' replaced by one '-': "Foo__Bar.baz" -> "foo-bar-baz".
std::string normalize_name(std::string_view name);
// ASCII letters and digits, with '-', '_' and '.' allowed only between them.
bool is_valid_name(std::string_view name);
// The form used in wheel and .dist-info names: normalized with "_" instead of "-"
// ("Foo.Bar-baz" -> "foo_bar_baz").
std::string escape_name(std::string_view name);
// Whether two names are equal after normalization, without allocating.
bool names_equal(std::string_view a, std::string_view b);

}  // namespace envctl::pypi
