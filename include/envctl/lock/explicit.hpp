#pragma once
// CEP 23 @EXPLICIT files as package records (for installing without a solve) and written from
// records (envctl export --format explicit).
#include <span>
#include <string>
#include <string_view>

#include "envctl/conda/package_record.hpp"
#include "envctl/spec/text_spec.hpp"
#include "envctl/util/result.hpp"

namespace envctl::lock {

// One package line as a record: name, version and build from the file name; channel and subdir
// from the URL (<channel>/<subdir>/<fn>; an absolute path becomes a file:// URL); md5/sha256
// from the fragment. Depends are unknown (empty): the archive's info/index.json has them.
// The URL is stored without credentials. Fails (ErrorKind::Input, at the package's line) for a
// file name that is not name-version-build.conda/.tar.bz2 or a relative path.
Result<conda::PackageRecord> explicit_record(const spec::ExplicitPackage& package);

// A comment header, "# platform: <platform>", "@EXPLICIT", then "<url>#<sha256>" per record in
// the order given (64 hex digits without the "sha256:" prefix, which older readers reject); a
// record without sha256 gets its md5, or no fragment.
std::string format_explicit(std::span<const conda::PackageRecord> records, std::string_view platform);

}  // namespace envctl::lock
