#!/usr/bin/env python3
"""Regenerates the seeds of fuzz_package_archive and fuzz_paths_json with testkit/condapkg.py.

Each package_archive seed starts with the byte the fuzzer reads as its mode: 0 .tar.bz2,
1 .conda, 2 uncompressed tar (which the fuzzer compresses itself).
    python3 tests/fuzz/make_package_seeds.py
"""
import bz2
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from testkit import condapkg as ck  # noqa: E402


def trimmed_tar(data):
    """A tar without tarfile's record padding: the data blocks, then two zero blocks."""
    data = data.rstrip(b"\0")
    return data + b"\0" * (-len(data) % 512) + b"\0" * 1024


def main():
    archives = HERE / "corpus" / "package_archive"
    texts = HERE / "corpus" / "paths_json"
    archives.mkdir(parents=True, exist_ok=True)
    texts.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp())
    files = [ck.text_file("share/a.txt", "a\n"), ck.prefixed_text_file("etc/x.conf", "{prefix}\n"),
             ck.empty_directory("var/empty"), *ck.symlink_examples()]
    built = {}
    for fmt in (".conda", ".tar.bz2"):
        built[f"valid{fmt}"] = ck.build_package(work, "seed", "1.0", files=files, fmt=fmt).path
        built[f"noarch-python{fmt}"] = ck.build_package(
            work, "pyseed", "1.0", noarch="python", entry_points=["t = m:f"], fmt=fmt,
            files=[ck.site_packages_module("m.py", "def f(): pass\n")]).path
        for kind in ("path-traversal", "symlink-escape", "hardlink-escape", "setuid", "non-utf8-name"):
            built[f"{kind}{fmt}"] = ck.build_hostile_package(work, kind, fmt)
    built["broken-zip64.conda"] = ck.build_hostile_package(work, "broken-zip64", ".conda")
    for name, path in built.items():
        data = path.read_bytes()
        if name.endswith(".conda"):
            (archives / name).write_bytes(b"\x01" + data)
        else:
            (archives / name).write_bytes(b"\x00" + data)
            (archives / name.replace(".tar.bz2", ".tar")).write_bytes(b"\x02" + trimmed_tar(bz2.decompress(data)))

    pkg = ck.build_package(work, "seed", "1.0", files=files + [ck.binary_with_placeholder("lib/b.so"),
                                                                ck.text_file("c", "c", no_link=True)])
    (texts / "paths.json").write_text(json.dumps({"paths": pkg.paths, "paths_version": 1}, indent=1))
    (texts / "index.json").write_text(json.dumps(pkg.index, indent=1))
    (texts / "link.json").write_text(json.dumps(
        {"noarch": {"type": "python", "entry_points": ["a = b.c:d", "e=f:g [x]"]}, "package_metadata_version": 1}))
    (texts / "has_prefix").write_text(
        '/opt/anaconda1anaconda2anaconda3 text etc/x.conf\nbin/script\n"/p q" binary "lib/a b.so"\n')
    (texts / "files").write_text("bin/a\nlib/libz.so\n./share/x\n")


if __name__ == "__main__":
    main()
