"""envctl verify on prefixes laid out like an installer leaves them (conda-meta paths_data)."""
import json

import yaml

from testkit.prefix import add_package, sample_prefix


def lock_of(envctl, prefix, tmp_path):
    lockfile = tmp_path / "snapshot-lock.yml"
    envctl.run("export", "-p", prefix, "--format", "lock", "-o", lockfile)
    return lockfile


def test_clean_prefix(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    lockfile = lock_of(envctl, prefix, tmp_path)
    out = envctl.json("verify", "-p", prefix, "--lockfile", lockfile)
    assert out["clean"] is True and out["success"] is True
    assert out["platform"] == "linux-64"
    assert out["files_checked"] == 5
    assert out["packages_checked"] == 4  # three conda packages and one pip distribution
    text = envctl.run("verify", "-p", prefix, "--lockfile", lockfile).stdout
    assert "is clean" in text


def test_modified_deleted_and_extra(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    lockfile = lock_of(envctl, prefix, tmp_path)
    (prefix / "lib/python3.11/os.py").write_text("import sys  # edited\n")
    (prefix / "include/zlib.h").unlink()
    add_package(prefix, "six", "1.16.0", "pyh6c4a22f_0", {"lib/python3.11/site-packages/six.py": b"# six\n"},
                subdir="noarch")
    (prefix / "notes.txt").write_text("mine\n")
    (prefix / "lib/python3.11/__pycache__").mkdir()
    (prefix / "lib/python3.11/__pycache__/os.cpython-311.pyc").write_bytes(b"\0")

    out = envctl.json("verify", "-p", prefix, "--lockfile", lockfile, expect=1)
    assert out["clean"] is False
    assert out["extra_packages"] == [{"name": "six", "manager": "conda", "installed": "1.16.0 pyh6c4a22f_0"}]
    assert out["missing_packages"] == [] and out["mismatched_packages"] == []
    files = {entry["package"]: entry for entry in out["files"]}
    assert files["python"]["modified"] == ["lib/python3.11/os.py"]
    assert files["libzlib"]["missing"] == ["include/zlib.h"]
    assert out["extra_files"] == ["notes.txt"]

    text = envctl.run("verify", "-p", prefix, "--lockfile", lockfile, expect=1).stdout
    assert "modified file: lib/python3.11/os.py (python)" in text
    assert "missing file: include/zlib.h (libzlib)" in text
    assert "extra package: six 1.16.0 pyh6c4a22f_0 (conda)" in text

    # Without a lockfile only files count; --no-extra-files leaves notes.txt alone.
    out = envctl.json("verify", "-p", prefix, "--no-extra-files", expect=1)
    assert out["extra_packages"] == [] and out["extra_files"] == []


def test_missing_and_mismatched_packages(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    lockfile = lock_of(envctl, prefix, tmp_path)
    document = yaml.safe_load(lockfile.read_text())
    for package in document["package"]:
        if package["name"] == "numpy":
            package["version"] = "2.0.1"
            package["url"] = package["url"].replace("1.26.4", "2.0.1")
    document["package"].append(dict(document["package"][0], name="scipy",
                                    url="https://conda.anaconda.org/conda-forge/linux-64/scipy-1.13.0-py311_0.conda",
                                    version="1.13.0"))
    lockfile.write_text(yaml.safe_dump(document))
    out = envctl.json("verify", "-p", prefix, "--lockfile", lockfile, "--no-files", expect=1)
    assert [p["name"] for p in out["missing_packages"]] == ["scipy"]
    assert out["mismatched_packages"] == [{"name": "numpy", "manager": "conda", "installed": "1.26.4 py311h64a7726_0",
                                           "locked": "2.0.1 py311h64a7726_0"}]
    assert out["files"] == []


def test_errors_exit_2(envctl, tmp_path):
    out = envctl.json("verify", "-p", tmp_path / "nothing", expect=2)
    assert "not a conda environment" in out["error"]
    prefix = sample_prefix(tmp_path / "env")
    envctl.run("verify", "-p", prefix, "--lockfile", tmp_path / "absent-lock.yml", expect=2)
    lockfile = lock_of(envctl, prefix, tmp_path)
    out = envctl.json("verify", "-p", prefix, "--lockfile", lockfile, "--platform", "osx-arm64", expect=2)
    assert "osx-arm64" in out["error"]
    (tmp_path / "bad-lock.yml").write_text("version: 1\nmetadata: {platforms: [linux-64]}\npackage: [{name: x}]\n")
    out = envctl.json("verify", "-p", prefix, "--lockfile", tmp_path / "bad-lock.yml", expect=2)
    assert "bad-lock.yml:3" in out["error"]
    # A corrupt conda-meta record is an error too, not drift.
    (prefix / "conda-meta" / "broken-1-0.json").write_text("{not json")
    envctl.run("verify", "-p", prefix, expect=2)


def test_json_schema_fields(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    out = envctl.json("verify", "-p", prefix)
    assert set(out) >= {"success", "clean", "platform", "packages_checked", "files_checked", "missing_packages",
                        "extra_packages", "mismatched_packages", "files", "extra_files", "prefix"}
    json.dumps(out)
