"""Writes conda channels (repodata.json only) for tests that do not need real archives."""
import json
from pathlib import Path


def record(name, version, build="0", build_number=0, depends=(), constrains=(), subdir="linux-64",
           timestamp=None, track_features=None, ext=".conda", **extra):
    """A repodata record with sensible defaults; `extra` adds or overrides fields."""
    entry = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": build_number,
        "depends": list(depends),
        "constrains": list(constrains),
        "subdir": subdir,
        "md5": "0" * 32,
        "sha256": "0" * 64,
        "size": 1000,
    }
    if timestamp is not None:
        entry["timestamp"] = timestamp
    if track_features:
        entry["track_features"] = track_features
    entry.update(extra)
    entry["_fn"] = f"{name}-{version}-{build}{ext}"
    return entry


def write_channel(root, records, subdirs=("linux-64", "noarch")):
    """Writes root/<subdir>/repodata.json for each subdir; records go to their `subdir`."""
    root = Path(root)
    by_subdir = {subdir: {"packages": {}, "packages.conda": {}} for subdir in subdirs}
    for entry in records:
        entry = dict(entry)
        fn = entry.pop("_fn")
        key = "packages.conda" if fn.endswith(".conda") else "packages"
        by_subdir.setdefault(entry["subdir"], {"packages": {}, "packages.conda": {}})[key][fn] = entry
    for subdir, groups in by_subdir.items():
        (root / subdir).mkdir(parents=True, exist_ok=True)
        document = {"info": {"subdir": subdir}, "repodata_version": 1, **groups}
        (root / subdir / "repodata.json").write_text(json.dumps(document, indent=2, sort_keys=True))
    return root
