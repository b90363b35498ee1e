"""Builds real wheels (PEP 427 / PyPA binary distribution format) and PyPI "simple" index trees
(PEP 503 HTML, PEP 691 JSON, PEP 658/714 metadata files, PEP 592 yanked files) for tests.

Standard library only. Output is deterministic (fixed ZIP dates, sorted entries), so the same
arguments give byte-identical wheels and stable sha256 values.

Typical use::

    wheels = [
        build_wheel(tmp_path / "dist", "demo", "1.0", requires_dist=["helper>=2", "extra-dep; extra == 'fast'"],
                    provides_extra=["fast"], console_scripts={"demo": "demo:main"}),
        build_wheel(tmp_path / "dist", "helper", "2.1", requires_python=">=3.8"),
    ]
    root = write_index(tmp_path / "index", wheels, yanked={"helper-2.1-py3-none-any.whl": "broken"})
    server = serve(root)                      # conftest fixture
    index_url = f"{server.url}/simple/"       # pip --index-url / environment.yml --index-url

Layout written by write_index(root, ...)::

    root/simple/index.html                    # PEP 503 root page (every project)
    root/simple/index.json                    # PEP 691 root page
    root/simple/<normalized>/index.html       # PEP 503 project page
    root/simple/<normalized>/index.json       # PEP 691 project page (channel-server serves it for
                                              #   Accept: application/vnd.pypi.simple.v1+json)
    root/files/<filename>                     # the wheels / sdists
    root/files/<filename>.metadata            # PEP 658 core metadata (unless disabled)
"""
import base64
import dataclasses
import hashlib
import html
import io
import json
import re
import tarfile
import zipfile
from pathlib import Path

ZIP_DATE = (2023, 11, 14, 22, 13, 20)
FIXED_MTIME = 1_700_000_000


def normalize(name):
    """PEP 503 normalized project name: runs of -_. become -, lowercase."""
    return re.sub(r"[-_.]+", "-", name).lower()


def escape_name(name):
    """The distribution name as it appears in wheel filenames and .dist-info directories."""
    return re.sub(r"[-_.]+", "_", name).lower()


def record_hash(data):
    """RECORD's hash field: sha256=<urlsafe base64 without padding>."""
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _bytes(content):
    return content.encode() if isinstance(content, str) else bytes(content)


@dataclasses.dataclass
class Wheel:
    """A wheel written to disk, with what an index needs to describe it."""

    name: str
    version: str
    path: Path
    metadata: bytes  # the .dist-info/METADATA bytes (PEP 658 serves exactly these)
    requires_python: str | None = None
    members: tuple = ()  # every archive member name, in archive order

    @property
    def filename(self):
        return self.path.name

    @property
    def sha256(self):
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    @property
    def metadata_sha256(self):
        return hashlib.sha256(self.metadata).hexdigest()

    @property
    def dist_info(self):
        return f"{escape_name(self.name)}-{self.version}.dist-info"


@dataclasses.dataclass
class Sdist:
    """A source distribution (.tar.gz); envctl cannot install these, which tests check."""

    name: str
    version: str
    path: Path
    requires_python: str | None = None
    metadata: bytes = b""

    @property
    def filename(self):
        return self.path.name

    @property
    def sha256(self):
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def metadata_text(name, version, requires_dist=(), requires_python=None, provides_extra=(), summary=None,
                  extra_headers=()):
    """Core metadata 2.1 (METADATA / PKG-INFO) as text."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             f"Summary: {summary or f'{name} test distribution'}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in provides_extra]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires_dist]
    lines += list(extra_headers)
    return "\n".join(lines) + "\n\n"


def default_module(name, version):
    """{path: text} of a tiny importable package named after the distribution, with main()."""
    module = escape_name(name)
    source = (f'__version__ = "{version}"\n\n\n'
              f"def main():\n    print(\"{name} {version}\")\n    return 0\n\n\n"
              f"def gui():\n    print(\"{name} gui {version}\")\n    return 0\n")
    return {f"{module}/__init__.py": source}


def _entry_points(console_scripts, gui_scripts, other_groups):
    groups = {}
    if console_scripts:
        groups["console_scripts"] = console_scripts
    if gui_scripts:
        groups["gui_scripts"] = gui_scripts
    groups.update(other_groups or {})
    if not groups:
        return None
    out = []
    for group, entries in groups.items():
        out.append(f"[{group}]")
        out += [f"{key} = {value}" for key, value in entries.items()]
        out.append("")
    return "\n".join(out)


def build_wheel(out_dir, name, version, *, tags="py3-none-any", requires_dist=(), requires_python=None,
                provides_extra=(), files=None, console_scripts=None, gui_scripts=None, entry_points=None,
                data=None, root_is_purelib=None, summary=None, metadata_headers=(), build_tag=None,
                tamper_record=None, extra_entries=(), omit_record=False, compression=zipfile.ZIP_DEFLATED):
    """Writes `<escaped name>-<version>[-<build>]-<tags>.whl` into out_dir and returns a Wheel.

    files: {archive path: str|bytes} at the wheel root (purelib or platlib, see root_is_purelib);
           default: default_module(name, version).
    data: {scheme: {path: str|bytes}} under <name>-<version>.data/<scheme>/, scheme one of
          scripts, data, headers, purelib, platlib. A script may start with "#!python".
    console_scripts / gui_scripts: {script name: "module:function"}; entry_points adds other groups.
    tags: "py3-none-any", or compressed sets like "cp311.cp312-abi3-manylinux_2_17_x86_64".
    root_is_purelib: default True unless the platform tag is not "any".
    Hostile wheels for installer tests:
      tamper_record(lines) -> lines rewrites the RECORD lines (["path,hash,size", ...]) before writing;
      extra_entries: [(archive name, bytes)] written verbatim and listed in RECORD (e.g. "../escape");
      omit_record: no RECORD at all.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    escaped = escape_name(name)
    dist_info = f"{escaped}-{version}.dist-info"
    data_dir = f"{escaped}-{version}.data"
    python_tags, abi_tags, platform_tags = tags.split("-")
    if root_is_purelib is None:
        root_is_purelib = platform_tags == "any"

    metadata = metadata_text(name, version, requires_dist, requires_python, provides_extra, summary,
                             metadata_headers).encode()
    wheel_lines = ["Wheel-Version: 1.0", "Generator: envctl-testkit 1.0",
                   f"Root-Is-Purelib: {'true' if root_is_purelib else 'false'}"]
    if build_tag:
        wheel_lines.append(f"Build: {build_tag}")
    for python_tag in python_tags.split("."):
        for abi_tag in abi_tags.split("."):
            for platform_tag in platform_tags.split("."):
                wheel_lines.append(f"Tag: {python_tag}-{abi_tag}-{platform_tag}")

    entries = []  # (archive name, bytes, unix mode)
    for path, content in sorted((files if files is not None else default_module(name, version)).items()):
        entries.append((path, _bytes(content), 0o644))
    for scheme, scheme_files in sorted((data or {}).items()):
        for path, content in sorted(scheme_files.items()):
            mode = 0o755 if scheme == "scripts" else 0o644
            entries.append((f"{data_dir}/{scheme}/{path}", _bytes(content), mode))
    entries += [(member, _bytes(content), 0o644) for member, content in extra_entries]
    entries.append((f"{dist_info}/METADATA", metadata, 0o644))
    entries.append((f"{dist_info}/WHEEL", ("\n".join(wheel_lines) + "\n").encode(), 0o644))
    entry_points_text = _entry_points(console_scripts, gui_scripts, entry_points)
    if entry_points_text:
        entries.append((f"{dist_info}/entry_points.txt", entry_points_text.encode(), 0o644))
    entries.append((f"{dist_info}/top_level.txt", (escaped + "\n").encode(), 0o644))

    record_lines = [f"{path},{record_hash(content)},{len(content)}" for path, content, _ in entries]
    record_lines.append(f"{dist_info}/RECORD,,")
    if tamper_record:
        record_lines = list(tamper_record(record_lines))
    if not omit_record:
        entries.append((f"{dist_info}/RECORD", ("\n".join(record_lines) + "\n").encode(), 0o644))

    filename = "-".join(part for part in (escaped, version, build_tag, tags) if part) + ".whl"
    path = out_dir / filename
    with zipfile.ZipFile(path, "w") as archive:
        for member, content, mode in entries:
            info = zipfile.ZipInfo(member, ZIP_DATE)
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = compression
            info.create_system = 3  # unix, so installers honour the mode bits
            archive.writestr(info, content)
    return Wheel(name, version, path, metadata, requires_python, tuple(member for member, _, _ in entries))


def build_sdist(out_dir, name, version, requires_python=None):
    """A minimal sdist `<escaped>-<version>.tar.gz` (PKG-INFO + setup.py); it needs building."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"{escape_name(name)}-{version}"
    pkg_info = metadata_text(name, version, requires_python=requires_python).encode()
    setup = f"from setuptools import setup\nsetup(name={name!r}, version={version!r})\n".encode()
    path = out_dir / f"{base}.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for member, content in ((f"{base}/PKG-INFO", pkg_info), (f"{base}/setup.py", setup)):
            info = tarfile.TarInfo(member)
            info.size = len(content)
            info.mtime = FIXED_MTIME
            tar.addfile(info, io.BytesIO(content))
    path.write_bytes(buffer.getvalue())
    return Sdist(name, version, path, requires_python, pkg_info)


def _html_page(title, anchors):
    body = "\n".join(anchors)
    return (f"<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.1\">\n"
            f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n    <h1>{html.escape(title)}</h1>\n"
            f"{body}\n  </body>\n</html>\n")


def write_index(root, dists, *, yanked=None, metadata_files=True, without_metadata=(), hash_fragment=True,
                absolute_base=None, extra_projects=(), legacy_json_metadata_key=False):
    """Writes a static simple index for `dists` (Wheel/Sdist objects) under root; returns root.

    yanked: {filename: reason} (reason "" for a yank without reason; PEP 592).
    metadata_files: write `<file>.metadata` for every wheel (PEP 658) and advertise it with both
                    data-dist-info-metadata and data-core-metadata in HTML, and `core-metadata` in JSON
                    (PEP 714; as PyPI does).
    legacy_json_metadata_key: also write the JSON `dist-info-metadata` key (pip 23.0 crashes on it,
                    which is why PEP 714 renamed it).
    without_metadata: filenames that get no .metadata file even when metadata_files is on.
    hash_fragment: put #sha256=... on HTML links and `hashes` in JSON (off: no hashes at all).
    absolute_base: "http://127.0.0.1:PORT" to write absolute file URLs instead of relative ones.
    extra_projects: names listed on the root page whose project page is not written (404).
    """
    root = Path(root)
    yanked = dict(yanked or {})
    files_dir = root / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    simple = root / "simple"
    simple.mkdir(parents=True, exist_ok=True)

    projects = {}
    for dist in dists:
        projects.setdefault(normalize(dist.name), []).append(dist)

    for project, project_dists in sorted(projects.items()):
        page_dir = simple / project
        page_dir.mkdir(parents=True, exist_ok=True)
        anchors, json_files, versions = [], [], []
        for dist in project_dists:
            content = dist.path.read_bytes()
            (files_dir / dist.filename).write_bytes(content)
            sha256 = hashlib.sha256(content).hexdigest()
            url = (f"{absolute_base}/files/{dist.filename}" if absolute_base else f"../../files/{dist.filename}")
            has_metadata = (metadata_files and isinstance(dist, Wheel) and dist.filename not in without_metadata)
            attributes = []
            if dist.requires_python:
                attributes.append(f'data-requires-python="{html.escape(dist.requires_python)}"')
            if dist.filename in yanked:
                attributes.append(f'data-yanked="{html.escape(yanked[dist.filename])}"')
            entry = {"filename": dist.filename, "url": url, "hashes": {"sha256": sha256} if hash_fragment else {}}
            if dist.requires_python:
                entry["requires-python"] = dist.requires_python
            entry["yanked"] = (yanked[dist.filename] or True) if dist.filename in yanked else False
            if has_metadata:
                (files_dir / f"{dist.filename}.metadata").write_bytes(dist.metadata)
                metadata_hash = f"sha256={hashlib.sha256(dist.metadata).hexdigest()}"
                attributes.append(f'data-dist-info-metadata="{metadata_hash}"')
                attributes.append(f'data-core-metadata="{metadata_hash}"')
                entry["core-metadata"] = {"sha256": hashlib.sha256(dist.metadata).hexdigest()}
                if legacy_json_metadata_key:
                    entry["dist-info-metadata"] = entry["core-metadata"]
            href = url + (f"#sha256={sha256}" if hash_fragment else "")
            anchor_attributes = " ".join([f'href="{html.escape(href)}"', *attributes])
            anchors.append(f"    <a {anchor_attributes}>{html.escape(dist.filename)}</a><br />")
            json_files.append(entry)
            if dist.version not in versions:
                versions.append(dist.version)
        (page_dir / "index.html").write_text(_html_page(f"Links for {project}", anchors))
        document = {"meta": {"api-version": "1.1"}, "name": project, "versions": versions, "files": json_files}
        (page_dir / "index.json").write_text(json.dumps(document, indent=2))

    names = sorted(set(projects) | {normalize(name) for name in extra_projects})
    root_anchors = [f'    <a href="{name}/">{name}</a><br />' for name in names]
    (simple / "index.html").write_text(_html_page("Simple index", root_anchors))
    root_document = {"meta": {"api-version": "1.1"}, "projects": [{"name": name} for name in names]}
    (simple / "index.json").write_text(json.dumps(root_document, indent=2))
    return root


def standard_set(out_dir, count=24):
    """`count` interdependent pure-python wheels (pkg-00 .. pkg-NN) for benchmarks and larger tests:
    each depends on the next two, has a module with a few files and a console script."""
    wheels = []
    for index in range(count):
        name = f"pkg-{index:02d}"
        deps = [f"pkg-{other:02d}>=1.0" for other in (index + 1, index + 2) if other < count]
        module = escape_name(name)
        files = dict(default_module(name, "1.0"))
        for part in range(8):
            files[f"{module}/part{part}.py"] = f"VALUE = {part}\n" + "# padding\n" * (50 * part)
        wheels.append(build_wheel(out_dir, name, "1.0", requires_dist=deps, files=files,
                                  console_scripts={f"{name}-run": f"{module}:main"}))
    return wheels
