"""envctl run: the activated environment of the command (conda's variables, conda-meta/state,
activate.d scripts, -e, --clean-env, --cwd), how the environment is selected (-p, -n, -f, the
project's environment.yml), exit codes and signal forwarding."""
import json
import select
import signal
import subprocess
import pytest

from testkit.activation import make_environment

DUMP_ENV = ["/usr/bin/python3", "-c", "import json, os; print(json.dumps(dict(os.environ)))"]


@pytest.fixture
def env_prefix(tmp_path):
    return make_environment(
        tmp_path / "env",
        env_vars={"DATA_DIR": "/data/set", "SPACED": "a b 'c'"},
        activate={"10-first.sh": 'export FROM_SCRIPT="script:$DATA_DIR"\nexport ORDER="${ORDER}1"\necho activate chatter\n',
                  "20-second.sh": 'export ORDER="${ORDER}2"\nunset REMOVE_ME\n',
                  "ignored.fish": "set -gx FISH 1\n"},
        programs={"hello": "#!/bin/sh\necho hello from the environment\n"})


def run_json_env(envctl, *args, **kwargs):
    proc = envctl.run("run", *args, "--", *DUMP_ENV, **kwargs)
    return json.loads(proc.stdout)


def test_run_sets_conda_variables_state_and_scripts(envctl, env_prefix):
    env = run_json_env(envctl, "-p", env_prefix, env={"DATA_DIR": "/before", "REMOVE_ME": "x", "KEEP_ME": "y"})
    assert env["PATH"].split(":")[0] == str(env_prefix / "bin")
    assert env["CONDA_PREFIX"] == str(env_prefix)
    assert env["CONDA_SHLVL"] == "1"
    assert env["CONDA_DEFAULT_ENV"] == str(env_prefix)
    assert env["CONDA_PROMPT_MODIFIER"] == f"({env_prefix}) "
    assert env["DATA_DIR"] == "/data/set"
    assert env["__CONDA_SHLVL_0_DATA_DIR"] == "/before"
    assert env["SPACED"] == "a b 'c'"
    assert env["FROM_SCRIPT"] == "script:/data/set"
    assert env["ORDER"] == "12"
    assert "REMOVE_ME" not in env and "FISH" not in env
    assert env["KEEP_ME"] == "y"


def test_run_finds_programs_of_the_environment_first(envctl, env_prefix):
    proc = envctl.run("run", "-p", env_prefix, "hello")
    assert proc.stdout == "hello from the environment\n"
    # The scripts' own output goes to stderr, not into the command's stdout.
    assert "activate chatter" in proc.stderr


def test_run_extra_variables_clean_env_and_cwd(envctl, env_prefix, tmp_path):
    env = run_json_env(envctl, "-p", env_prefix, "-e", "DATA_DIR=/override", "-e", "EMPTY=", "--clean-env",
                       env={"SECRET_TOKEN": "s", "LC_ALL": "C.UTF-8"})
    assert env["DATA_DIR"] == "/override" and env["EMPTY"] == ""
    assert "SECRET_TOKEN" not in env
    assert env["LC_ALL"] == "C.UTF-8"
    assert env["PATH"] == f"{env_prefix}/bin:/usr/local/bin:/usr/bin:/bin"
    work = tmp_path / "work dir"
    work.mkdir()
    assert envctl.run("run", "-p", env_prefix, "--cwd", work, "--", "pwd").stdout.strip() == str(work)
    assert "--cwd" in envctl.run("run", "-p", env_prefix, "--cwd", tmp_path / "nope", "--", "pwd", expect=2).stderr
    assert "VAR=VALUE" in envctl.run("run", "-p", env_prefix, "-e", "NOEQUALS", "--", "true", expect=2).stderr


def test_everything_after_the_command_name_is_the_commands(envctl, env_prefix):
    proc = envctl.run("run", "-p", env_prefix, "--", "sh", "-c", 'echo "$@"', "x", "--json", "-v", "-p", "env")
    assert proc.stdout == "--json -v -p env\n"
    # Without "--", and with a command that is also an envctl command name.
    assert "CONDA_PREFIX=" in envctl.run("run", "-p", env_prefix, "env").stdout
    assert envctl.run("run", "-p", env_prefix, "sh", "-c", "echo ok").stdout == "ok\n"


def test_exit_codes(envctl, env_prefix):
    assert envctl.run("run", "-p", env_prefix, "--", "sh", "-c", "exit 7", expect=7)
    assert envctl.run("run", "-p", env_prefix, "--", "sh", "-c", "exit 0", expect=0)
    # Killed by a signal: 128 + N, as shells report it.
    envctl.run("run", "-p", env_prefix, "--", "sh", "-c", "kill -TERM $$", expect=128 + signal.SIGTERM)
    proc = envctl.run("run", "-p", env_prefix, "--", "no-such-program-xyz", expect=127)
    assert "command not found" in proc.stderr
    (env_prefix / "bin" / "not-executable").write_text("data\n")
    envctl.run("run", "-p", env_prefix, "--", str(env_prefix / "bin" / "not-executable"), expect=126)
    assert "no command" in envctl.run("run", "-p", env_prefix, expect=2).stderr


def test_errors_before_the_command_use_envctl_codes(envctl, tmp_path, env_prefix):
    proc = envctl.run("run", "-p", tmp_path / "missing", "--", "true", expect=2)
    assert "not an environment" in proc.stderr
    proc = envctl.run("--json", "run", "-p", tmp_path / "missing", "--", "true", expect=2)
    doc = json.loads(proc.stdout)
    assert doc["success"] is False and doc["kind"] == "input"
    broken = make_environment(tmp_path / "broken", activate={"a.sh": "exit 5\n"})
    proc = envctl.run("run", "-p", broken, "--", "true", expect=2)
    assert "a.sh" in proc.stderr and "exit status 5" in proc.stderr


def test_environment_selection(envctl, tmp_path):
    named = make_environment(tmp_path / "root" / "envs" / "ml")
    env = run_json_env(envctl, "-n", "ml")
    assert env["CONDA_PREFIX"] == str(named)
    assert env["CONDA_DEFAULT_ENV"] == "ml"
    assert "no environment named 'nope'" in envctl.run("run", "-n", "nope", "--", "true", expect=2).stderr

    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "environment.yml").write_text("name: proj\ndependencies:\n  - python\n")
    local = make_environment(project / ".envctl" / "envs" / "proj")
    assert run_json_env(envctl, "-f", project / "environment.yml")["CONDA_PREFIX"] == str(local)
    # No selection: the environment.yml of the working folder or a parent.
    assert run_json_env(envctl, cwd=project / "src")["CONDA_PREFIX"] == str(local)
    assert "environment.yml" in envctl.run("run", "--", "true", cwd=tmp_path, expect=2).stderr


def test_run_inside_an_active_environment_switches(envctl, env_prefix, tmp_path):
    outer = make_environment(tmp_path / "outer", env_vars={"OUTER_ONLY": "1"},
                             deactivate={"x.sh": "export LEFT_OUTER=yes\n"})
    base = {"PATH": f"{outer}/bin:/usr/bin:/bin", "CONDA_PREFIX": str(outer), "CONDA_SHLVL": "1", "OUTER_ONLY": "1"}
    env = run_json_env(envctl, "-p", env_prefix, env=base)
    assert env["PATH"].split(":")[:2] == [str(env_prefix / "bin"), "/usr/bin"]
    assert env["CONDA_SHLVL"] == "2" and env["CONDA_PREFIX_1"] == str(outer)
    assert "OUTER_ONLY" not in env
    assert env["LEFT_OUTER"] == "yes"


SIGNAL_CHILD = """
import os, signal, sys, time
def handler(number, frame):
    os.write(1, b"got %d\\n" % number)
    os._exit(40 + number)
for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(number, handler)
print("ready", flush=True)
time.sleep(60)
sys.exit(99)
"""


def start(envctl, *args):
    merged = dict(envctl.env)
    return subprocess.Popen([envctl.binary, *map(str, args)], env=merged, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_line(proc, expected, timeout=30):
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, f"no output from the command within {timeout}s"
    line = proc.stdout.readline()
    assert line.strip() == expected, line


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_are_forwarded_to_the_command(envctl, env_prefix, number):
    proc = start(envctl, "run", "-p", env_prefix, "--", "/usr/bin/python3", "-c", SIGNAL_CHILD)
    try:
        wait_for_line(proc, "ready")
        proc.send_signal(number)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    # envctl survived the signal, passed it on, and exits with the command's code.
    assert out.strip() == f"got {int(number)}", err
    assert proc.returncode == 40 + number


def test_a_command_killed_by_a_forwarded_signal_gives_128_plus_n(envctl, env_prefix):
    proc = start(envctl, "run", "-p", env_prefix, "--", "sh", "-c", "echo ready; exec sleep 60")
    try:
        wait_for_line(proc, "ready")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM
