"""envctl lock with a pip: section: a local PEP 503/691 simple index on loopback (wheels built by
testkit.pypi plus the real wheels of ../shared/fixtures/wheels), a repodata-only conda channel."""
import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

from testkit.channel import record, write_channel
from testkit.pypi import Wheel, build_sdist, build_wheel, write_index

SERVERS = {}
FIXTURE_WHEELS = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "wheels"


def conda_channel(root):
    records = [
        record("python", "3.11.9", "h_0_cpython", subdir="linux-64", depends=["__glibc >=2.17"]),
        record("numpy", "1.26.4", "py311_0", subdir="linux-64", depends=["python >=3.11,<3.12.0a0"]),
        record("pip", "24.0", "pyhd8ed1ab_0", subdir="noarch", noarch="python", depends=["python >=3.8"]),
    ]
    return write_channel(root, records, subdirs=("linux-64", "noarch"))


def fixture_wheel(path):
    with zipfile.ZipFile(path) as archive:
        metadata_name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        metadata = archive.read(metadata_name)
    name, version = path.name.split("-")[:2]
    return Wheel(name, version, path, metadata)


def standard_dists(dist):
    return [
        build_wheel(dist, "app", "1.0", requires_dist=["lib<2", "fastlib>=1; extra == 'fast'",
                                                       "winonly; sys_platform == 'win32'", "numpy>=1.20"],
                    provides_extra=["fast"]),
        build_wheel(dist, "lib", "1.0"),
        build_wheel(dist, "lib", "1.5"),
        build_wheel(dist, "lib", "1.8", requires_python=">=3.12"),
        build_wheel(dist, "lib", "1.9"),
        build_wheel(dist, "lib", "2.0rc1"),
        build_wheel(dist, "fastlib", "1.2"),
        build_wheel(dist, "winonly", "1.0"),
        build_wheel(dist, "numpy", "2.0.0", tags="cp311-cp311-manylinux_2_17_x86_64"),
        build_wheel(dist, "newest", "1.0"),
        build_wheel(dist, "newest", "2.0b1"),
        build_sdist(dist, "buildme", "1.0"),
    ]


@pytest.fixture
def project(tmp_path, serve):
    channel = serve(conda_channel(tmp_path / "channel"))
    dists = standard_dists(tmp_path / "dist")
    index_root = write_index(tmp_path / "index", dists, yanked={"lib-1.9-py3-none-any.whl": "broken"})
    index = serve(index_root)
    work = tmp_path / "project"
    work.mkdir()
    SERVERS["index"] = index
    return channel, f"{index.url}/simple", work, index_root


def write_env(path, channel, pip, deps=("python", "pip")):
    lines = ["name: test", "channels:", f"  - {channel.url}", "dependencies:"]
    lines += [f"  - {dep}" for dep in deps]
    lines.append("  - pip:")
    lines += [f"    - {line}" for line in pip]
    lines += ["platforms:", "  - linux-64"]
    path.write_text("\n".join(lines) + "\n")
    return path


def pip_entries(lockfile):
    document = yaml.safe_load(lockfile.read_text())
    return {p["name"]: p for p in document["package"] if p["manager"] == "pip"}


def test_lock_writes_pip_entries_with_hashes(envctl, project):
    channel, index, work, root = project
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", "app[fast]"], deps=("python", "numpy"))
    envctl.json("lock", "-f", env)
    entries = pip_entries(work / "envctl-lock.yml")
    # numpy comes from conda; winonly's marker is false on linux; the extra brings fastlib;
    # lib: 1.9 is yanked, 1.8 needs python 3.12, 2.0rc1 is a pre-release, so 1.5.
    assert {name: e["version"] for name, e in entries.items()} == {"app": "1.0", "fastlib": "1.2", "lib": "1.5"}
    for name, entry in entries.items():
        assert entry["platform"] == "linux-64"
        filename = entry["url"].rsplit("/", 1)[1]
        assert entry["hash"]["sha256"] == hashlib.sha256((root / "files" / filename).read_bytes()).hexdigest()
        assert entry["url"].startswith("http://127.0.0.1")
    assert entries["app"]["dependencies"]["lib"] == "<2"
    assert entries["app"]["dependencies"]["fastlib"] == ">=1"
    assert "winonly" not in entries["app"]["dependencies"]
    # PEP 658 metadata files were enough: no wheel was downloaded to lock.
    paths = [r["path"] for r in SERVERS["index"].requests()]
    assert any(p.endswith(".whl.metadata") for p in paths)
    assert not any(p.endswith(".whl") for p in paths)


def test_conda_provided_package_is_not_locked_for_pip(envctl, project):
    channel, index, work, _ = project
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", "app"], deps=("python", "numpy"))
    envctl.json("lock", "-f", env)
    entries = pip_entries(work / "envctl-lock.yml")
    assert "numpy" not in entries
    assert set(entries) == {"app", "lib"}


def test_numpy_from_the_index_when_conda_lacks_it(envctl, project):
    channel, index, work, _ = project
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", "app"])
    envctl.json("lock", "-f", env)
    entries = pip_entries(work / "envctl-lock.yml")
    assert entries["numpy"]["version"] == "2.0.0"
    assert entries["numpy"]["url"].endswith("numpy-2.0.0-cp311-cp311-manylinux_2_17_x86_64.whl")


def test_conflict_with_conda_package_is_explained(envctl, project):
    channel, index, work, _ = project
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", "numpy>=2"], deps=("python", "numpy"))
    result = envctl.run("lock", "-f", env, expect=1)
    assert "numpy 1.26.4 (conda)" in result.stderr
    assert "environment.yml" in result.stderr


def test_prereleases_yanked_and_pins(envctl, project):
    channel, index, work, _ = project
    env = work / "environment.yml"
    cases = [
        (["lib", "newest"], {"lib": "1.5", "newest": "1.0"}),
        (["--pre", "lib", "newest"], {"lib": "2.0rc1", "newest": "2.0b1"}),
        (["lib>=2.0rc1"], {"lib": "2.0rc1"}),
        (["lib==1.9"], {"lib": "1.9"}),  # yanked, but pinned exactly
    ]
    for lines, expected in cases:
        (work / "envctl-lock.yml").unlink(missing_ok=True)  # no locked versions to prefer
        write_env(env, channel, [f"--index-url {index}"] + lines)
        envctl.json("lock", "-f", env)
        assert {n: e["version"] for n, e in pip_entries(work / "envctl-lock.yml").items()} == expected, lines


def test_requirements_and_constraints_files(envctl, project):
    channel, index, work, _ = project
    (work / "reqs").mkdir()
    (work / "reqs" / "base.txt").write_text(f"--index-url {index}\napp\n-c constraints.txt\n")
    (work / "reqs" / "constraints.txt").write_text("lib<1.5\n")
    env = write_env(work / "environment.yml", channel, ["-r reqs/base.txt"])
    envctl.json("lock", "-f", env)
    assert {n: e["version"] for n, e in pip_entries(work / "envctl-lock.yml").items()} == {"app": "1.0", "lib": "1.0", "numpy": "2.0.0"}


def test_index_url_from_configuration(envctl, project, home):
    channel, index, work, _ = project
    config = home / ".config" / "envctl" / "config.yml"
    config.parent.mkdir(parents=True)
    config.write_text(f"pypi_index_url: {index}\n")
    env = write_env(work / "environment.yml", channel, ["lib<1.2"])
    envctl.json("lock", "-f", env)
    assert pip_entries(work / "envctl-lock.yml")["lib"]["version"] == "1.0"


def test_direct_wheel_file_reference(envctl, project, tmp_path):
    channel, index, work, _ = project
    wheel = build_wheel(tmp_path / "local", "localpkg", "0.3", requires_dist=["lib>=1.5,<1.6"])
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", f"localpkg @ {wheel.path.as_uri()}"])
    envctl.json("lock", "-f", env)
    entries = pip_entries(work / "envctl-lock.yml")
    assert entries["localpkg"]["url"] == wheel.path.as_uri()
    assert entries["localpkg"]["hash"]["sha256"] == wheel.sha256
    assert entries["lib"]["version"] == "1.5"


def test_sdist_only_project_is_a_clear_error(envctl, project):
    channel, index, work, _ = project
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", "buildme"])
    result = envctl.run("lock", "-f", env, expect=2)
    assert "environment.yml:" in result.stderr and "'buildme'" in result.stderr
    assert "only source distributions" in result.stderr


def test_lock_is_reproducible_and_uses_the_page_cache(envctl, project):
    channel, index, work, _ = project
    env = write_env(work / "environment.yml", channel, [f"--index-url {index}", "app[fast]"])
    envctl.json("lock", "-f", env)
    first = (work / "envctl-lock.yml").read_bytes()
    (work / "envctl-lock.yml").unlink()
    before = len(SERVERS["index"].requests())
    envctl.json("lock", "-f", env)
    assert (work / "envctl-lock.yml").read_bytes() == first
    # Pages are revalidated (304), metadata files come from the cache.
    again = SERVERS["index"].requests()[before:]
    assert again and all(r["path"].startswith("/simple/") and r["status"] == 304 for r in again), again
    assert envctl.json("lock", "--check", "-f", env)["current"] is True


def test_real_fixture_wheels_without_metadata_files(envctl, serve, tmp_path):
    if not FIXTURE_WHEELS.is_dir():
        pytest.skip(f"{FIXTURE_WHEELS} is absent; this test needs the shared fixtures next to the checkout")
    wheels = [fixture_wheel(FIXTURE_WHEELS / "conda" / "small_python_package-1.0.0-py3-none-any.whl"),
              fixture_wheel(FIXTURE_WHEELS / "debian" / "wheel-0.38.4-py3-none-any.whl")]
    # No PEP 658 files: envctl reads METADATA out of the wheels themselves.
    root = write_index(tmp_path / "index", wheels, metadata_files=False)
    index = serve(root)
    channel = serve(conda_channel(tmp_path / "channel"))
    work = tmp_path / "project"
    work.mkdir()
    env = write_env(work / "environment.yml", channel, [f"--index-url {index.url}/simple", "small-python-package", "wheel"])
    envctl.json("lock", "-f", env)
    entries = pip_entries(work / "envctl-lock.yml")
    assert entries["small-python-package"]["version"] == "1.0.0"
    assert entries["wheel"]["version"] == "0.38.4"
    assert entries["wheel"]["hash"]["sha256"] == hashlib.sha256(wheels[1].path.read_bytes()).hexdigest()
