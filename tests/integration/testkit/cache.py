"""Checks on the package cache, independent of envctl: every archive it keeps matches the
channel's repodata, and every extracted entry marked complete holds exactly its paths.json."""
import hashlib
import json
from pathlib import Path


def pkgs_dir(home):
    return Path(home) / ".cache" / "envctl" / "pkgs"


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def channel_records(channel_dir):
    """fn -> repodata record, over every subdir of a channel folder."""
    found = {}
    for repodata in Path(channel_dir).glob("*/repodata.json"):
        document = json.loads(repodata.read_text())
        for key in ("packages", "packages.conda"):
            found.update(document.get(key, {}))
    return found


def check_cache(home, channel_dir):
    """Asserts the cache holds nothing partial that would be taken as complete: archives have the
    channel's sha256 and size, and each entry with info/repodata_record.json (the completion
    marker) has every file of its info/paths.json with the recorded sha256. Returns the names
    of the complete entries."""
    cache = pkgs_dir(home)
    if not cache.exists():
        return set()
    records = channel_records(channel_dir)
    complete = set()
    for item in cache.iterdir():
        if item.is_file() and item.name.endswith((".conda", ".tar.bz2")):
            record = records.get(item.name)
            assert record is not None, f"{item.name}: an archive no channel record names"
            assert item.stat().st_size == record["size"], f"{item.name}: a partial archive in the cache"
            assert _sha256(item) == record["sha256"], f"{item.name}: a corrupt archive in the cache"
        elif item.is_dir() and (item / "info/repodata_record.json").exists():
            marker = json.loads((item / "info/repodata_record.json").read_text())
            assert marker["fn"] in records, f"{item.name}: a complete entry no channel record names"
            paths = json.loads((item / "info/paths.json").read_text())["paths"]
            for entry in paths:
                path = item / entry["_path"]
                if entry.get("path_type", "hardlink") == "softlink":
                    assert path.is_symlink(), f"{item.name}: {entry['_path']} missing"
                elif entry.get("path_type") == "directory":
                    assert path.is_dir(), f"{item.name}: {entry['_path']} missing"
                else:
                    assert path.is_file(), f"{item.name}: {entry['_path']} missing"
                    if "sha256" in entry:
                        assert _sha256(path) == entry["sha256"], f"{item.name}: {entry['_path']} damaged"
            complete.add(item.name)
    return complete
