"""Credentials never leak: a token channel (/t/<token>/), basic auth in the channel URL,
.netrc credentials and channels with credentials in the config file. envctl create, lock,
export, search, info and config list run with and without --json and with -vv; then stdout,
stderr and every file envctl wrote (home, caches, prefix, lockfile) are searched for the
secrets."""
import os
from pathlib import Path

import pytest

from testkit import condapkg as ck

TOKEN = "tk-LEAKCHECK-5f2b9a"
PASSWORD = "pw-LEAKCHECK-81c3"
NETRC_PASSWORD = "nrc-LEAKCHECK-77e0"
SECRETS = (TOKEN, PASSWORD, NETRC_PASSWORD)


@pytest.fixture
def channel(tmp_path):
    build = tmp_path / "build"
    packages = [ck.build_package(build, "demo", "1.0", "0", depends=["dep"],
                                 files=[ck.text_file("share/demo.txt", "demo\n")]),
                ck.build_package(build, "dep", "1.0", "0", fmt=".tar.bz2", files=[ck.text_file("share/dep.txt", "d\n")])]
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def leaks_in_tree(root):
    """(path, secret) for every file under root whose name or bytes hold a secret."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        for name in files + dirs:
            path = Path(dirpath, name)
            for secret in SECRETS:
                if secret in str(path):
                    found.append((str(path), secret))
            # The inputs the test wrote hold the secrets on purpose.
            if path.is_file() and not path.is_symlink() and path.name not in (".netrc", "channel-secrets.yml",
                                                                               "environment.yml"):
                data = path.read_bytes()
                found += [(str(path), s) for s in SECRETS if s.encode() in data]
    return found


def run_everything(envctl, tmp_path, url, label, env=None):
    """Every command that touches the channel, in text and JSON, plain and with -vv; returns
    the combined output."""
    out = []
    prefix = tmp_path / f"env-{label}"
    project = tmp_path / f"project-{label}"
    project.mkdir()
    envfile = project / "environment.yml"
    envfile.write_text(f"name: demo\nchannels:\n  - {url}\n  - nodefaults\ndependencies:\n  - demo\n")

    def run(*args, expect=0):
        for extra in ((), ("--json",)):
            for verbosity in ((), ("-vv",)):
                proc = envctl.run(*verbosity, *args, *extra, expect=expect, env=env)
                # (The command line itself holds the secret, so it is not part of the text searched.)
                out.append(f"$ envctl {args[0]}\n{proc.stdout}\n{proc.stderr}")

    run("create", "-p", prefix, "-c", url, "--override-channels", "-y", "demo")
    run("lock", "-f", envfile, "--platform", "linux-64")
    run("export", "-p", prefix)
    run("export", "-p", prefix, "--format", "explicit")
    run("export", "-p", prefix, "--format", "lock")
    run("search", "-c", url, "--override-channels", "--platform", "linux-64", "demo")
    run("info")
    run("config", "list")
    run("verify", "-p", prefix)
    # A failing run: an error message about the channel must not show its credentials.
    run("search", "-c", url, "--override-channels", "--platform", "linux-64", "nonexistent-package", expect=None)
    return "\n".join(out)


def assert_no_leak(output, tmp_path):
    for secret in SECRETS:
        assert secret not in output, f"{secret} in the output:\n" + \
            "\n".join(line for line in output.splitlines() if secret in line)[:2000]
    leaks = [(p, s) for p, s in leaks_in_tree(tmp_path)
             if "/channel/" not in p and "/server" not in p and "/build/" not in p]
    assert not leaks, leaks


def test_token_channel(envctl, serve, channel, tmp_path):
    server = serve(channel, "--token", TOKEN)
    output = run_everything(envctl, tmp_path, f"{server.url}/t/{TOKEN}", "token")
    assert "demo" in output
    assert any(e["path"].startswith(f"/t/{TOKEN}/") and e["status"] == 200 for e in server.requests())
    assert_no_leak(output, tmp_path)


def test_basic_auth_in_the_url(envctl, serve, channel, tmp_path):
    server = serve(channel, "--basic-auth", f"user:{PASSWORD}")
    url = f"http://user:{PASSWORD}@127.0.0.1:{server.port}"
    output = run_everything(envctl, tmp_path, url, "basic")
    assert all(e["status"] != 401 for e in server.requests() if e["authorization"] == "yes")
    assert any(e["status"] == 200 for e in server.requests())
    assert_no_leak(output, tmp_path)


def test_netrc_credentials(envctl, serve, channel, tmp_path, home):
    server = serve(channel, "--basic-auth", f"user:{NETRC_PASSWORD}")
    netrc = home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1\n  login user\n  password {NETRC_PASSWORD}\n")
    netrc.chmod(0o600)
    output = run_everything(envctl, tmp_path, server.url, "netrc")
    assert any(e["status"] == 200 and e["authorization"] == "yes" for e in server.requests())
    assert_no_leak(output, tmp_path)


def test_credentials_from_the_config_file(envctl, serve, channel, tmp_path, home):
    server = serve(channel, "--token", TOKEN)
    config = home / "channel-secrets.yml"
    config.write_text(f"channels:\n  - {server.url}/t/{TOKEN}\n")
    env = {"CONDARC": str(config)}
    out = []
    for extra in ((), ("--json",)):
        for verbosity in ((), ("-vv",)):
            for args in (("config", "list"), ("info",), ("search", "--platform", "linux-64", "demo"),
                         ("create", "-p", tmp_path / "env", "-y", "demo")):
                proc = envctl.run(*verbosity, *args, *extra, env=env)
                out.append(proc.stdout + proc.stderr)
    output = "\n".join(out)
    assert "demo" in output
    assert_no_leak(output, tmp_path)
