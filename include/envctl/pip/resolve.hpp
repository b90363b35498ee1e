#pragma once
// Resolving the pip: section over the generic solver core (solve::core, libsolv), after the conda
// solve: candidates are the compatible wheels of each project (best tag per version), ordered by
// PEP 440; pre-releases only with --pre or when nothing else satisfies a specifier;
// requires-python honoured; yanked files only when pinned with ==; markers evaluated for the
// target platform and the python the conda solve chose; extras as "name[extra]" candidates tied
// to one version of the project; -c constraints limit versions; distributions the conda
// environment already provides satisfy requirements and are never reinstalled.
//
// Metadata is loaded lazily: the best version of each project first, more versions only for the
// projects that an unsatisfiable solve names, so a resolve touches few metadata files.
#include <optional>
#include <string>
#include <vector>

#include "envctl/conda/package_record.hpp"
#include "envctl/pip/conda_names.hpp"
#include "envctl/pip/index_client.hpp"
#include "envctl/pip/inputs.hpp"
#include "envctl/pypi/marker.hpp"
#include "envctl/pypi/requirement.hpp"
#include "envctl/pypi/version.hpp"
#include "envctl/util/result.hpp"

namespace envctl::pip {

// What wheels must fit: the conda subdir and the versions the conda solve decided.
struct PipTarget {
    std::string subdir;                         // "linux-64"
    std::string python_version;                 // "3.11.4" (the conda python record)
    std::optional<std::string> glibc_version;   // __glibc: manylinux_2_X up to it
    std::optional<std::string> macos_version;   // __osx
};

// A Python distribution already in the environment (installed by conda).
struct ProvidedDistribution {
    std::string name;      // normalized PyPI name
    std::string version;   // as conda records it
    std::string provider;  // "numpy 1.26.4 (conda)", for messages
};

// The PyPI distributions conda records provide (python itself excepted):
// - the distributions found in a record's files (`found`, by conda name: the .dist-info /
//   .egg-info folders of its site-packages, read by the caller from the package cache or the
//   prefix's conda-meta), with the versions their folders give;
// - else, for a Python package (noarch: python, depends on python or python_abi) and for pip,
//   its name as PyPI knows it: pypi_name_of_conda_package() (the conda name, normalized, or the
//   table's name: pytorch -> torch), with the record's version.
// Non-Python packages that only share a name with a PyPI project provide nothing.
std::vector<ProvidedDistribution> provided_by_conda(const std::vector<conda::PackageRecord>& records,
                                                    const CondaDistributions& found = {});

// The target from a conda solution: python's version, __glibc / __osx from the virtual packages.
Result<PipTarget> pip_target(std::string_view subdir, const std::vector<conda::PackageRecord>& records,
                             const std::vector<conda::PackageRecord>& virtual_packages);

struct ResolveRequest {
    const PipInputs* inputs = nullptr;
    PipTarget target;
    std::vector<ProvidedDistribution> provided;
    // name (normalized) -> version of an existing lockfile: preferred when still allowed.
    std::map<std::string, std::string> preferred;
};

struct ResolvedWheel {
    std::string name;  // normalized
    pypi::Version version;
    IndexFile file;      // url (may carry credentials: strip before storing), hashes
    std::string sha256;  // always set
    std::vector<pypi::Requirement> dependencies;  // Requires-Dist that apply (requested extras included)
    std::vector<std::string> extras;              // extras some requirement asked for
    bool requested = false;                       // named in the pip: section
    bool direct = false;                          // a `name @ URL` / wheel path reference
};

struct Resolution {
    std::vector<ResolvedWheel> wheels;                // sorted by name
    std::vector<ProvidedDistribution> from_conda;     // pip requirements the conda packages satisfy
    std::size_t solves = 0;                           // solver runs (metadata widened between them)
};

// Errors: ErrorKind::Input for lines that cannot be served (sdist-only projects, --no-binary,
// no compatible wheel), naming the line; ErrorKind::Unsatisfiable with an explanation.
Result<Resolution> resolve(const ResolveRequest& request, IndexClient& client);

// The marker environment of a target.
Result<pypi::MarkerEnvironment> marker_environment(const PipTarget& target);

}  // namespace envctl::pip
