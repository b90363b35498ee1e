"""The conda package builder in testkit/condapkg.py writes what CEP 34/35 describe: checked
here with Python's own zipfile/tarfile, independently of envctl."""
import hashlib
import io
import json
import subprocess
import tarfile
import zipfile

import pytest

from testkit import condapkg as ck


def zstd_decompress(data):
    return subprocess.run(["zstd", "-q", "-d", "-c"], input=data, capture_output=True, check=True).stdout


def conda_members(path):
    """{member name: {tar member name: TarInfo}} plus the raw tar bytes of a .conda."""
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        tars = {info.filename: zstd_decompress(archive.read(info)) for info in infos
                if info.filename.endswith(".tar.zst")}
    return infos, tars


def tar_files(raw):
    """{name: (TarInfo, bytes or None)} of an uncompressed tar."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isfile() else None
            out[member.name] = (member, data)
    return out


def demo_files():
    return [
        ck.text_file("share/demo/readme.txt", "hello\n"),
        ck.prefixed_text_file("etc/demo.conf", "prefix={prefix}\n"),
        ck.long_prefix_text_file("etc/long.conf", "prefix={prefix}\n"),
        ck.binary_with_placeholder("lib/libdemo-bin.so"),
        ck.placeholder_script("bin/demo", "print('hi')"),
        ck.long_shebang_script("bin/demo-long"),
        ck.text_file("share/demo/copy-me.txt", "copied\n", no_link=True),
        ck.text_file("share/with space/file.txt", "spaces\n"),
        ck.empty_directory("var/empty"),
        *ck.symlink_examples(),
    ]


def test_conda_archive_has_the_cep35_layout(tmp_path):
    pkg = ck.build_package(tmp_path, "demo", "1.0", "h123_0", files=demo_files(), depends=["zlib >=1.2"])
    assert pkg.fn == "demo-1.0-h123_0.conda"
    infos, tars = conda_members(pkg.path)
    assert [i.filename for i in infos] == ["metadata.json", "info-demo-1.0-h123_0.tar.zst",
                                           "pkg-demo-1.0-h123_0.tar.zst"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    with zipfile.ZipFile(pkg.path) as archive:
        assert json.loads(archive.read("metadata.json")) == {"conda_pkg_format_version": 2}
    info = tar_files(tars["info-demo-1.0-h123_0.tar.zst"])
    payload = tar_files(tars["pkg-demo-1.0-h123_0.tar.zst"])
    assert all(name.startswith("info/") for name in info)
    assert not any(name.startswith("info") for name in payload)
    assert list(info) == sorted(info) and list(payload) == sorted(payload)
    index = json.loads(info["info/index.json"][1])
    assert (index["name"], index["version"], index["build"], index["subdir"]) == ("demo", "1.0", "h123_0", "linux-64")
    assert index["depends"] == ["zlib >=1.2"]
    assert pkg.sha256 == hashlib.sha256(pkg.path.read_bytes()).hexdigest()
    assert pkg.size == pkg.path.stat().st_size


def test_paths_json_and_legacy_files_describe_the_payload(tmp_path):
    pkg = ck.build_package(tmp_path, "demo", "1.0", files=demo_files())
    _, tars = conda_members(pkg.path)
    info = tar_files(tars["info-demo-1.0-0.tar.zst"])
    payload = tar_files(tars["pkg-demo-1.0-0.tar.zst"])
    paths = json.loads(info["info/paths.json"][1])
    assert paths["paths_version"] == 1
    entries = {e["_path"]: e for e in paths["paths"]}
    assert set(entries) == set(payload)
    for name, (member, data) in payload.items():
        entry = entries[name]
        if member.isfile():
            assert entry["path_type"] == "hardlink"
            assert entry["sha256"] == hashlib.sha256(data).hexdigest()
            assert entry["size_in_bytes"] == len(data)
        elif member.issym():
            assert entry["path_type"] == "softlink"
        else:
            assert member.isdir() and entry["path_type"] == "directory"
    # A symlink's hash is its target's, through a chain; a dangling one hashes nothing.
    library = payload["lib/libdemo.so.1.0"][1]
    assert entries["lib/libdemo.so"]["sha256"] == hashlib.sha256(library).hexdigest()
    assert entries["lib/dangling"]["size_in_bytes"] == 0
    assert payload["lib/dangling"][0].linkname == "does-not-exist"
    assert entries["share/demo/copy-me.txt"]["no_link"] is True
    assert entries["etc/demo.conf"]["prefix_placeholder"] == ck.LEGACY_PLACEHOLDER
    assert entries["lib/libdemo-bin.so"]["file_mode"] == "binary"
    assert payload["bin/demo"][0].mode == 0o755

    files = info["info/files"][1].decode().splitlines()
    assert files == sorted(n for n, (m, _) in payload.items() if not m.isdir())
    has_prefix = info["info/has_prefix"][1].decode().splitlines()
    assert f"{ck.LEGACY_PLACEHOLDER} text etc/demo.conf" in has_prefix
    assert f"{ck.LONG_PLACEHOLDER} binary lib/libdemo-bin.so" in has_prefix
    assert info["info/no_link"][1].decode() == "share/demo/copy-me.txt\n"


def test_placeholder_helpers(tmp_path):
    assert len(ck.LONG_PLACEHOLDER) == 255
    binary = ck.binary_with_placeholder("lib/x.so")
    assert ck.LONG_PLACEHOLDER.encode() + b"/lib\0" in binary.content
    script = ck.long_shebang_script("bin/x")
    shebang = script.content.split(b"\n")[0].decode()
    assert shebang.startswith("#!" + ck.LEGACY_PLACEHOLDER)
    # Replaced by even a one-character prefix, the shebang is over the kernel's limit.
    assert len(shebang.replace(ck.LEGACY_PLACEHOLDER, "/p")) > 127
    assert ck.prefixed_text_file("a", "x={prefix}", "/pl").content == b"x=/pl"


def test_tar_bz2_holds_the_same_package_info_first(tmp_path):
    conda = ck.build_package(tmp_path, "demo", "1.0", files=demo_files())
    tarbz2 = ck.build_package(tmp_path, "demo", "1.0", files=demo_files(), fmt=".tar.bz2")
    assert tarbz2.fn == "demo-1.0-0.tar.bz2"
    with tarfile.open(tarbz2.path, "r:bz2") as tar:
        names = tar.getnames()
        contents = {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    info_count = sum(name.startswith("info/") for name in names)
    assert all(name.startswith("info/") for name in names[:info_count])
    _, tars = conda_members(conda.path)
    conda_contents = {}
    for raw in tars.values():
        conda_contents.update({n: d for n, (m, d) in tar_files(raw).items() if m.isfile()})
    assert contents == conda_contents
    assert conda.paths == tarbz2.paths


def test_builds_are_byte_for_byte_reproducible(tmp_path):
    for fmt in (".conda", ".tar.bz2"):
        first = ck.build_package(tmp_path / "a", "demo", "1.0", files=demo_files(), fmt=fmt)
        second = ck.build_package(tmp_path / "b", "demo", "1.0", files=demo_files(), fmt=fmt)
        assert first.path.read_bytes() == second.path.read_bytes()


def test_noarch_python_package(tmp_path):
    pkg = ck.build_package(tmp_path, "pytool", "2.0", "pyh_0", noarch="python", depends=["python >=3.8"],
                           entry_points=["pytool = pytool.cli:main"],
                           files=[ck.site_packages_module("pytool/__init__.py", "VERSION = '2.0'\n"),
                                  ck.site_packages_module("pytool/cli.py", "def main():\n    return 0\n"),
                                  ck.python_script("pytool-helper", "#!/usr/bin/env python\nprint(1)\n"),
                                  ck.link_script("pytool", "post-link", "echo linked >> \"$PREFIX/.messages.txt\""),
                                  ck.link_script("pytool", "pre-unlink", "true"),
                                  ck.activation_script("pytool", "export PYTOOL=1\n"),
                                  ck.activation_script("pytool", "unset PYTOOL\n", deactivate=True)])
    assert pkg.subdir == "noarch" and pkg.index["noarch"] == "python"
    assert "arch" not in pkg.index
    _, tars = conda_members(pkg.path)
    info = tar_files(tars["info-pytool-2.0-pyh_0.tar.zst"])
    payload = tar_files(tars["pkg-pytool-2.0-pyh_0.tar.zst"])
    link = json.loads(info["info/link.json"][1])
    assert link == {"noarch": {"type": "python", "entry_points": ["pytool = pytool.cli:main"]},
                    "package_metadata_version": 1}
    assert payload["python-scripts/pytool-helper"][0].mode == 0o755
    assert payload["bin/.pytool-post-link.sh"][0].mode == 0o755
    assert "etc/conda/activate.d/pytool.sh" in payload
    assert "etc/conda/deactivate.d/pytool.sh" in payload
    generic = ck.build_package(tmp_path, "data", "1", noarch="generic", files=[ck.text_file("share/d", "d")])
    _, tars = conda_members(generic.path)
    link = json.loads(tar_files(tars["info-data-1-0.tar.zst"])["info/link.json"][1])
    assert link["noarch"] == {"type": "generic"}


def test_old_style_package_without_paths_json(tmp_path):
    pkg = ck.build_package(tmp_path, "old", "0.1", fmt=".tar.bz2", paths_json=False,
                           files=[ck.prefixed_text_file("etc/old.conf", "{prefix}\n")])
    with tarfile.open(pkg.path, "r:bz2") as tar:
        names = tar.getnames()
    assert "info/paths.json" not in names
    assert {"info/files", "info/has_prefix", "info/index.json"} <= set(names)


@pytest.mark.parametrize("kind", sorted(ck.HOSTILE_KINDS))
def test_hostile_packages_carry_what_they_claim(tmp_path, kind):
    fmt = ".conda" if kind in ("broken-zip64", "pkg-overrides-metadata") else ".tar.bz2"
    path = ck.build_hostile_package(tmp_path, kind, fmt=fmt)
    if kind == "broken-zip64":
        with zipfile.ZipFile(path) as archive, pytest.raises(Exception):
            archive.read(archive.infolist()[-1])
        return
    if fmt == ".conda":
        _, tars = conda_members(path)
        payload = tar_files(tars[f"pkg-{path.name[:-len('.conda')]}.tar.zst"])
        assert "info/index.json" in payload
        return
    members = {}
    with tarfile.open(path, "r:bz2") as tar:
        for member in tar:  # lazily: the bomb's last member must not be skipped over
            members[member.name] = member
            if member.name == "zeros.bin":
                break
    assert "info/index.json" in members
    expect = {
        "path-traversal": lambda: "../escaped.txt" in members,
        "absolute-path": lambda: any(n.startswith("/tmp/") for n in members),
        "symlink-escape": lambda: members["evil"].linkname == ".." and "evil/escaped.txt" in members,
        "symlink-absolute": lambda: members["evil"].linkname == "/tmp" and "evil/escaped.txt" in members,
        "hardlink-escape": lambda: members["lib/stolen"].islnk() and members["lib/stolen"].linkname == "../outside.txt",
        "device-file": lambda: members["dev/null"].ischr(),
        "fifo": lambda: members["run/pipe"].isfifo(),
        "setuid": lambda: members["bin/suid"].mode & 0o6000 == 0o6000,
        "bomb": lambda: members["zeros.bin"].size >= 32 << 30 and path.stat().st_size < 1 << 20,
        "non-utf8-name": lambda: "caf\udce9.txt" in members,
        "metadata-symlink": lambda: members["info/index.json"].issym(),
    }[kind]
    assert expect()


def test_bomb_conda_is_small_and_declares_a_huge_file(tmp_path):
    path = ck.build_hostile_package(tmp_path, "bomb", fmt=".conda")
    assert path.stat().st_size < 4 << 20
    with zipfile.ZipFile(path) as archive:
        member = next(i for i in archive.infolist() if i.filename.startswith("pkg-"))
        head = archive.open(member).read(1 << 16)
    # Only the first bytes: decompressing the whole member would write 32 GiB.
    proc = subprocess.run("zstd -q -d -c 2>/dev/null | head -c 512", shell=True, input=head, capture_output=True)
    header = tarfile.TarInfo.frombuf(proc.stdout, "utf-8", "surrogateescape")
    assert header.name == "zeros.bin" and header.size == 32 << 30


def test_channel_from_packages(tmp_path):
    built = [ck.build_package(tmp_path / "out", "demo", "1.0", files=[ck.text_file("a", "a")]),
             ck.build_package(tmp_path / "out", "demo", "1.0", files=[ck.text_file("a", "a")], fmt=".tar.bz2"),
             ck.build_package(tmp_path / "out", "data", "2", noarch="generic", files=[ck.text_file("b", "b")])]
    hostile = ck.build_hostile_package(tmp_path / "out", "setuid")
    channel = ck.write_channel_from_packages(tmp_path / "channel", [*built, hostile])
    linux = json.loads((channel / "linux-64/repodata.json").read_text())
    noarch = json.loads((channel / "noarch/repodata.json").read_text())
    assert linux["info"] == {"subdir": "linux-64"}
    assert set(linux["packages.conda"]) == {"demo-1.0-0.conda"}
    assert set(linux["packages"]) == {"demo-1.0-0.tar.bz2"}
    assert set(noarch["packages.conda"]) == {"data-2-0.conda"}
    assert set(noarch["packages"]) == {"hostile-setuid-1.0-0.tar.bz2"}
    for subdir, document in (("linux-64", linux), ("noarch", noarch)):
        for group in ("packages", "packages.conda"):
            for fn, record in document[group].items():
                data = (channel / subdir / fn).read_bytes()
                assert record["sha256"] == hashlib.sha256(data).hexdigest()
                assert record["md5"] == hashlib.md5(data).hexdigest()
                assert record["size"] == len(data)
    assert linux["packages.conda"]["demo-1.0-0.conda"]["depends"] == []
    assert noarch["packages"]["hostile-setuid-1.0-0.tar.bz2"]["name"] == "hostile-setuid"
