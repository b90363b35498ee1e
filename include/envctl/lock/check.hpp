#pragma once
// Whether a lockfile is current for an environment file, decided without the network:
// `envctl lock --check`, and `envctl create -f environment.yml` choosing to install the lockfile
// beside it instead of solving. specs/lockfile.md defines the rules and the content hash.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "envctl/conda/channel.hpp"
#include "envctl/lock/lockfile.hpp"
#include "envctl/spec/environment.hpp"

namespace envctl::lock {

// The custom_metadata key holding the environment file's pip lines, joined with "\n".
inline constexpr std::string_view kPipMetadataKey = "envctl.pip";

// What determines the solve of one platform: the content hash covers exactly these.
struct HashInputs {
    std::vector<LockChannel> channels;  // as recorded in metadata.channels
    std::vector<std::string> pip;       // pip lines, verbatim, in file order
    // CONDA_OVERRIDE_* variables that are set (name -> value), e.g. {"CONDA_OVERRIDE_CUDA": "12.4"}.
    std::map<std::string, std::string> virtual_package_overrides;
    std::string channel_priority;  // "strict", "flexible", "disabled"
};

// sha256 (lowercase hex) of the canonical JSON (keys sorted, no spaces, UTF-8)
//   {"channels":[{"url":...,"used_env_vars":[...]}...],"envctl_lock_format":1,"pip":[...],
//    "platform":"linux-64","channel_priority":"...","specs":[...],"virtual_package_overrides":{...}}
// where specs are the canonical strings (MatchSpec::str()) of the environment file's conda
// dependencies that apply to `platform`, in file order.
std::string content_hash(const spec::EnvironmentSpec& environment, const HashInputs& inputs, std::string_view platform);

struct CheckRequest {
    const spec::EnvironmentSpec* environment = nullptr;
    HashInputs inputs;                    // channels/pip/overrides as a lock would record them now
    std::vector<std::string> platforms;   // the platforms that must be locked
    bool exact_platforms = false;         // the environment file lists them: the lockfile must have no others
    conda::ChannelContext channel_context;  // resolves channel names inside specs
};

struct CheckResult {
    bool current = true;
    std::vector<std::string> reasons;  // why not, one sentence each ("linux-64: numpy >=2 is not met (locked: numpy 1.26.4)")
    std::vector<std::string> notes;    // informative (e.g. the content hash differs but every spec is met)
};

// The rules, all of which must hold:
//  - every required platform is in metadata.platforms (and no other when exact_platforms);
//  - metadata.channels equals inputs.channels (urls and order);
//  - the pip lines recorded under custom_metadata[envctl.pip] equal the file's pip lines;
//    and, for lockfiles with pip entries, every pip requirement names a locked pip package
//    whose version its specifier allows;
//  - per platform: every conda spec that applies to it is matched by a locked conda package,
//    every locked package's dependencies (virtual packages aside) are met by the locked set,
//    and every locked conda package is reachable from the specs through dependencies.
// The content hash is compared too; a difference alone is only a note.
CheckResult check_lockfile(const Lockfile& lockfile, const CheckRequest& request);

}  // namespace envctl::lock
