#pragma once
// Match specs: queries over package records, with the full CEP 29 grammar:
//   [channel[/subdir]:[namespace]:]name[ version[ build]][[key=value, ...]]
// with `name=version=build`, `name==1.0`, `name>=1.0,<2`, `name 1.0.*`, brackets for version,
// build, build_number, channel, subdir, md5, sha256, fn, url, license, license_family and
// track_features (values quoted with ' or " when they hold spaces, commas, `=` or brackets;
// bracket values override positional ones, `name` in brackets is ignored), `# comments`, and
// artifact URLs or absolute paths (`https://.../linux-64/foo-1.0-0.conda`).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/build_number_spec.hpp"
#include "envctl/conda/channel.hpp"
#include "envctl/conda/package_record.hpp"
#include "envctl/conda/string_matcher.hpp"
#include "envctl/conda/version_spec.hpp"
#include "envctl/util/result.hpp"

namespace envctl::conda {

// A plain value: every field left at its default matches anything.
struct MatchSpec {
    StringMatcher name;            // lowercase; Any for "*"
    VersionSpec version;           // Any when not constrained
    StringMatcher build;           // Any when not constrained
    BuildNumberSpec build_number;  // Any when not constrained
    std::string channel;           // as written (name, URL or path; may carry credentials); empty: any
    StringMatcher subdir;          // Any when not constrained
    std::string md5;               // lowercase hex; empty: any
    std::string sha256;            // lowercase hex; empty: any
    std::string fn;                // exact archive file name; empty: any
    std::string url;               // exact download URL; empty: any
    StringMatcher license;
    StringMatcher license_family;
    std::vector<std::string> track_features;  // each must be among the record's

    // Fails with ErrorKind::Input; the message names the spec and what was expected there.
    static Result<MatchSpec> parse(std::string_view input);
    // The spec a lockfile or `--json` output would give for exactly this record:
    // channel/subdir::name==version=build (plus md5/sha256 when known).
    static MatchSpec for_record(const PackageRecord& record);

    // The package name when it is exact (the usual case); nullopt for globs and regexes.
    std::optional<std::string_view> exact_name() const;
    // Only the name is constrained (`numpy`, `numpy *`, `numpy[version=*]`).
    bool is_name_only() const;

    // Channel names are resolved against `context` (default: conda.anaconda.org, conda's
    // defaults); record.channel must be a canonical channel URL.
    bool matches(const PackageRecord& record) const;
    bool matches(const PackageRecord& record, const ChannelContext& context) const;

    // Canonical form (CEP 29 appendix A): `conda-forge/linux-64::numpy==1.26.4=py312h_0`,
    // `numpy=1.26`, `numpy[version='>=1.26,<2']`, `foo[build=py*,md5=...]`. Credentials are
    // never printed. parse(str()) gives an equal spec and the same text.
    std::string str() const;

    friend bool operator==(const MatchSpec&, const MatchSpec&) = default;
};

}  // namespace envctl::conda
