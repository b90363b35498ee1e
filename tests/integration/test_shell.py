"""Shell activation in real shells: the output of `envctl shell-hook` sourced in bash and zsh,
`envctl activate`/`deactivate` (nested, by name, state variables restored, activate.d and
deactivate.d scripts, the prompt), and `envctl shell init`/`deinit` on rc files."""
import shutil
import subprocess

import pytest

from testkit.activation import make_environment

SHELLS = {
    "bash": ["bash", "--norc", "--noprofile", "-c"],
    "zsh": ["zsh", "-f", "-c"],
    "posix": ["sh", "-c"],
}


def run_shell(envctl, shell, script, env=None):
    if shutil.which(SHELLS[shell][0]) is None:
        pytest.skip(f"{SHELLS[shell][0]} is not installed")
    merged = dict(envctl.env)
    merged["ENVCTL"] = envctl.binary
    merged.update(env or {})
    proc = subprocess.run([*SHELLS[shell], script], env=merged, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{shell} failed ({proc.returncode})\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    return dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)


@pytest.fixture
def environments(tmp_path):
    first = make_environment(
        tmp_path / "root" / "envs" / "first", env_vars={"WHICH": "first", "FIRST_ONLY": "1"},
        activate={"a.sh": "export FIRST_SCRIPT=on\n"}, deactivate={"a.sh": "unset FIRST_SCRIPT\n"})
    second = make_environment(tmp_path / "second env", env_vars={"WHICH": "second"},
                              activate={"b.sh": 'export SECOND_SEEN_WHICH="$WHICH"\n'})
    return first, second


SHOW = 'echo "{tag}_PREFIX=${{CONDA_PREFIX-unset}}"; echo "{tag}_LEVEL=${{CONDA_SHLVL-unset}}"; ' \
       'echo "{tag}_WHICH=${{WHICH-unset}}"; echo "{tag}_FIRST_ONLY=${{FIRST_ONLY-unset}}"; ' \
       'echo "{tag}_SCRIPT=${{FIRST_SCRIPT-unset}}"; echo "{tag}_PS1=$PS1"; echo "{tag}_PATH=$PATH"; ' \
       'echo "{tag}_NAME=${{CONDA_DEFAULT_ENV-unset}}"\n'


def session_script(shell, second):
    show = lambda tag: SHOW.format(tag=tag)  # noqa: E731
    return (f'eval "$("$ENVCTL" shell-hook --shell {shell})"\n'
            "PS1='$ '\n" + show("START") +
            "envctl activate first || exit 10\n" + show("ONE") +
            f"envctl activate '{second}' || exit 11\n" + show("TWO") +
            'echo "TWO_SEEN=$SECOND_SEEN_WHICH"\n'
            "envctl deactivate || exit 12\n" + show("BACK") +
            "envctl deactivate || exit 13\n" + show("END") +
            "envctl activate /no/such/env; echo \"FAILED_STATUS=$?\"\n" + show("AFTER_FAIL") +
            'envctl version >/dev/null && echo "PASSTHROUGH=ok"\n')


@pytest.mark.parametrize("shell", ["bash", "zsh", "posix"])
def test_hook_activates_and_deactivates_nested(envctl, environments, shell):
    first, second = environments
    out = run_shell(envctl, shell, session_script(shell, second), env={"WHICH": "outside"})
    start_path = out["START_PATH"]
    assert out["ONE_PREFIX"] == str(first) and out["ONE_LEVEL"] == "1" and out["ONE_NAME"] == "first"
    assert out["ONE_WHICH"] == "first" and out["ONE_FIRST_ONLY"] == "1" and out["ONE_SCRIPT"] == "on"
    assert out["ONE_PS1"] == "(first) $ "
    assert out["ONE_PATH"] == f"{first}/bin:{start_path}"

    assert out["TWO_PREFIX"] == str(second) and out["TWO_LEVEL"] == "2"
    assert out["TWO_WHICH"] == "second" and out["TWO_SEEN"] == "second"
    assert out["TWO_FIRST_ONLY"] == "unset"  # not stacked: the first environment's variables leave
    assert out["TWO_SCRIPT"] == "unset"      # its deactivate.d script ran
    assert out["TWO_PS1"] == f"({second}) $ "
    assert out["TWO_PATH"] == f"{second}/bin:{start_path}"

    for key in ("PREFIX", "LEVEL", "WHICH", "FIRST_ONLY", "SCRIPT", "PS1", "PATH", "NAME"):
        assert out[f"BACK_{key}"] == out[f"ONE_{key}"], key
    assert out["END_PREFIX"] == "unset" and out["END_LEVEL"] == "0"
    for key in ("WHICH", "FIRST_ONLY", "SCRIPT", "PS1", "PATH", "NAME"):
        assert out[f"END_{key}"] == out[f"START_{key}"], key
    assert out["END_WHICH"] == "outside"

    assert out["FAILED_STATUS"] == "2"
    assert out["AFTER_FAIL_PATH"] == start_path and out["AFTER_FAIL_PREFIX"] == "unset"
    assert out["PASSTHROUGH"] == "ok"


def test_changeps1_false_leaves_the_prompt_alone(envctl, environments):
    script = ('eval "$("$ENVCTL" shell-hook --shell bash)"\nPS1=\'$ \'\nenvctl activate first\n'
              'echo "PS1=$PS1"\necho "MOD=$CONDA_PROMPT_MODIFIER"\n')
    out = run_shell(envctl, "bash", script, env={"ENVCTL_CHANGEPS1": "false"})
    assert out["PS1"] == "$ " and out["MOD"] == "(first) "


def test_stacked_activation_in_zsh(envctl, environments):
    first, second = environments
    script = ('eval "$("$ENVCTL" shell-hook --shell zsh)"\nenvctl activate first\n'
              f"envctl activate --stack '{second}'\n" 'echo "PATH=$PATH"\necho "FIRST_ONLY=$FIRST_ONLY"\n'
              'envctl deactivate\necho "BACK=$CONDA_PREFIX"\n')
    out = run_shell(envctl, "zsh", script)
    assert out["PATH"].startswith(f"{second}/bin:{first}/bin:")
    assert out["FIRST_ONLY"] == "1" and out["BACK"] == str(first)


def test_activate_without_the_hook_says_how_to_get_it(envctl):
    proc = envctl.run("activate", "first", expect=2)
    assert "shell init" in proc.stderr and "envctl run" in proc.stderr


def test_shell_activate_json(envctl, environments):
    first, _ = environments
    doc = envctl.json("shell", "activate", "first", env={"PATH": "/usr/bin:/bin"})
    assert doc["set"]["CONDA_PREFIX"] == str(first)
    assert doc["set"]["PATH"] == f"{first}/bin:/usr/bin:/bin"
    assert doc["activate_scripts"] == [str(first / "etc/conda/activate.d/a.sh")]
    assert doc["deactivate_scripts"] == [] and doc["unset"] == []


def test_init_twice_leaves_one_block_and_deinit_removes_it(envctl, home):
    bashrc = home / ".bashrc"
    bashrc.write_text("export KEEP=1\n")
    first = envctl.run("shell", "init", "--shell", "bash")
    assert str(bashrc) in first.stdout
    once = bashrc.read_text()
    second = envctl.run("shell", "init", "--shell", "bash")
    assert "nothing changed" in second.stdout
    assert bashrc.read_text() == once
    assert once.count("# >>> envctl initialize >>>") == 1 and once.startswith("export KEEP=1\n")

    # The block works: a shell that reads the rc file has the envctl function.
    proc = subprocess.run(["bash", "--norc", "-c", f"source '{bashrc}'; type envctl | head -1"],
                          env=dict(envctl.env), capture_output=True, text=True, timeout=60)
    assert "envctl is a function" in proc.stdout, proc.stderr

    zshrc = home / "custom.zsh"
    doc = envctl.json("shell", "init", "--shell", "zsh", "--rc-file", zshrc)
    assert doc == {"success": True, "changed": [str(zshrc)]}
    assert "shell-hook --shell zsh" in zshrc.read_text()

    envctl.run("shell", "deinit")
    assert bashrc.read_text() == "export KEEP=1\n"
    assert "nothing changed" in envctl.run("shell", "deinit").stdout
    envctl.run("shell", "deinit", "--rc-file", zshrc)
    assert zshrc.read_text() == ""


def test_hook_is_valid_shell_code(envctl):
    for shell in ("bash", "zsh"):
        hook = envctl.run("shell-hook", "--shell", shell).stdout
        subprocess.run([shell, "-n"], input=hook, text=True, check=True)
    assert "function envctl" in envctl.run("shell-hook", "--shell", "fish").stdout
    doc = envctl.json("shell-hook", "--shell", "posix")
    assert doc["shell"] == "posix" and "envctl()" in doc["hook"]
