"""Hostile packages and hostile repodata through `envctl create`: every hostile archive kind
of testkit.condapkg (traversal, absolute paths, symlink/hardlink escapes, device files, FIFOs,
setuid bits, decompression bombs, broken ZIP64, non-UTF-8 names, metadata tricks) in both
formats, and repodata with wrong types, huge strings, deep nesting and file names or builds
that would form paths outside the cache. Each is refused with a clear error (or, for setuid,
defused), and nothing is written outside the package cache and the prefix."""
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest

from testkit import cache as cachecheck
from testkit import condapkg as ck
from testkit import prefixes
from testkit.channel import record, write_channel

REFUSED = ["path-traversal", "absolute-path", "symlink-escape", "symlink-absolute", "hardlink-escape",
           "device-file", "fifo", "bomb", "non-utf8-name", "metadata-symlink"]
CONDA_ONLY = ["broken-zip64", "pkg-overrides-metadata"]


def snapshot(root, skip):
    """Every path under root (not following symlinks) with its size and mtime, except the
    subtrees in `skip`."""
    found = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(dirpath, d) not in skip]
        for name in files + dirs:
            path = Path(dirpath, name)
            info = path.lstat()
            found[str(path)] = "dir" if stat.S_ISDIR(info.st_mode) else (info.st_size, info.st_mtime_ns, info.st_nlink)
    return found


class Sandbox:
    """What exists outside the cache and the prefix, before and after a run, plus bait files
    where escapes would land."""

    def __init__(self, tmp_path, home, prefix):
        self.cache = cachecheck.pkgs_dir(home)
        self.cache.mkdir(parents=True, exist_ok=True)
        self.bait = [tmp_path / "outside.txt", self.cache / "outside.txt", self.cache.parent / "outside.txt"]
        for bait in self.bait:
            bait.write_text("bait\n")
        self.root = tmp_path
        # envctl owns its cache root (packages and repodata); the bait files and the checks of
        # leftover entries cover escapes into it.
        # The root prefix (ENVCTL_ROOT_PREFIX) and ~/.conda hold the registry of environments.
        self.skip = {self.cache.parent, prefix, tmp_path / "channel", tmp_path / "build", tmp_path / "server0",
                     tmp_path / "root", home / ".conda"}
        self.before = snapshot(tmp_path, self.skip)
        self.tmp_before = set(Path("/tmp").glob("envctl-hostile-*"))

    def assert_untouched(self):
        assert snapshot(self.root, self.skip) == self.before, "something was written outside the cache and prefix"
        assert set(Path("/tmp").glob("envctl-hostile-*")) == self.tmp_before
        for bait in self.bait:
            assert bait.read_text() == "bait\n" and bait.stat().st_nlink == 1, f"{bait} was reached"
        assert not (self.cache.parent / "escaped.txt").exists() and not (self.cache / "escaped.txt").exists()


def hostile_channel(channel_dir, archive, name):
    """A channel serving one hostile archive. Its record comes from the index the archive claims
    (testkit's reader refuses archives like the metadata-symlink one)."""
    subdir = channel_dir / "noarch"
    subdir.mkdir(parents=True)
    data = archive.read_bytes()
    (subdir / archive.name).write_bytes(data)
    index = {"name": name, "version": "1.0", "build": "0", "build_number": 0, "depends": [], "subdir": "noarch",
             "noarch": "generic"}
    entry = ck.repodata_record(index, hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest(), len(data))
    key = "packages.conda" if archive.name.endswith(".conda") else "packages"
    for name_, records in (("noarch", {key: {archive.name: entry}}), ("linux-64", {})):
        (channel_dir / name_).mkdir(exist_ok=True)
        document = {"info": {"subdir": name_}, "repodata_version": 1, "packages": {}, "packages.conda": {}, **records}
        (channel_dir / name_ / "repodata.json").write_text(json.dumps(document))
    return channel_dir


def create(envctl, prefix, url, *specs, expect=0):
    return envctl.run("create", "-p", prefix, "-c", url, "--override-channels", "-y", *specs, expect=expect)


def leftover_entries(cache):
    return sorted(p.name for p in cache.iterdir() if p.name not in ("urls.txt", ".envctl-locks", "outside.txt"))


@pytest.mark.parametrize("kind,fmt", [(k, f) for k in REFUSED for f in (".conda", ".tar.bz2")] +
                         [(k, ".conda") for k in CONDA_ONLY])
def test_hostile_archive_is_refused(envctl, serve, tmp_path, home, kind, fmt):
    name = f"hostile-{kind}"
    archive = ck.build_hostile_package(tmp_path / "build", kind, fmt=fmt, name=name)
    server = serve(hostile_channel(tmp_path / "channel", archive, name))
    prefix = tmp_path / "env"
    sandbox = Sandbox(tmp_path, home, prefix)
    proc = create(envctl, prefix, server.url, name, expect=4)
    assert name in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "terminate" not in proc.stderr
    sandbox.assert_untouched()
    # Nothing of the package stays in the cache (no half-extracted entry to be reused).
    assert leftover_entries(sandbox.cache) == []
    assert not list((prefix / "conda-meta").glob("*.json")) if (prefix / "conda-meta").exists() else True
    assert prefixes.files_on_disk(prefix) == set() if prefix.exists() else True


@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
def test_setuid_bits_are_stripped(envctl, serve, tmp_path, home, fmt):
    archive = ck.build_hostile_package(tmp_path / "build", "setuid", fmt=fmt, name="suid")
    server = serve(ck.write_channel_from_packages(tmp_path / "channel", [archive]))
    prefix = tmp_path / "env"
    sandbox = Sandbox(tmp_path, home, prefix)
    create(envctl, prefix, server.url, "suid")
    sandbox.assert_untouched()
    # The package's paths.json lists nothing, so only the extracted cache entry has the file.
    for path in (cachecheck.pkgs_dir(home) / "suid-1.0-0/bin/suid", prefix / "bin/suid"):
        if path == prefix / "bin/suid" and not path.exists():
            continue
        mode = path.stat().st_mode
        assert not mode & (stat.S_ISUID | stat.S_ISGID), f"{path}: {oct(mode)}"
        assert mode & stat.S_IXUSR
    envctl.run("verify", "-p", prefix)


# --- hostile repodata ------------------------------------------------------------------

def good_channel(tmp_path):
    build = tmp_path / "build"
    packages = [ck.build_package(build, "good", "1.0", "0", files=[ck.text_file("share/good.txt", "good\n")])]
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def patch_repodata(channel, mutate):
    path = channel / "linux-64/repodata.json"
    document = json.loads(path.read_text())
    text = mutate(document)
    path.write_text(text if isinstance(text, str) else json.dumps(document))


def add_record(document, fn, **fields):
    entry = dict(next(iter(document["packages.conda"].values())))
    entry.update(fields)
    document["packages.conda"][fn] = entry


WRONG_TYPES = {
    "name-number": lambda d: add_record(d, "x-1.0-0.conda", name=5),
    "depends-string": lambda d: add_record(d, "x-1.0-0.conda", name="x", depends="good"),
    "version-null": lambda d: add_record(d, "x-1.0-0.conda", name="x", version=None),
    "size-string": lambda d: add_record(d, "x-1.0-0.conda", name="x", size="big"),
    "build-number-negative": lambda d: add_record(d, "x-1.0-0.conda", name="x", build_number=-1),
    "packages-list": lambda d: d.update({"packages": []}),
    "record-string": lambda d: d["packages.conda"].update({"x-1.0-0.conda": "x"}),
}


@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_repodata_with_wrong_types(envctl, serve, tmp_path, home, case):
    channel = good_channel(tmp_path)
    patch_repodata(channel, WRONG_TYPES[case])
    server = serve(channel)
    prefix = tmp_path / "env"
    sandbox = Sandbox(tmp_path, home, prefix)
    proc = create(envctl, prefix, server.url, "good", expect=None)
    # Either the bad record is skipped (with a warning) and `good` installs, or the whole
    # subdir is refused as an input error naming the repodata.
    if proc.returncode == 0:
        envctl.run("verify", "-p", prefix)
    else:
        assert proc.returncode == 2, proc.stderr
        assert "repodata" in proc.stderr and "linux-64" in proc.stderr, proc.stderr
    sandbox.assert_untouched()


def test_repodata_with_huge_strings_and_deep_nesting(envctl, serve, tmp_path, home):
    channel = good_channel(tmp_path)

    def mutate(document):
        add_record(document, "big-1.0-0.conda", name="big", license="x" * (8 << 20), depends=["y" * (1 << 20)])
        text = json.dumps(document)
        # An unknown key holding 200k nested arrays: a recursive parser would overflow its stack.
        return text[:-1] + ', "deep": ' + "[" * 200000 + "]" * 200000 + "}"

    patch_repodata(channel, mutate)
    server = serve(channel)
    prefix = tmp_path / "env"
    sandbox = Sandbox(tmp_path, home, prefix)
    proc = create(envctl, prefix, server.url, "good", expect=None)
    assert proc.returncode in (0, 2), proc.stderr
    if proc.returncode == 2:
        assert "repodata" in proc.stderr, proc.stderr
    sandbox.assert_untouched()


@pytest.mark.parametrize("fn,fields", [
    ("../../../escape-1.0-0.conda", {"name": "escape"}),
    ("escape-1.0-0.conda", {"name": "escape", "build": "../../0"}),
    ("escape-1.0-0.conda", {"name": "../escape"}),
    ("sub/escape-1.0-0.conda", {"name": "escape"}),
    ("escape-1.0-..conda", {"name": "escape", "build": "."}),
    ("escape-1.0-0.conda", {"name": "escape", "version": "1.0/../../.."}),
])
def test_records_that_would_form_paths_outside_the_cache(envctl, serve, tmp_path, home, fn, fields):
    channel = good_channel(tmp_path)
    good = channel / "linux-64/good-1.0-0.conda"
    if "/" not in fn:
        # Serve real bytes at that name (the good archive, whose hashes the record keeps), so
        # that the download succeeds and only the record's fields can do harm.
        (channel / "linux-64" / fn).write_bytes(good.read_bytes())
    patch_repodata(channel, lambda d: add_record(d, fn, **{"version": "1.0", **fields}))
    server = serve(channel)
    prefix = tmp_path / "env"
    sandbox = Sandbox(tmp_path, home, prefix)
    proc = create(envctl, prefix, server.url, fields["name"], expect=None)
    # A "/" in any field that names a file is refused (input or integrity error); "." alone
    # names no other folder and may install. Either way nothing lands outside the cache and
    # prefix, and the cache keeps only verified entries.
    if any("/" in value for value in (fn, *fields.values())):
        assert proc.returncode in (1, 2, 4), f"{proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        assert not (prefix / "conda-meta").exists() or not list((prefix / "conda-meta").glob("*.json"))
    else:
        assert proc.returncode == 0, proc.stderr
        envctl.run("verify", "-p", prefix)
    assert "Traceback" not in proc.stderr
    sandbox.assert_untouched()
    cachecheck.check_cache(home, channel)
    # The good package of the same channel still installs.
    create(envctl, tmp_path / "env2", server.url, "good")
    assert good.exists()
