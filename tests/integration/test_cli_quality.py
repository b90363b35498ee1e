"""What every command shares: --help with examples, shell completions generated from the
command tree (exercised in bash and zsh), -v/-vv logging on stderr, exit codes in the help."""
import shutil
import subprocess

import pytest

from testkit.activation import make_environment
from testkit.cli import command_paths


def test_every_command_has_help_with_examples(envctl):
    paths = command_paths(envctl)
    assert {"create", "run", "shell activate", "completion", "env remove"} <= set(paths)
    groups = {" ".join(path.split()[:i]) for path in paths for i in range(1, len(path.split()))}
    missing = []
    for path in sorted(set(paths) | groups):
        out = envctl.run(*path.split(), "--help").stdout
        if "\nExamples:\n  " not in out:
            missing.append(path)
    assert not missing, f"--help without an Examples section: {missing}"
    top = envctl.run("--help").stdout
    assert "Examples:" in top and "Exit codes: 0 ok" in top


def complete_in_bash(envctl, words):
    script = envctl.run("completion", "bash").stdout
    line = " ".join(f"'{word}'" for word in words)
    program = (f"{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _envctl; "
               'printf "%s\\n" "${COMPREPLY[@]}"')
    proc = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                          timeout=60, check=True)
    return proc.stdout.split()


def test_bash_completion_knows_commands_and_options(envctl, tmp_path):
    assert {"create", "completion"} <= set(complete_in_bash(envctl, ["envctl", "c"]))
    assert complete_in_bash(envctl, ["envctl", "shell", "ini"]) == ["init"]
    assert {"--prefix", "--clean-env", "--cwd", "--help"} <= set(complete_in_bash(envctl, ["envctl", "run", "--"]))
    assert set(complete_in_bash(envctl, ["envctl", "run", "--c"])) == {"--cwd", "--clean-env"}
    # The global flags are offered after a command too.
    assert "--json" in complete_in_bash(envctl, ["envctl", "env", "remove", "--j"])
    assert complete_in_bash(envctl, ["envctl", "shell", "init", "--shell", "z"]) == ["zsh"]
    # A value option completes file names.
    (tmp_path / "environment.yml").write_text("")
    proc = complete_in_bash(envctl, ["envctl", "create", "-f", str(tmp_path / "envi")])
    assert proc == [str(tmp_path / "environment.yml")]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completion_is_valid_and_uses_the_same_tree(envctl):
    script = envctl.run("completion", "zsh").stdout
    assert script.startswith("#compdef envctl\n")
    subprocess.run(["zsh", "-n"], input=script, text=True, check=True)
    # Loaded through compinit, as from fpath: the functions answer for command paths.
    program = ("autoload -U compinit && compinit -u -D\n" + script.replace("#compdef envctl\n", "") +
               '\n__envctl_subcommands "shell"\n__envctl_options "run"\n'
               '__envctl_takes_value "create" "--prefix" && echo takes-value\n')
    proc = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "activate" in lines[0].split() and "init" in lines[0].split()
    assert "--clean-env" in lines[1].split()
    assert lines[2] == "takes-value"


def test_completion_json_and_bad_shell(envctl):
    doc = envctl.json("completion", "bash")
    assert doc["shell"] == "bash" and "complete -o filenames -F _envctl envctl" in doc["script"]
    envctl.run("completion", "tcsh", expect=2)


def test_verbose_logging_goes_to_stderr(envctl, tmp_path):
    prefix = make_environment(tmp_path / "env")
    quiet = envctl.run("run", "-p", prefix, "--", "true")
    assert quiet.stderr == ""
    loud = envctl.run("-vv", "run", "-p", prefix, "--", "sh", "-c", "echo out")
    assert loud.stdout == "out\n"
    assert f"debug: running sh in {prefix}" in loud.stderr
    assert "\x1b" not in loud.stderr  # not a terminal: no colors
    assert "debug:" in envctl.run("run", "-vv", "-p", prefix, "--", "true").stderr
