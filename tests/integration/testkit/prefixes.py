"""Checks on installed prefixes, independent of envctl: what conda-meta says must be on disk.

Also the "python" test package: the archived pythons of make-channel are not interpreters, so
tests that need a working entry point install a `python` package whose bin/python is a small
shell script that execs the system interpreter (/usr/bin/python3) with the same arguments.
"""
import hashlib
import json
import os
import subprocess
from pathlib import Path

from testkit import condapkg as ck

SYSTEM_PYTHON = "/usr/bin/python3"


def python_package(out_dir, version=None, build="0"):
    """A `python` package of the system interpreter's version whose bin/python runs it."""
    version = version or system_python_version()
    short = ".".join(version.split(".")[:2])
    # The system interpreter does not know the environment: its site-packages goes on PYTHONPATH.
    wrapper = (f'#!/bin/sh\nsite="$(dirname "$0")/../lib/python{short}/site-packages"\n'
               f'PYTHONPATH="$site${{PYTHONPATH:+:$PYTHONPATH}}" exec {SYSTEM_PYTHON} "$@"\n')
    return ck.build_package(out_dir, "python", version, build, files=[
        ck.PackageFile("bin/python", wrapper.encode(), mode=0o755),
        ck.text_file(f"lib/python{short}/site-packages/README.txt", "site\n"),
    ])


def system_python_version():
    out = subprocess.run([SYSTEM_PYTHON, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         capture_output=True, text=True, check=True).stdout
    return out.strip()


def sha256_of(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def site_packages(prefix):
    """The site-packages folder of the environment's python (lib/pythonX.Y/site-packages)."""
    return next((Path(prefix) / "lib").glob("python*/site-packages"))


def records(prefix):
    """conda-meta/*.json of a prefix, by dist name."""
    meta = Path(prefix) / "conda-meta"
    return {p.stem: json.loads(p.read_text()) for p in sorted(meta.glob("*.json"))}


def files_on_disk(prefix):
    """Every file and symlink under the prefix, outside conda-meta, relative, as a set."""
    prefix = Path(prefix)
    found = set()
    for root, dirs, files in os.walk(prefix):
        rel_root = Path(root).relative_to(prefix)
        if rel_root.parts[:1] == ("conda-meta",):
            dirs[:] = []
            continue
        for name in files + [d for d in dirs if (Path(root) / d).is_symlink()]:
            found.add(str(rel_root / name) if str(rel_root) != "." else name)
    return found


def check_consistent(prefix, allow_extra=()):
    """A prefix as envctl promises it after any run, killed or not: no journal or trash left,
    every recorded file present with its recorded sha256_in_prefix, and no file on disk that
    no record owns (nothing from a half-linked package). Returns the records."""
    prefix = Path(prefix)
    meta = prefix / "conda-meta"
    assert not (meta / ".envctl-transaction.json").exists(), "a transaction journal was left behind"
    assert not (meta / ".envctl-trash").exists(), "a transaction trash folder was left behind"
    found = records(prefix)
    owned = set()
    expected = {}  # path -> sha256_in_prefix of each owner (several when packages clobber)
    for dist, record in found.items():
        assert record["files"] == [p["_path"] for p in record["paths_data"]["paths"]], dist
        for entry in record["paths_data"]["paths"]:
            path = prefix / entry["_path"]
            owned.add(entry["_path"])
            kind = entry.get("path_type", "hardlink")
            if kind == "softlink":
                assert path.is_symlink(), f"{dist}: {entry['_path']} is not a symlink"
            elif kind == "directory":
                assert path.is_dir(), f"{dist}: {entry['_path']} is not a directory"
            elif kind == "pyc_file":
                assert path.is_file(), f"{dist}: {entry['_path']} is missing"
            else:
                assert path.is_file(), f"{dist}: {entry['_path']} is missing"
                expected.setdefault(entry["_path"], []).append((dist, entry["sha256_in_prefix"]))
    for relative, owners in expected.items():
        actual = sha256_of(prefix / relative)
        assert any(sha == actual for _, sha in owners), f"{relative} matches none of {[d for d, _ in owners]}"
    on_disk = {p for p in files_on_disk(prefix) if not any(p.startswith(a) for a in allow_extra)}
    stray = on_disk - owned
    assert not stray, f"files no package owns: {sorted(stray)[:10]}"
    return found
