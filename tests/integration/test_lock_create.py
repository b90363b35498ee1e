"""envctl create from lockfiles and explicit files with real archives served on loopback:
--frozen without repodata, --locked on a stale lockfile, explicit files, export -> create ->
export round trips and verify after create."""
import subprocess

import pytest
import yaml

from testkit.condapkg import build_package, prefixed_text_file, text_file, write_channel_from_packages


def create_supports_lockfiles(binary):
    proc = subprocess.run([binary, "create", "--help"], capture_output=True, text=True)
    return "--frozen" in proc.stdout


@pytest.fixture
def channel(tmp_path, serve, envctl):
    if not create_supports_lockfiles(envctl.binary):
        pytest.skip("this envctl build's `create` has no lockfile options yet (cmd_create does not call run_locked_create)")
    out = tmp_path / "built"
    packages = [
        build_package(out, "libzlib", "1.3.1", "h_0", files=[text_file("lib/libz.txt", "zlib\n")]),
        build_package(out, "python", "3.11.9", "h_0", depends=["libzlib >=1.3"],
                      files=[prefixed_text_file("bin/python-config", "prefix=/opt/anaconda1anaconda2anaconda3\n")]),
        build_package(out, "tool", "1.0", "h_0", depends=["python >=3.11"], files=[text_file("bin/tool", "#!/bin/sh\n")]),
        build_package(out, "tool", "2.0", "h_0", depends=["python >=3.11"], files=[text_file("bin/tool", "#!/bin/sh\n2\n")]),
    ]
    server = serve(write_channel_from_packages(tmp_path / "chan", packages))
    return server


def write_env(path, url, deps):
    path.write_text("name: t\nchannels:\n  - " + url + "\ndependencies:\n" + "".join(f"  - {d}\n" for d in deps))
    return path


def repodata_requests(server):
    return [path for path in server.paths() if "repodata" in path]


def test_frozen_installs_without_repodata_and_verify_is_clean(envctl, channel, tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    env = write_env(work / "environment.yml", channel.url, ["tool <2"])
    envctl.json("lock", "-f", env)
    before = len(repodata_requests(channel))
    envctl.run("create", "-y", "--frozen", "-f", env, "-p", tmp_path / "env")
    assert len(repodata_requests(channel)) == before
    assert (tmp_path / "env/bin/tool").read_text() == "#!/bin/sh\n"
    envctl.json("verify", "-p", tmp_path / "env", "--lockfile", work / "envctl-lock.yml")


def test_create_uses_a_current_lockfile_and_locked_fails_when_stale(envctl, channel, tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    env = write_env(work / "environment.yml", channel.url, ["tool <2"])
    envctl.run("create", "-y", "-f", env, "-p", tmp_path / "env1")  # writes the lockfile
    assert (work / "envctl-lock.yml").exists()
    before = len(repodata_requests(channel))
    envctl.run("create", "-y", "--locked", "-f", env, "-p", tmp_path / "env2")
    assert len(repodata_requests(channel)) == before
    write_env(env, channel.url, ["tool >=2"])
    text = (work / "envctl-lock.yml").read_text()
    out = envctl.json("create", "-y", "--locked", "-f", env, "-p", tmp_path / "env3", expect=1)
    assert "stale" in out["error"]
    assert (work / "envctl-lock.yml").read_text() == text
    envctl.run("create", "-y", "-f", env, "-p", tmp_path / "env4")  # relocks
    assert "tool-2.0" in (work / "envctl-lock.yml").read_text()


def test_explicit_and_lock_exports_round_trip(envctl, channel, tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    env = write_env(work / "environment.yml", channel.url, ["tool <2"])
    envctl.run("create", "-y", "-f", env, "-p", tmp_path / "env")
    for fmt, name in (("explicit", "explicit.txt"), ("lock", "snap-lock.yml"), ("environment", "pinned.yml")):
        exported = tmp_path / name
        envctl.run("export", "-p", tmp_path / "env", "--format", fmt, "-o", exported)
        target = tmp_path / f"from-{fmt}"
        envctl.run("create", "-y", "-f", exported, "-p", target)
        first = yaml.safe_load(envctl.run("export", "-p", tmp_path / "env").stdout)["dependencies"]
        again = yaml.safe_load(envctl.run("export", "-p", target).stdout)["dependencies"]
        assert first == again
