"""envctl create -f environment.yml with a pip: section: the conda packages (real archives,
a python that runs the system interpreter) and then the wheels from a local simple index,
through the lockfile envctl writes beside the environment file; --frozen reinstalls exactly the
locked wheels and checks their sha256."""
import subprocess

import pytest
import yaml

from testkit import condapkg as ck
from testkit import prefixes
from testkit.pypi import build_wheel, write_index


@pytest.fixture
def setup(tmp_path, serve):
    build = tmp_path / "build"
    packages = [
        prefixes.python_package(build),
        ck.build_package(build, "attrs", "23.1.0", "pyh_0", noarch="python", depends=["python"],
                         files=[ck.site_packages_module("attrs/__init__.py", "CONDA = True\n")]),
    ]
    channel = serve(ck.write_channel_from_packages(tmp_path / "channel", packages))
    dist = tmp_path / "dist"
    wheels = [
        build_wheel(dist, "app", "1.0", requires_dist=["helper>=2", "attrs>=20"], console_scripts={"app": "app:main"}),
        build_wheel(dist, "helper", "2.0"),
        build_wheel(dist, "helper", "1.0"),
        build_wheel(dist, "attrs", "99.0"),
    ]
    index = serve(write_index(tmp_path / "index", wheels))
    work = tmp_path / "project"
    work.mkdir()
    env = work / "environment.yml"
    env.write_text("name: t\nchannels:\n  - " + channel.url + "\ndependencies:\n  - python\n  - attrs\n  - pip:\n"
                   f"    - --index-url {index.url}/simple\n    - app\n")
    return env, index


def test_create_installs_locked_wheels_after_conda_packages(envctl, setup, tmp_path):
    env, index = setup
    prefix = tmp_path / "env"
    envctl.run("create", "-y", "-f", env, "-p", prefix)
    site = prefixes.site_packages(prefix)
    assert (site / "app" / "__init__.py").exists()
    assert (site / "app-1.0.dist-info" / "INSTALLER").read_text().strip() == "envctl"
    assert (site / "app-1.0.dist-info" / "REQUESTED").exists()
    assert (site / "helper-2.0.dist-info").is_dir()
    assert not (site / "helper-2.0.dist-info" / "REQUESTED").exists()
    # attrs comes from conda: its file is conda's and no wheel of it was installed.
    assert (site / "attrs" / "__init__.py").read_text() == "CONDA = True\n"
    assert not list(site.glob("attrs-*.dist-info"))
    out = subprocess.run([prefix / "bin" / "app"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "app 1.0"
    document = yaml.safe_load((env.parent / "envctl-lock.yml").read_text())
    pip_names = sorted(p["name"] for p in document["package"] if p["manager"] == "pip")
    assert pip_names == ["app", "helper"]


def test_frozen_reinstalls_the_same_wheels_and_checks_hashes(envctl, setup, tmp_path):
    env, index = setup
    envctl.json("lock", "-f", env)
    first = tmp_path / "one"
    envctl.run("create", "-y", "--frozen", "-f", env, "-p", first)
    second = tmp_path / "two"
    envctl.run("create", "-y", "--frozen", "-f", env, "-p", second)
    for prefix in (first, second):
        assert (prefixes.site_packages(prefix) / "helper-2.0.dist-info").is_dir()
    def record(prefix):
        # Scripts hold their prefix in the shebang and .pyc files their source path; every
        # other installed file is identical.
        lines = (prefixes.site_packages(prefix) / "app-1.0.dist-info" / "RECORD").read_text().splitlines()
        return [line for line in lines if not line.startswith("../") and "__pycache__" not in line]
    assert record(first) == record(second) and len(record(first)) > 4

    lockfile = env.parent / "envctl-lock.yml"
    text = lockfile.read_text()
    document = yaml.safe_load(text)
    helper = next(p for p in document["package"] if p["name"] == "helper")
    lockfile.write_text(text.replace(helper["hash"]["sha256"], "0" * 64))
    result = envctl.run("create", "-y", "--frozen", "-f", env, "-p", tmp_path / "three", expect=4)
    assert "sha256" in result.stderr


def test_dry_run_lists_the_wheels_it_would_install(envctl, setup, tmp_path):
    env, index = setup
    out = envctl.json("create", "--dry-run", "-f", env, "-p", tmp_path / "env")
    wheels = {w["name"]: w for w in out["actions"]["PIP_INSTALL"]}
    assert sorted(wheels) == ["app", "helper"]
    assert wheels["helper"]["version"] == "2.0" and len(wheels["helper"]["sha256"]) == 64
    assert wheels["app"]["requested"] and not wheels["helper"]["requested"]
    assert not (tmp_path / "env").exists()
    assert "pip requirement attrs is met by attrs 23.1.0 (conda)" in out["notes"]
