"""envctl env list: root, envs_dirs and the registry of environments envctl created (per-project
and -p prefixes), which forgets prefixes that disappear."""
import shutil

import pytest

from testkit import condapkg as ck
from testkit import prefix as pk


@pytest.fixture
def channel(tmp_path):
    build = tmp_path / "build"
    package = ck.build_package(build, "tool", "1.0", "0", files=[ck.text_file("share/tool.txt", "tool\n")])
    return ck.write_channel_from_packages(tmp_path / "channel", [package])


def test_lists_root_named_project_and_path_environments(envctl, serve, channel, tmp_path):
    server = serve(channel)
    args = ("--override-channels", "-c", server.url, "-y")
    root = tmp_path / "root"
    envctl.run("create", "-n", "named", *args, "tool")
    project = tmp_path / "project"
    project.mkdir()
    (project / "environment.yml").write_text(f"name: web\nchannels: [{server.url}]\ndependencies: [tool]\n")
    envctl.run("create", "-f", project / "environment.yml", "tool", *args)
    envctl.run("create", "-p", tmp_path / "elsewhere", *args, "tool")
    pk.sample_prefix(root)  # the root prefix is an environment too

    out = envctl.json("env", "list")
    expected = [
        ("base", str(root), "root"),
        ("named", str(root / "envs" / "named"), "named"),
        ("elsewhere", str(tmp_path / "elsewhere"), "other"),
        ("web", str(project / ".envctl" / "envs" / "web"), "project"),
    ]
    assert [(e["name"], e["prefix"], e["kind"]) for e in out["environments"]] == expected
    assert out["envs"] == [prefix for _, prefix, _ in expected]
    registry = (root / "environments.txt").read_text().splitlines()
    assert str(tmp_path / "elsewhere") in registry and str(project / ".envctl" / "envs" / "web") in registry

    text = envctl.run("env", "list", env={"CONDA_PREFIX": str(tmp_path / "elsewhere")}).stdout
    assert any(line.split()[:3] == ["elsewhere", "*", str(tmp_path / "elsewhere")] for line in text.splitlines()), text
    assert f"{project / '.envctl' / 'envs' / 'web'}  (project)" in text

    # A prefix deleted by hand disappears from the list and from the registry.
    shutil.rmtree(tmp_path / "elsewhere")
    out = envctl.json("env", "list")
    assert str(tmp_path / "elsewhere") not in out["envs"]
    assert str(tmp_path / "elsewhere") not in (root / "environments.txt").read_text()
    # A second create of the same prefix does not register it twice.
    envctl.run("create", "-p", tmp_path / "again", *args, "tool")
    envctl.run("install", "-p", tmp_path / "again", *args, "tool")
    assert (root / "environments.txt").read_text().splitlines().count(str(tmp_path / "again")) == 1


def test_empty(envctl):
    assert envctl.json("env", "list") == {"envs": [], "environments": []}
    assert "no environments yet" in envctl.run("env", "list").stdout
