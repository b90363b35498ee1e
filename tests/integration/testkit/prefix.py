"""Builds installed-looking prefixes (conda-meta records with paths_data, history, pip
dist-info folders) for the export and verify tests, without an installer."""
import hashlib
import json
from pathlib import Path

CHANNEL = "https://conda.anaconda.org/conda-forge"


def add_package(prefix, name, version, build, files, subdir="linux-64", depends=(), channel=CHANNEL,
                requested_spec=None):
    """Writes `files` ({relative path: bytes}) into the prefix and a conda-meta record for them."""
    prefix = Path(prefix)
    paths = []
    for relative, data in sorted(files.items()):
        target = prefix / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        paths.append({"_path": relative, "path_type": "hardlink", "sha256": digest, "sha256_in_prefix": digest,
                      "size_in_bytes": len(data)})
    fn = f"{name}-{version}-{build}.conda"
    archive = f"{name}-{version}-{build}".encode()
    record = {
        "name": name, "version": version, "build": build, "build_number": 0, "depends": list(depends),
        "constrains": [], "subdir": subdir, "channel": channel, "fn": fn, "url": f"{channel}/{subdir}/{fn}",
        "md5": hashlib.md5(archive).hexdigest(), "sha256": hashlib.sha256(archive).hexdigest(), "size": 1234,
        "timestamp": 1700000000000, "files": sorted(files), "paths_data": {"paths": paths, "paths_version": 1},
        "requested_spec": requested_spec or "", "link": {"source": "/pkgs/" + fn[:-6], "type": 1},
    }
    meta = prefix / "conda-meta"
    meta.mkdir(parents=True, exist_ok=True)
    (meta / f"{name}-{version}-{build}.json").write_text(json.dumps(record, indent=2))
    return record


def add_pip_distribution(prefix, name, version, files, requested=True, installer="pip",
                         site="lib/python3.11/site-packages"):
    prefix = Path(prefix)
    dist_info = prefix / site / f"{name}-{version}.dist-info"
    dist_info.mkdir(parents=True, exist_ok=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist_info / "INSTALLER").write_text(installer + "\n")
    if requested:
        (dist_info / "REQUESTED").write_text("")
    rows = [f"{name}-{version}.dist-info/{f},," for f in ("METADATA", "INSTALLER", "RECORD")]
    if requested:
        rows.append(f"{name}-{version}.dist-info/REQUESTED,,")
    for relative, data in files.items():
        target = prefix / site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        rows.append(f"{relative},,{len(data)}")
    (dist_info / "RECORD").write_text("\n".join(rows) + "\n")


def write_history(prefix, *spec_lists):
    lines = []
    for specs in spec_lists:
        lines += ["==> 2024-01-01 00:00:00 <==", "# cmd: envctl create", "# envctl version: 0.1.0",
                  f"# update specs: {specs!r}"]
    (Path(prefix) / "conda-meta" / "history").write_text("\n".join(lines) + "\n")


def sample_prefix(prefix):
    """python, libzlib and numpy, a pip-installed distribution and a history."""
    add_package(prefix, "libzlib", "1.3.1", "hb9d3cd8_2", {"lib/libz.so.1.3.1": b"zlib" * 100,
                                                          "include/zlib.h": b"/* zlib */\n"})
    add_package(prefix, "python", "3.11.9", "hb806964_0_cpython",
                {"bin/python3.11": b"\x7fELF python", "lib/python3.11/os.py": b"import sys\n"},
                depends=["libzlib >=1.3.1,<2.0a0"], requested_spec="python=3.11")
    add_package(prefix, "numpy", "1.26.4", "py311h64a7726_0",
                {"lib/python3.11/site-packages/numpy/__init__.py": b"# numpy\n"},
                depends=["python >=3.11,<3.12.0a0", "libzlib >=1.3"], requested_spec="numpy")
    add_pip_distribution(prefix, "rich", "13.7.1", {"rich/__init__.py": b"# rich\n"})
    write_history(prefix, ["python=3.11", "numpy"])
    return Path(prefix)
