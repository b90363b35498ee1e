"""testkit/pypi.py writes wheels and simple indexes that follow the specs: checked here with Python's
zipfile/email/html parsers, over channel-server, and (when pip is installed) by pip itself."""
import base64
import email.parser
import hashlib
import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from html.parser import HTMLParser

import pytest

from testkit import pypi


class Anchors(HTMLParser):
    def __init__(self):
        super().__init__()
        self.anchors = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors_of(text):
    parser = Anchors()
    parser.feed(text)
    return parser.anchors


def demo_wheel(out):
    return pypi.build_wheel(
        out, "Demo.Pkg", "1.2.0", requires_dist=["helper>=2", "fastlib; extra == 'fast'",
                                                 "winonly; sys_platform == 'win32'"],
        provides_extra=["fast"], requires_python=">=3.8", console_scripts={"demo": "demo_pkg:main"},
        gui_scripts={"demo-gui": "demo_pkg:gui"},
        data={"scripts": {"demo-sh": "#!python\nprint('hi')\n"}, "data": {"share/demo/x.txt": "x\n"},
              "headers": {"demo.h": "#define DEMO 1\n"}})


def test_wheel_layout_and_record(tmp_path):
    wheel = demo_wheel(tmp_path)
    assert wheel.filename == "demo_pkg-1.2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel.path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        record = archive.read("demo_pkg-1.2.0.dist-info/RECORD").decode().splitlines()
        listed = {}
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            listed[path] = (digest, size)
        assert set(listed) == set(names)
        for name in names:
            digest, size = listed[name]
            if name.endswith("/RECORD"):
                assert (digest, size) == ("", "")
                continue
            content = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={expected}" and int(size) == len(content)
        metadata = email.parser.Parser().parsestr(archive.read("demo_pkg-1.2.0.dist-info/METADATA").decode())
        assert metadata["Name"] == "Demo.Pkg" and metadata["Requires-Python"] == ">=3.8"
        assert "fastlib; extra == 'fast'" in metadata.get_all("Requires-Dist")
        assert archive.read("demo_pkg-1.2.0.dist-info/METADATA") == wheel.metadata
        wheel_file = archive.read("demo_pkg-1.2.0.dist-info/WHEEL").decode()
        assert "Root-Is-Purelib: true" in wheel_file and "Tag: py3-none-any" in wheel_file
        entry_points = archive.read("demo_pkg-1.2.0.dist-info/entry_points.txt").decode()
        assert "[console_scripts]\ndemo = demo_pkg:main" in entry_points and "[gui_scripts]" in entry_points
        script = archive.getinfo("demo_pkg-1.2.0.data/scripts/demo-sh")
        assert (script.external_attr >> 16) & 0o777 == 0o755
        assert "demo_pkg-1.2.0.data/headers/demo.h" in names
        assert "demo_pkg-1.2.0.data/data/share/demo/x.txt" in names
    assert pypi.build_wheel(tmp_path / "again", "Demo.Pkg", "1.2.0").sha256 != wheel.sha256
    assert demo_wheel(tmp_path / "same").sha256 == wheel.sha256  # deterministic


def test_platform_tags_and_hostile_options(tmp_path):
    wheel = pypi.build_wheel(tmp_path, "native", "0.1", tags="cp311.cp312-abi3-manylinux_2_17_x86_64")
    with zipfile.ZipFile(wheel.path) as archive:
        text = archive.read("native-0.1.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in text
    assert "Tag: cp311-abi3-manylinux_2_17_x86_64" in text and "Tag: cp312-abi3-manylinux_2_17_x86_64" in text

    bad = pypi.build_wheel(tmp_path / "bad", "evil", "1.0", extra_entries=[("../escape.txt", b"x")],
                           tamper_record=lambda lines: [line.replace("sha256=", "sha256=AAAA", 1)
                                                        if line.startswith("evil/") else line for line in lines])
    with zipfile.ZipFile(bad.path) as archive:
        assert "../escape.txt" in archive.namelist()
        record = archive.read("evil-1.0.dist-info/RECORD").decode()
    assert "evil/__init__.py,sha256=AAAA" in record
    no_record = pypi.build_wheel(tmp_path / "norecord", "bare", "1.0", omit_record=True)
    assert "bare-1.0.dist-info/RECORD" not in zipfile.ZipFile(no_record.path).namelist()


def test_index_pages(tmp_path):
    dist = tmp_path / "dist"
    wheels = [demo_wheel(dist), pypi.build_wheel(dist, "helper", "2.0"),
              pypi.build_wheel(dist, "helper", "2.1", requires_python="<3")]
    sdist = pypi.build_sdist(dist, "helper", "3.0")
    root = pypi.write_index(tmp_path / "index", [*wheels, sdist], yanked={"helper-2.0-py3-none-any.whl": "bad build"},
                            without_metadata={"helper-2.1-py3-none-any.whl"})
    page = (root / "simple" / "helper" / "index.html").read_text()
    anchors = anchors_of(page)
    assert [a["href"].split("#")[0] for a in anchors] == [
        "../../files/helper-2.0-py3-none-any.whl", "../../files/helper-2.1-py3-none-any.whl",
        "../../files/helper-3.0.tar.gz"]
    assert anchors[0]["data-yanked"] == "bad build"
    assert anchors[1]["data-requires-python"] == "<3"  # html.parser unescapes &lt;
    assert "&lt;3" in page
    assert "data-core-metadata" in anchors[0] and "data-core-metadata" not in anchors[1]
    helper_20 = root / "files" / "helper-2.0-py3-none-any.whl"
    assert anchors[0]["href"].endswith("#sha256=" + hashlib.sha256(helper_20.read_bytes()).hexdigest())
    metadata = (root / "files" / "helper-2.0-py3-none-any.whl.metadata").read_bytes()
    assert anchors[0]["data-core-metadata"] == "sha256=" + hashlib.sha256(metadata).hexdigest()
    assert not (root / "files" / "helper-2.1-py3-none-any.whl.metadata").exists()

    document = json.loads((root / "simple" / "helper" / "index.json").read_text())
    assert document["meta"]["api-version"] == "1.1" and document["versions"] == ["2.0", "2.1", "3.0"]
    files = {entry["filename"]: entry for entry in document["files"]}
    assert files["helper-2.0-py3-none-any.whl"]["yanked"] == "bad build"
    assert files["helper-2.1-py3-none-any.whl"]["yanked"] is False
    assert "core-metadata" not in files["helper-2.1-py3-none-any.whl"]
    assert files["helper-2.1-py3-none-any.whl"]["requires-python"] == "<3"
    root_page = anchors_of((root / "simple" / "index.html").read_text())
    assert [a["href"] for a in root_page] == ["demo-pkg/", "helper/"]


def test_served_with_content_negotiation(tmp_path, serve):
    wheel = pypi.build_wheel(tmp_path / "dist", "helper", "2.0")
    server = serve(pypi.write_index(tmp_path / "index", [wheel]))
    request = urllib.request.Request(f"{server.url}/simple/helper/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"].startswith("application/vnd.pypi.simple.v1+json")
        assert json.loads(response.read())["name"] == "helper"
    with urllib.request.urlopen(f"{server.url}/simple/helper/") as response:
        assert "helper-2.0-py3-none-any.whl" in response.read().decode()
    with urllib.request.urlopen(f"{server.url}/files/helper-2.0-py3-none-any.whl.metadata") as response:
        assert response.read() == wheel.metadata


def pip_available():
    return subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode == 0


def test_pip_installs_from_the_index(tmp_path, serve):
    """pip, an independent installer, accepts the wheels and index and honours yanks and extras."""
    if not pip_available():
        pytest.skip("pip is not installed for this python; cannot cross-check the index with pip")
    dist = tmp_path / "dist"
    wheels = [demo_wheel(dist), pypi.build_wheel(dist, "helper", "2.0"), pypi.build_wheel(dist, "helper", "2.5"),
              pypi.build_wheel(dist, "fastlib", "1.0")]
    server = serve(pypi.write_index(tmp_path / "index", wheels, yanked={"helper-2.5-py3-none-any.whl": ""}))
    target = tmp_path / "target"
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-cache-dir", "--target", str(target),
                           "--index-url", f"{server.url}/simple/", "demo.pkg[fast]"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    installed = sorted(path.name for path in target.glob("*.dist-info"))
    assert installed == ["demo_pkg-1.2.0.dist-info", "fastlib-1.0.dist-info", "helper-2.0.dist-info"]
    assert (target / "bin" / "demo").exists() and (target / "bin" / "demo-sh").exists()
