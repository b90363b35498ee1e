"""Builds real conda packages (.conda and .tar.bz2, CEP 34/35) for tests, and hostile ones.

Everything here uses the standard library plus the `zstd` program. Output is deterministic:
fixed mtimes, owners and ZIP dates, entries sorted (info/ first), so building the same package
twice gives byte-identical archives and stable hashes.

Typical use::

    pkg = build_package(tmp_path, "demo", "1.0", files=[
        text_file("share/demo/readme.txt", "hello\\n"),
        prefixed_text_file("etc/demo.conf", "prefix={prefix}\\n"),
        placeholder_script("bin/demo", "echo hi"),
        symlink("bin/demo-alias", "demo"),
    ], depends=["python >=3.8"])
    write_channel_from_packages(tmp_path / "channel", [pkg])
"""
import bz2
import dataclasses
import hashlib
import io
import json
import subprocess
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

LEGACY_PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"
# conda-build's long build prefix is padded with "_placehold" up to 255 characters.
LONG_PLACEHOLDER = ("/opt/conda-bld/envctl-test_1700000000/_h_env" + "_placehold" * 25)[:255]
FIXED_MTIME = 1_700_000_000  # seconds; index.json "timestamp" is this in milliseconds
ZIP_DATE = (2023, 11, 14, 22, 13, 20)
ZSTD_LEVEL = 19


@dataclasses.dataclass(frozen=True)
class PackageFile:
    """One payload path of a package.

    kind is "file", "symlink" or "directory" (an empty directory entry). For files,
    `prefix_placeholder` (with `file_mode` "text" or "binary") marks the file for prefix
    replacement and `no_link` forces a copy at install time.
    """

    path: str
    content: bytes = b""
    mode: int = 0o644
    kind: str = "file"
    target: str = ""
    prefix_placeholder: str | None = None
    file_mode: str = "text"
    no_link: bool = False


def text_file(path, text, mode=0o644, no_link=False):
    """A plain text file (no prefix replacement)."""
    return PackageFile(path, text.encode(), mode=mode, no_link=no_link)


def binary_file(path, content, mode=0o644):
    """A file with arbitrary bytes and no placeholder."""
    return PackageFile(path, bytes(content), mode=mode)


def prefixed_text_file(path, template, placeholder=LEGACY_PLACEHOLDER, mode=0o644):
    """A text file whose `{prefix}` markers become `placeholder` (file_mode text)."""
    return PackageFile(path, template.replace("{prefix}", placeholder).encode(), mode=mode,
                       prefix_placeholder=placeholder, file_mode="text")


def long_prefix_text_file(path, template):
    """prefixed_text_file with conda-build's 255-character placeholder."""
    return prefixed_text_file(path, template, placeholder=LONG_PLACEHOLDER)


def binary_with_placeholder(path, placeholder=LONG_PLACEHOLDER, mode=0o755):
    """A binary file (file_mode binary) holding the placeholder in a NUL-terminated string,
    between other bytes, like an RPATH in a shared library."""
    content = (b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"head\0RPATH=" + placeholder.encode() + b"/lib\0"
               + b"\x00\x01\x02\x03tail\0")
    return PackageFile(path, content, mode=mode, prefix_placeholder=placeholder, file_mode="binary")


def placeholder_script(path, body, interpreter="bin/python", placeholder=LEGACY_PLACEHOLDER):
    """An executable script whose shebang is `#!<placeholder>/<interpreter>`."""
    text = f"#!{placeholder}/{interpreter}\n{body}\n"
    return PackageFile(path, text.encode(), mode=0o755, prefix_placeholder=placeholder, file_mode="text")


def long_shebang_script(path, body="echo long"):
    """A placeholder script whose shebang exceeds the kernel's 127-byte limit once the
    placeholder is replaced by any prefix (the interpreter path alone is 150+ bytes)."""
    interpreter = "lib/" + "a_rather_long_directory_name_" * 5 + "/bin/sh"
    return placeholder_script(path, body, interpreter=interpreter)


def symlink(path, target):
    """A symbolic link stored as-is (relative targets resolve against the link's directory)."""
    return PackageFile(path, kind="symlink", target=target, mode=0o777)


def symlink_examples(directory="lib"):
    """A real file, a link to it, a chain of two links, a directory link and a dangling link."""
    return [
        text_file(f"{directory}/libdemo.so.1.0", "library\n"),
        symlink(f"{directory}/libdemo.so.1", "libdemo.so.1.0"),
        symlink(f"{directory}/libdemo.so", "libdemo.so.1"),
        text_file(f"{directory}/real/data.txt", "data\n"),
        symlink(f"{directory}/alias", "real"),
        symlink(f"{directory}/dangling", "does-not-exist"),
    ]


def empty_directory(path):
    """An empty directory entry (path_type "directory" in paths.json)."""
    return PackageFile(path, kind="directory", mode=0o755)


def site_packages_module(relative_path, text):
    """A module of a noarch: python package, e.g. site_packages_module("demo/__init__.py", ...)."""
    return text_file(f"site-packages/{relative_path}", text)


def python_script(name, text):
    """A noarch: python script, installed into bin/ by the linker (python-scripts/<name>)."""
    return PackageFile(f"python-scripts/{name}", text.encode(), mode=0o755)


def link_script(package_name, action, body):
    """bin/.<name>-<action>.sh, action one of pre-link, post-link, pre-unlink."""
    return PackageFile(f"bin/.{package_name}-{action}.sh", f"#!/bin/sh\n{body}\n".encode(), mode=0o755)


def activation_script(name, body, deactivate=False):
    """etc/conda/activate.d/<name>.sh (or deactivate.d)."""
    folder = "deactivate.d" if deactivate else "activate.d"
    return text_file(f"etc/conda/{folder}/{name}.sh", body)


@dataclasses.dataclass
class BuiltPackage:
    """An archive written by build_package, with what a repodata record needs."""

    path: Path
    index: dict
    paths: list
    sha256: str
    md5: str
    size: int

    @property
    def fn(self):
        return self.path.name

    @property
    def subdir(self):
        return self.index["subdir"]

    def record(self):
        """The repodata.json record for this archive."""
        return repodata_record(self.index, self.sha256, self.md5, self.size)


def _digests(data):
    return hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()


def _resolve_in_package(files_by_path, link_path, target, depth=0):
    """The content a symlink resolves to inside the package, or None (dangling, directory)."""
    if depth > 40 or target.startswith("/"):
        return None
    parts = list(PurePosixPath(link_path).parent.parts)
    for part in PurePosixPath(target).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part != ".":
            parts.append(part)
    resolved = "/".join(parts)
    entry = files_by_path.get(resolved)
    if entry is None or entry.kind == "directory":
        return None
    if entry.kind == "symlink":
        return _resolve_in_package(files_by_path, resolved, entry.target, depth + 1)
    return entry.content


def _paths_entries(files):
    by_path = {f.path: f for f in files}
    entries = []
    for item in sorted(files, key=lambda f: f.path):
        entry = {"_path": item.path}
        if item.kind == "directory":
            entry.update(path_type="directory", sha256=hashlib.sha256(b"").hexdigest(), size_in_bytes=0)
        elif item.kind == "symlink":
            content = _resolve_in_package(by_path, item.path, item.target) or b""
            entry.update(path_type="softlink", sha256=hashlib.sha256(content).hexdigest(),
                         size_in_bytes=len(content))
        else:
            entry.update(path_type="hardlink", sha256=hashlib.sha256(item.content).hexdigest(),
                         size_in_bytes=len(item.content))
            if item.prefix_placeholder:
                entry.update(prefix_placeholder=item.prefix_placeholder, file_mode=item.file_mode)
            if item.no_link:
                entry["no_link"] = True
        entries.append(entry)
    return entries


def _has_prefix_line(item):
    fields = [item.prefix_placeholder, item.file_mode, item.path]
    return " ".join(f'"{f}"' if " " in f else f for f in fields)


def _index_json(name, version, build, build_number, depends, constrains, noarch, subdir, extra_index):
    index = {
        "name": name,
        "version": version,
        "build": build,
        "build_number": build_number,
        "depends": list(depends),
        "subdir": subdir,
        "timestamp": FIXED_MTIME * 1000,
        "license": "BSD-3-Clause",
    }
    if constrains:
        index["constrains"] = list(constrains)
    if noarch:
        index["noarch"] = noarch
    else:
        index["arch"], index["platform"] = {"linux-64": ("x86_64", "linux"), "osx-64": ("x86_64", "osx"),
                                            "osx-arm64": ("arm64", "osx"), "win-64": ("x86_64", "win")}.get(
            subdir, (None, None))
    index.update(extra_index or {})
    return index


def _info_files(index, files, noarch, entry_points, paths_json, legacy_files):
    info = {"info/index.json": json.dumps(index, indent=2, sort_keys=True).encode()}
    if paths_json:
        document = {"paths": _paths_entries(files), "paths_version": 1}
        info["info/paths.json"] = json.dumps(document, indent=2, sort_keys=True).encode()
    if legacy_files:
        listed = sorted(f.path for f in files if f.kind != "directory")
        info["info/files"] = "".join(p + "\n" for p in listed).encode()
        prefixed = sorted((f for f in files if f.prefix_placeholder), key=lambda f: f.path)
        if prefixed:
            info["info/has_prefix"] = "".join(_has_prefix_line(f) + "\n" for f in prefixed).encode()
        no_link = sorted(f.path for f in files if f.no_link)
        if no_link:
            info["info/no_link"] = "".join(p + "\n" for p in no_link).encode()
    if noarch:
        noarch_section = {"type": noarch}
        if noarch == "python":
            noarch_section["entry_points"] = list(entry_points)
        link = {"noarch": noarch_section, "package_metadata_version": 1}
        info["info/link.json"] = json.dumps(link, indent=2, sort_keys=True).encode()
    return info


# --- raw tar/zip writing: hostile variants reuse these with arbitrary members ------------

@dataclasses.dataclass(frozen=True)
class TarMember:
    """A tar member written exactly as given: name and linkname are not checked at all.

    type is a tarfile type (tarfile.REGTYPE, SYMTYPE, LNKTYPE, DIRTYPE, CHRTYPE, FIFOTYPE...);
    `name` may be str or bytes (bytes are written raw, e.g. for names that are not UTF-8).
    """

    name: str | bytes
    data: bytes = b""
    type: bytes = tarfile.REGTYPE
    mode: int = 0o644
    linkname: str = ""


def _tarinfo(member):
    name = member.name
    if isinstance(name, bytes):
        name = name.decode("utf-8", "surrogateescape")
    info = tarfile.TarInfo(name)
    info.type = member.type
    info.mode = member.mode
    info.mtime = FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.linkname = member.linkname
    info.size = len(member.data) if member.type == tarfile.REGTYPE else 0
    if member.type in (tarfile.CHRTYPE, tarfile.BLKTYPE):
        info.devmajor, info.devminor = 1, 3
    return info


def tar_bytes(members):
    """An uncompressed tar of `members` in the given order (GNU format, deterministic)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT, encoding="utf-8",
                      errors="surrogateescape") as tar:
        for member in members:
            info = _tarinfo(member)
            tar.addfile(info, io.BytesIO(member.data) if info.size else None)
    return buffer.getvalue()


def zstd_compress(data, level=ZSTD_LEVEL):
    """Compresses with the `zstd` program (deterministic for a given zstd version and level)."""
    return subprocess.run(["zstd", "-q", "-c", f"-{level}", "--no-progress"], input=data,
                          capture_output=True, check=True).stdout


def bzip2_compress(data):
    """bzip2 at level 9, as conda-build writes .tar.bz2 files."""
    return bz2.compress(data, 9)


def zip_bytes(members):
    """A ZIP of (name, bytes) pairs, STORED (uncompressed) as CEP 35 requires, fixed dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.create_system = 3
            info.external_attr = (0o100644 << 16)
            archive.writestr(info, data)
    return buffer.getvalue()


def conda_bytes(stem, info_members, pkg_members, metadata=b'{"conda_pkg_format_version": 2}'):
    """A .conda: metadata.json, info-<stem>.tar.zst and pkg-<stem>.tar.zst, in that order."""
    members = [] if metadata is None else [("metadata.json", metadata)]
    members.append((f"info-{stem}.tar.zst", zstd_compress(tar_bytes(info_members))))
    members.append((f"pkg-{stem}.tar.zst", zstd_compress(tar_bytes(pkg_members))))
    return zip_bytes(members)


def _payload_members(files):
    members = []
    for item in sorted(files, key=lambda f: f.path):
        if item.kind == "directory":
            members.append(TarMember(item.path, type=tarfile.DIRTYPE, mode=item.mode))
        elif item.kind == "symlink":
            members.append(TarMember(item.path, type=tarfile.SYMTYPE, mode=0o777, linkname=item.target))
        else:
            members.append(TarMember(item.path, item.content, mode=item.mode))
    return members


def write_archive(out_dir, stem, fmt, info_members, pkg_members):
    """Writes <out_dir>/<stem><fmt> from raw members and returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fmt == ".conda":
        data = conda_bytes(stem, info_members, pkg_members)
    elif fmt == ".tar.bz2":
        data = bzip2_compress(tar_bytes(list(info_members) + list(pkg_members)))
    else:
        raise ValueError(f"unknown package format {fmt!r}")
    path = out_dir / f"{stem}{fmt}"
    path.write_bytes(data)
    return path


def build_package(out_dir, name, version, build="0", files=(), depends=(), constrains=(), build_number=0,
                  noarch=None, subdir=None, fmt=".conda", entry_points=(), extra_index=None, paths_json=True,
                  legacy_files=True):
    """Writes a conda package <name>-<version>-<build><fmt> into out_dir and returns a BuiltPackage.

    files: PackageFile values (see the helpers above). noarch: None, "generic" or "python";
    subdir defaults to "noarch" for noarch packages and "linux-64" otherwise. entry_points
    ("cmd = module:func") go to info/link.json for noarch python. paths_json=False makes an
    old-style package with only info/files and info/has_prefix; legacy_files=False leaves
    those out (modern packages).
    """
    if fmt not in (".conda", ".tar.bz2"):
        raise ValueError(f"fmt must be .conda or .tar.bz2, not {fmt!r}")
    files = list(files)
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths):
        raise ValueError("a path is listed twice")
    subdir = subdir or ("noarch" if noarch else "linux-64")
    index = _index_json(name, version, build, build_number, depends, constrains, noarch, subdir, extra_index)
    info = _info_files(index, files, noarch, entry_points, paths_json, legacy_files)
    info_members = [TarMember(path, data) for path, data in sorted(info.items())]
    path = write_archive(out_dir, f"{name}-{version}-{build}", fmt, info_members, _payload_members(files))
    data = path.read_bytes()
    sha256, md5 = _digests(data)
    paths_entries = _paths_entries(files)
    return BuiltPackage(path=path, index=index, paths=paths_entries, sha256=sha256, md5=md5, size=len(data))


# --- hostile packages --------------------------------------------------------------------

def _tar_member_bytes(member):
    """One member's header, data and padding, without the end-of-archive blocks."""
    info = _tarinfo(member)
    data = member.data if info.size else b""
    return info.tobuf(format=tarfile.GNU_FORMAT, encoding="utf-8", errors="surrogateescape") + data + \
        b"\0" * (-len(data) % 512)


def _bomb_tar(info_members, size, chunk, compress):
    """Compressed tar bytes: the info members, then zeros.bin holding `size` zero bytes. The
    zero payload is one compressed chunk repeated (bzip2 and zstd readers accept concatenated
    streams), so a file of many GiB costs kilobytes and about a second to build."""
    if size % chunk:
        raise ValueError("bomb size must be a multiple of the chunk size")
    head = b"".join(_tar_member_bytes(m) for m in info_members)
    header = tarfile.TarInfo("zeros.bin")
    header.size, header.mtime, header.mode = size, FIXED_MTIME, 0o644
    zero_chunk = compress(b"\0" * chunk)
    end = b"\0" * (-size % 512) + b"\0" * 1024
    return compress(head + header.tobuf(format=tarfile.GNU_FORMAT)) + zero_chunk * (size // chunk) + compress(end)


def _info_members(name, version="1.0", build="0"):
    index = {"name": name, "version": version, "build": build, "build_number": 0, "depends": [],
             "subdir": "noarch", "noarch": "generic"}
    return [TarMember("info/index.json", json.dumps(index, sort_keys=True).encode()),
            TarMember("info/paths.json", b'{"paths": [], "paths_version": 1}')]


def _broken_zip64(data):
    """Marks the last member's sizes as "in the ZIP64 extra field" (0xFFFFFFFF) in both its
    local and central headers, without adding that field: every reader must give up on it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        last = archive.infolist()[-1]
    patched = bytearray(data)
    patched[last.header_offset + 18:last.header_offset + 26] = b"\xff" * 8
    central = patched.rfind(b"PK\x01\x02")
    patched[central + 20:central + 28] = b"\xff" * 8
    return bytes(patched)


HOSTILE_KINDS = {
    "path-traversal": "a payload file named ../escaped.txt",
    "absolute-path": "a payload file with an absolute name under /tmp",
    "symlink-escape": "a symlink 'evil' -> '..' (the package's parent) then a file evil/escaped.txt",
    "symlink-absolute": "a symlink 'evil' -> '/tmp' then a file evil/escaped.txt",
    "hardlink-escape": "a hardlink to ../outside.txt",
    "device-file": "a character device dev/null",
    "fifo": "a named pipe run/pipe",
    "setuid": "an executable with the setuid and setgid bits (to be stripped, not refused)",
    "bomb": "one file of 32 GiB of zeros that compresses to a few kilobytes",
    "broken-zip64": "a .conda whose pkg member defers its sizes to a ZIP64 extra field it lacks",
    "non-utf8-name": "a payload file whose name is Latin-1 bytes (caf\\xe9.txt)",
    "metadata-symlink": "info/index.json as a symlink to a file outside the package",
    "pkg-overrides-metadata": "a .conda whose pkg tarball carries its own info/index.json",
}


def build_hostile_package(out_dir, kind, fmt=".tar.bz2", name=None, bomb_size=32 << 30):
    """Writes a malicious package of the given kind (see HOSTILE_KINDS) and returns its path.

    The archive is otherwise a valid package (info/index.json and info/paths.json come
    first), so a reader must refuse it for the hostile part and nothing else. "broken-zip64"
    and "pkg-overrides-metadata" exist only as .conda.
    """
    if kind not in HOSTILE_KINDS:
        raise ValueError(f"unknown hostile kind {kind!r}; one of {sorted(HOSTILE_KINDS)}")
    name = name or f"hostile-{kind}"
    stem = f"{name}-1.0-0"
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    info = _info_members(name)
    payload = {
        "path-traversal": [TarMember("../escaped.txt", b"escaped\n")],
        "absolute-path": [TarMember(f"/tmp/envctl-hostile-{name}.txt", b"escaped\n")],
        "symlink-escape": [TarMember("evil", type=tarfile.SYMTYPE, linkname=".."),
                           TarMember("evil/escaped.txt", b"escaped\n")],
        "symlink-absolute": [TarMember("evil", type=tarfile.SYMTYPE, linkname="/tmp"),
                             TarMember("evil/escaped.txt", b"escaped\n")],
        "hardlink-escape": [TarMember("lib/stolen", type=tarfile.LNKTYPE, linkname="../outside.txt")],
        "device-file": [TarMember("dev/null", type=tarfile.CHRTYPE)],
        "fifo": [TarMember("run/pipe", type=tarfile.FIFOTYPE)],
        "setuid": [TarMember("bin/suid", b"#!/bin/sh\necho root\n", mode=0o6755)],
        "non-utf8-name": [TarMember(b"caf\xe9.txt", b"latin-1\n")],
        "metadata-symlink": [],
        "broken-zip64": [TarMember("share/data.txt", b"data\n")],
        "pkg-overrides-metadata": [TarMember("info/index.json", b'{"name": "evil"}')],
    }.get(kind, [])
    if kind == "metadata-symlink":
        info = [TarMember("info/index.json", type=tarfile.SYMTYPE, linkname="../../outside.txt")] + info[1:]
    path = out_dir / f"{stem}{fmt}"
    if kind == "bomb":
        chunk = 64 << 20
        if fmt == ".conda":
            level3 = lambda data: zstd_compress(data, 3)  # noqa: E731
            data = zip_bytes([("metadata.json", b'{"conda_pkg_format_version": 2}'),
                              (f"info-{stem}.tar.zst", zstd_compress(tar_bytes(info))),
                              (f"pkg-{stem}.tar.zst", _bomb_tar([], bomb_size, chunk, level3))])
        else:
            data = _bomb_tar(info, bomb_size, chunk, bzip2_compress)
        path.write_bytes(data)
        return path
    if fmt == ".conda":
        data = conda_bytes(stem, info, payload)
        if kind == "broken-zip64":
            data = _broken_zip64(data)
        path.write_bytes(data)
        return path
    if kind in ("broken-zip64", "pkg-overrides-metadata"):
        raise ValueError(f"{kind} exists only as .conda")
    path.write_bytes(bzip2_compress(tar_bytes(info + payload)))
    return path


# --- channels ----------------------------------------------------------------------------

def read_package_index(archive):
    """info/index.json of a .conda or .tar.bz2 archive, as a dict."""
    archive = Path(archive)
    if archive.name.endswith(".tar.bz2"):
        with tarfile.open(archive, "r:bz2") as tar:
            return json.load(tar.extractfile("info/index.json"))
    with zipfile.ZipFile(archive) as outer:
        member = next(n for n in outer.namelist() if PurePosixPath(n).name.startswith("info-"))
        raw = subprocess.run(["zstd", "-q", "-d", "-c"], input=outer.read(member), capture_output=True,
                             check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return json.load(tar.extractfile("info/index.json"))


def repodata_record(index, sha256, md5, size):
    """A repodata.json record from an index.json dict and the archive's digests and size."""
    keys = ("name", "version", "build", "build_number", "depends", "constrains", "subdir", "noarch",
            "timestamp", "license", "track_features", "features", "arch", "platform")
    record = {k: index[k] for k in keys if k in index and index[k] is not None}
    record.setdefault("depends", [])
    record.update(md5=md5, sha256=sha256, size=size)
    return record


def write_channel_from_packages(channel_dir, packages, subdirs=("noarch", "linux-64")):
    """Copies archives (BuiltPackage values or paths) into <channel_dir>/<subdir>/ and writes
    each subdir's repodata.json with "packages" (.tar.bz2) and "packages.conda" records,
    hashes computed from the files. Every subdir in `subdirs` gets a repodata.json, empty
    when it has no package, so clients can fetch noarch and the platform alike."""
    channel_dir = Path(channel_dir)
    groups = {subdir: {"packages": {}, "packages.conda": {}} for subdir in subdirs}
    for package in packages:
        source = Path(package.path if isinstance(package, BuiltPackage) else package)
        index = package.index if isinstance(package, BuiltPackage) else read_package_index(source)
        subdir = index["subdir"]
        target = channel_dir / subdir / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        if source.resolve() != target.resolve():
            target.write_bytes(data)
        sha256, md5 = _digests(data)
        key = "packages.conda" if source.name.endswith(".conda") else "packages"
        groups.setdefault(subdir, {"packages": {}, "packages.conda": {}})[key][source.name] = \
            repodata_record(index, sha256, md5, len(data))
    for subdir, group in groups.items():
        document = {"info": {"subdir": subdir}, "repodata_version": 1, **group}
        (channel_dir / subdir).mkdir(parents=True, exist_ok=True)
        (channel_dir / subdir / "repodata.json").write_text(json.dumps(document, indent=2, sort_keys=True))
    return channel_dir
