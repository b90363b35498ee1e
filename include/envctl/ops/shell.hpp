#pragma once
// Shell integration: the code `envctl shell activate/deactivate` prints for a shell to eval,
// the hook that defines the `envctl` shell function (`envctl shell-hook`), and the marked
// block `envctl shell init` keeps in an rc file. Pure text functions; docs/activation.md.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "envctl/ops/activation.hpp"

namespace envctl::ops {

enum class Shell { Posix, Bash, Zsh, Fish };

std::optional<Shell> parse_shell(std::string_view name);  // "posix" (or "sh", "dash"), "bash", "zsh", "fish"
std::string_view shell_name(Shell shell);
// ".fish" for fish, ".sh" for the others: the activate.d scripts a shell sources.
std::string_view script_extension(Shell shell);

// Code that performs the change in a shell, for eval: deactivate scripts, unset, export, PS1
// (when change_prompt: the old CONDA_PROMPT_MODIFIER stripped, the new one put in front),
// activate scripts, and a rehash of command lookups.
std::string render_change(const ActivationChange& change, Shell shell, bool change_prompt);

// The hook: defines a shell function `envctl` that evals `<exe> shell activate|deactivate
// --shell <shell> ARGS` for `envctl activate|deactivate ARGS` and runs `<exe>` for anything else.
std::string shell_hook(Shell shell, const std::filesystem::path& exe);

// The marked block `envctl shell init` writes into an rc file.
inline constexpr std::string_view init_block_begin = "# >>> envctl initialize >>>";
inline constexpr std::string_view init_block_end = "# <<< envctl initialize <<<";
std::string init_block(Shell shell, const std::filesystem::path& exe);
// `rc_text` with the block in place of an existing one, else appended. Idempotent.
std::string with_init_block(std::string_view rc_text, std::string_view block);
// `rc_text` without any envctl block (and without the blank line envctl put before it).
std::string without_init_block(std::string_view rc_text);
// The rc file a shell reads: ~/.bashrc, ${ZDOTDIR:-~}/.zshrc, ~/.config/fish/config.fish, ~/.profile.
std::filesystem::path default_rc_file(Shell shell, const EnvironmentMap& environment);

}  // namespace envctl::ops
