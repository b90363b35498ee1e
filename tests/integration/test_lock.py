"""envctl lock and lock --check against repodata-only channels served on loopback."""
import shutil

import pytest
import yaml

from testkit.channel import record, write_channel
from testkit.pypi import build_wheel, write_index

PLATFORMS = ("linux-64", "osx-arm64")


def channel_records(extra=()):
    records = []
    for platform in PLATFORMS:
        glibc = ["__glibc >=2.17"] if platform == "linux-64" else []
        records += [
            record("python", "3.11.9", "h_0_cpython", subdir=platform, depends=["libzlib >=1.2.13,<2"] + glibc,
                   timestamp=1712000000000),
            record("libzlib", "1.2.13", "h_0", subdir=platform, timestamp=1680000000000),
            record("libzlib", "1.3.1", "h_0", subdir=platform, timestamp=1710000000000),
            record("numpy", "1.26.4", "py311_0", subdir=platform, depends=["python >=3.11,<3.12.0a0", "libzlib >=1.2"],
                   timestamp=1707000000000),
            record("numpy", "2.0.1", "py311_0", subdir=platform, depends=["python >=3.11,<3.12.0a0", "libzlib >=1.3"],
                   timestamp=1721000000000),
        ]
    records += [
        record("pip", "24.0", "pyhd8ed1ab_0", subdir="noarch", noarch="python", depends=["python >=3.8"]),
        record("requests", "2.31.0", "pyhd8ed1ab_0", subdir="noarch", noarch="python", depends=["python >=3.8", "idna >=2.5"]),
        record("idna", "3.6", "pyhd8ed1ab_0", subdir="noarch", noarch="python", depends=["python >=3.6"]),
        record("six", "1.16.0", "pyh_0", subdir="noarch", noarch="python", depends=["python"]),
    ]
    return records + list(extra)


def make_channel(root, extra=()):
    return write_channel(root, channel_records(extra), subdirs=PLATFORMS + ("noarch",))


def write_env(path, channel, deps, pip=(), platforms=None):
    lines = ["name: test", "channels:", f"  - {channel}", "dependencies:"]
    lines += [f"  - {dep}" for dep in deps]
    if pip:
        lines.append("  - pip:")
        lines += [f"    - {line}" for line in pip]
    if platforms:
        lines.append("platforms:")
        lines += [f"  - {platform}" for platform in platforms]
    path.write_text("\n".join(lines) + "\n")
    return path


def locked(lockfile, platform="linux-64"):
    document = yaml.safe_load(lockfile.read_text())
    return {p["name"]: (p["version"], p.get("build")) for p in document["package"] if p["platform"] == platform}


@pytest.fixture
def project(tmp_path, serve, home):
    server = serve(make_channel(tmp_path / "chan"))
    # The pip: lines these tests write resolve against a local simple index, not pypi.org.
    dists = [build_wheel(tmp_path / "dist", "flask", "2.3.3"), build_wheel(tmp_path / "dist", "rich", "13.7.0")]
    index = serve(write_index(tmp_path / "index", dists))
    config = home / ".config" / "envctl" / "config.yml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f"pypi_index_url: {index.url}/simple\n")
    work = tmp_path / "project"
    work.mkdir()
    return server, work


def test_lock_twice_is_byte_identical(envctl, project):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python 3.11.*", "numpy", "requests"])
    first = envctl.json("lock", "-f", env)
    lockfile = work / "envctl-lock.yml"
    assert first["written"] and first["lockfile"] == str(lockfile)
    text = lockfile.read_bytes()
    second = envctl.json("lock", "-f", env)
    assert not second["written"] and second["changes"] == []
    assert lockfile.read_bytes() == text

    document = yaml.safe_load(text)
    assert document["version"] == 1
    assert list(document["metadata"]) == ["content_hash", "channels", "platforms", "sources"]
    assert document["metadata"]["sources"] == ["environment.yml"]
    assert document["metadata"]["channels"] == [{"url": server.url, "used_env_vars": []}]
    names = locked(lockfile)
    assert names["numpy"] == ("2.0.1", "py311_0")
    assert names["libzlib"] == ("1.3.1", "h_0")
    assert set(names) == {"python", "numpy", "libzlib", "requests", "idna", "pip"}
    for package in document["package"]:
        assert list(package)[:4] == ["name", "version", "manager", "platform"]
        assert package["manager"] == "conda" and package["category"] == "main" and package["optional"] is False
        assert len(package["hash"]["md5"]) == 32 and len(package["hash"]["sha256"]) == 64
        assert isinstance(package["dependencies"], dict)
    requests = next(p for p in document["package"] if p["name"] == "requests")
    assert requests["url"] == f"{server.url}/noarch/requests-2.31.0-pyhd8ed1ab_0.conda"
    assert requests["dependencies"] == {"idna": ">=2.5", "python": ">=3.8"}
    assert len(document["metadata"]["content_hash"]["linux-64"]) == 64


def test_lock_two_platforms_from_one_machine(envctl, project):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "numpy <2"], platforms=["osx-arm64", "linux-64"])
    out = envctl.json("lock", "-f", env, "-o", work / "multi-lock.yml")
    assert out["platforms"] == {"linux-64": 4, "osx-arm64": 4}
    document = yaml.safe_load((work / "multi-lock.yml").read_text())
    assert document["metadata"]["platforms"] == ["linux-64", "osx-arm64"]
    assert set(document["metadata"]["content_hash"]) == {"linux-64", "osx-arm64"}
    platforms = [p["platform"] for p in document["package"]]
    assert platforms == sorted(platforms)
    for platform in ("linux-64", "osx-arm64"):
        names = locked(work / "multi-lock.yml", platform)
        assert names["numpy"] == ("1.26.4", "py311_0")
        python = next(p for p in document["package"] if p["name"] == "python" and p["platform"] == platform)
        assert python["url"].endswith(f"/{platform}/python-3.11.9-h_0_cpython.conda")
    linux_python = next(p for p in document["package"] if p["name"] == "python" and p["platform"] == "linux-64")
    assert linux_python["dependencies"]["__glibc"] == ">=2.17"


def test_check_passes_then_fails_after_edits_then_passes_after_relock(envctl, project):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "numpy"], pip=["flask>=2"])
    envctl.json("lock", "-f", env)
    assert envctl.json("lock", "--check", "-f", env)["current"] is True
    # The check needs no network: stop the server.
    server.stop()
    assert envctl.run("lock", "--check", "-f", env).returncode == 0

    write_env(env, server.url, ["python", "numpy <2"], pip=["flask>=2"])
    out = envctl.json("lock", "--check", "-f", env, expect=1)
    assert out["current"] is False
    assert any("numpy <2" in reason and "2.0.1" in reason for reason in out["reasons"])
    text = envctl.run("lock", "--check", "-f", env, expect=1).stderr
    assert "stale" in text and "numpy <2" in text

    write_env(env, server.url, ["python", "numpy"], pip=["flask>=2", "rich"])
    out = envctl.json("lock", "--check", "-f", env, expect=1)
    assert any("pip section" in reason for reason in out["reasons"])

    write_env(env, server.url, ["python", "numpy"])
    out = envctl.json("lock", "--check", "-f", env, expect=1)
    assert any("pip section" in reason for reason in out["reasons"])


def test_relock_after_edit_passes(envctl, project):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "numpy"], pip=["flask>=2"])
    envctl.json("lock", "-f", env)
    write_env(env, server.url, ["python", "numpy <2"], pip=["flask>=2", "rich"])
    envctl.json("lock", "--check", "-f", env, expect=1)
    out = envctl.json("lock", "-f", env)
    assert "linux-64: ~ numpy 2.0.1 py311_0 -> 1.26.4 py311_0" in out["changes"]
    assert envctl.json("lock", "--check", "-f", env)["current"] is True
    document = yaml.safe_load((work / "envctl-lock.yml").read_text())
    assert document["metadata"]["custom_metadata"]["envctl.pip"] == "flask>=2\nrich"


def test_check_reports_removed_spec_and_changed_channels(envctl, project, tmp_path, serve):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "numpy", "requests"])
    envctl.json("lock", "-f", env)
    write_env(env, server.url, ["python", "numpy"])
    out = envctl.json("lock", "--check", "-f", env, expect=1)
    assert any("requests" in reason and "not required" in reason for reason in out["reasons"])
    other = serve(make_channel(tmp_path / "other"))
    write_env(env, other.url, ["python", "numpy", "requests"])
    out = envctl.json("lock", "--check", "-f", env, expect=1)
    assert any("channels changed" in reason for reason in out["reasons"])


def test_relock_after_adding_a_package_changes_only_its_entries(envctl, project, tmp_path):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "numpy"])
    envctl.json("lock", "-f", env)
    before = locked(work / "envctl-lock.yml")
    # A newer libzlib appears in the channel: a fresh solve would take it, a relock keeps the lock.
    make_channel(tmp_path / "chan", extra=[record("libzlib", "1.3.2", "h_0", subdir="linux-64", timestamp=1720000000000)])
    write_env(env, server.url, ["python", "numpy", "six"])
    out = envctl.json("lock", "-f", env)
    assert out["changes"] == ["linux-64: + six 1.16.0 pyh_0"]
    after = locked(work / "envctl-lock.yml")
    assert after == {**before, "six": ("1.16.0", "pyh_0")}
    out = envctl.json("lock", "-f", env, "--update", "libzlib")
    assert out["changes"] == ["linux-64: ~ libzlib 1.3.1 h_0 -> 1.3.2 h_0"]


def test_channel_credentials_are_recorded_as_variables(envctl, tmp_path, serve):
    server = serve(make_channel(tmp_path / "chan"), "--token", "s3cr3t-token")
    work = tmp_path / "project"
    work.mkdir()
    env = write_env(work / "environment.yml", f"{server.url}/t/${{CHANNEL_TOKEN}}", ["python"])
    envctl.json("lock", "-f", env, env={"CHANNEL_TOKEN": "s3cr3t-token"})
    text = (work / "envctl-lock.yml").read_text()
    assert "s3cr3t-token" not in text
    document = yaml.safe_load(text)
    assert document["metadata"]["channels"] == [{"url": f"{server.url}/t/${{CHANNEL_TOKEN}}",
                                                 "used_env_vars": ["CHANNEL_TOKEN"]}]
    assert all("/t/" not in p["url"] for p in document["package"])
    assert envctl.json("lock", "--check", "-f", env)["current"] is True


def test_errors(envctl, project):
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "nothere"])
    out = envctl.json("lock", "-f", env, expect=1)
    assert out["kind"] == "unsatisfiable" and "nothere" in out["error"]
    assert not (work / "envctl-lock.yml").exists()
    out = envctl.json("lock", "--check", "-f", env, expect=2)
    assert "no lockfile" in out["error"]
    (work / "envctl-lock.yml").write_text("version: 1\nmetadata:\n  platforms: [linux-64]\npackage:\n- name: a\n")
    out = envctl.json("lock", "--check", "-f", env, expect=2)
    assert "envctl-lock.yml:5" in out["error"]
    envctl.run("lock", "-f", env, "--platform", "linux-65", expect=2)


def test_micromamba_reads_envctl_lockfiles(envctl, project, tmp_path):
    micromamba = shutil.which("micromamba")
    if not micromamba:
        pytest.skip("micromamba is not installed; this test checks that it reads envctl lockfiles")
    import subprocess
    server, work = project
    env = write_env(work / "environment.yml", server.url, ["python", "numpy"])
    envctl.json("lock", "-f", env)
    proc = subprocess.run([micromamba, "create", "--dry-run", "--json", "-y", "-r", str(tmp_path / "mamba"), "-p",
                           str(tmp_path / "mm-env"), "-f", str(work / "envctl-lock.yml")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for name in locked(work / "envctl-lock.yml"):
        assert name in proc.stdout
