// Arbitrary text as a wheel or sdist file name: accepted wheel names must print back to a name
// that parses to the same wheel, and ranking against targets must not misbehave.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "envctl/pypi/tags.hpp"
#include "envctl/pypi/wheel.hpp"

using namespace envctl::pypi;

namespace {
void check(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}

const std::vector<TagSet>& targets() {
    static const std::vector<TagSet> all = [] {
        std::vector<TagSet> sets;
        sets.push_back(TagSet::for_target({"linux-64", "3.11", "2.28", std::nullopt, std::nullopt}).value());
        sets.push_back(TagSet::for_target({"osx-arm64", "3.12", std::nullopt, "14.0", std::nullopt}).value());
        sets.push_back(TagSet::for_target({"win-64", "3.10", std::nullopt, std::nullopt, std::nullopt}).value());
        sets.push_back(TagSet::for_target({"linux-aarch64", "3.13", std::nullopt, std::nullopt, "1.2"}).value());
        return sets;
    }();
    return all;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)distribution_kind(text);
    if (auto sdist = parse_sdist_filename(text)) check(distribution_kind(text) == DistributionKind::SourceDistribution,
                                                       "an sdist name is not classified as one");
    const auto wheel = WheelFilename::parse(text);
    if (!wheel) return 0;
    check(distribution_kind(text) == DistributionKind::Wheel, "a wheel name is not classified as one");
    const auto printed = wheel->to_string();
    const auto again = WheelFilename::parse(printed);
    check(again.has_value(), "a printed wheel name does not parse");
    check(*again == *wheel, "the printed wheel name differs");
    for (const auto& set : targets()) {
        const auto rank = set.rank(*wheel);
        if (!rank) continue;
        check(*rank >= 0 && static_cast<std::size_t>(*rank) < set.tags().size(), "rank outside the tag list");
        const auto& best = set.tags()[static_cast<std::size_t>(*rank)];
        const auto tags = wheel->tags();
        check(std::find(tags.begin(), tags.end(), best) != tags.end(), "the ranked tag is not the wheel's");
    }
    return 0;
}
