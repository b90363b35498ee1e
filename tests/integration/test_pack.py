"""envctl pack / unpack: relocatable tar packs and OCI image layouts, from a prefix or from a
lockfile through the package cache, with real packages (text and binary prefix placeholders, a
shebang script) served on loopback. OCI checks use umoci and skopeo when installed."""
import hashlib
import json
import os
import shutil
import subprocess
import tarfile

import pytest

from testkit.condapkg import (LONG_PLACEHOLDER, binary_with_placeholder, build_package, placeholder_script,
                              prefixed_text_file, text_file, write_channel_from_packages)

MYSH = "#!/bin/sh\nexec /bin/sh \"$@\"\n"


def demo_packages(out):
    return [
        build_package(out, "mysh", "1.0", "h_0", files=[text_file("bin/mysh", MYSH, mode=0o755)]),
        build_package(out, "libdemo", "1.0", "h_0", files=[
            binary_with_placeholder("lib/libdemo.so"),
            prefixed_text_file("etc/demo.conf", "prefix={prefix}\n", placeholder=LONG_PLACEHOLDER)]),
        build_package(out, "libdemo", "1.1", "h_0", files=[
            binary_with_placeholder("lib/libdemo.so"),
            prefixed_text_file("etc/demo.conf", "prefix={prefix}\nversion=1.1\n", placeholder=LONG_PLACEHOLDER)]),
        build_package(out, "hello", "1.0", "h_0", depends=["mysh", "libdemo"], files=[
            placeholder_script("bin/hello", 'echo "hello from $(dirname "$(dirname "$0")")"', interpreter="bin/mysh"),
            text_file("share/hello/readme.txt", "plain\n")]),
    ]


@pytest.fixture
def channel(tmp_path, serve):
    return serve(write_channel_from_packages(tmp_path / "chan", demo_packages(tmp_path / "built")))


def locked(envctl, tmp_path, channel, name, deps):
    """A project folder with environment.yml and its envctl-lock.yml; returns the lockfile."""
    work = tmp_path / name
    work.mkdir()
    env = work / "environment.yml"
    env.write_text("name: t\nchannels:\n  - " + channel.url + "\ndependencies:\n" + "".join(f"  - {d}\n" for d in deps))
    envctl.run("lock", "-f", env, "--platform", "linux-64")
    return work / "envctl-lock.yml"


@pytest.fixture
def lockfile(envctl, tmp_path, channel):
    return locked(envctl, tmp_path, channel, "project", ["hello", "libdemo 1.0"])


@pytest.fixture
def prefix(envctl, tmp_path, lockfile):
    path = tmp_path / "env"
    envctl.run("create", "-y", "-f", lockfile, "-p", path)
    return path


def run_hello(prefix):
    return subprocess.run([str(prefix / "bin/hello")], capture_output=True, text=True, check=True).stdout.strip()


def check_relocated(dest):
    dest = str(dest)
    assert (open(os.path.join(dest, "etc/demo.conf")).read().startswith(f"prefix={dest}\n"))
    blob = open(os.path.join(dest, "lib/libdemo.so"), "rb").read()
    assert (b"RPATH=" + dest.encode() + b"/lib\0") in blob
    assert LONG_PLACEHOLDER.encode() not in blob


def test_prefix_pack_unpacks_elsewhere_and_runs(envctl, tmp_path, prefix):
    assert run_hello(prefix) == f"hello from {prefix}"
    archive = tmp_path / "env.tar.zst"
    out = envctl.json("pack", "-p", prefix, "-o", archive)
    assert out["packages"] == 3 and out["placeholder_files"] >= 3
    again = tmp_path / "again.tar.zst"
    envctl.run("pack", "-p", prefix, "-o", again)
    assert archive.read_bytes() == again.read_bytes()

    dest = tmp_path / "new"  # no longer than the packed prefix: its binary placeholder must fit
    result = envctl.json("unpack", archive, "-p", dest)
    assert result["binary_rewritten"] == 1 and result["text_rewritten"] >= 2
    assert run_hello(dest) == f"hello from {dest}"
    check_relocated(dest)
    assert str(prefix) not in (dest / "bin/hello").read_text()
    assert (dest / "conda-meta/history").exists()
    envctl.run("verify", "-p", dest, "--no-files", "--no-extra-files")


def test_unpack_refuses_a_prefix_longer_than_a_binary_placeholder(envctl, tmp_path, prefix):
    archive = tmp_path / "env.tar.gz"
    envctl.run("pack", "-p", prefix, "-o", archive)
    dest = tmp_path / ("d" * (len(str(prefix)) + 10))
    out = envctl.json("unpack", archive, "-p", dest, expect=2)
    assert "binary prefix placeholder" in out["error"] and "lib/libdemo.so" in out["error"]
    assert not dest.exists()


def test_lockfile_pack_uses_the_cache_and_is_reproducible(envctl, tmp_path, channel, lockfile, prefix):
    # The packages are in the cache since `prefix` was created: packing must not use the network.
    channel.stop()
    first = tmp_path / "one.tar.zst"
    second = tmp_path / "two.tar.zst"
    envctl.run("pack", "-f", lockfile, "-o", first, "--platform", "linux-64")
    envctl.run("pack", "-f", lockfile, "-o", second, "--platform", "linux-64")
    assert first.read_bytes() == second.read_bytes()
    dest = tmp_path / "fromlock"
    envctl.run("unpack", first, "-p", dest)
    assert run_hello(dest) == f"hello from {dest}"
    check_relocated(dest)
    records = sorted(p.name for p in (dest / "conda-meta").glob("*.json"))
    assert records == ["hello-1.0-h_0.json", "libdemo-1.0-h_0.json", "mysh-1.0-h_0.json"]


def test_lockfile_pack_fetches_missing_packages_and_checks_files(envctl, tmp_path, lockfile, home):
    archive = tmp_path / "env.tar"
    envctl.run("pack", "-f", lockfile, "-o", archive, "--platform", "linux-64")  # downloads into the cache
    # A damaged cache entry is noticed while packing.
    readme = next(home.glob("**/pkgs/hello-1.0-h_0/share/hello/readme.txt"), None) or \
        next((tmp_path / "root").glob("**/hello-1.0-h_0/share/hello/readme.txt"))
    readme.write_text("tampered\n")
    out = envctl.json("pack", "-f", lockfile, "-o", tmp_path / "bad.tar", "--platform", "linux-64", expect=4)
    assert "readme.txt" in out["error"]


def test_sh_unpacker_rewrites_text_and_refuses_binary(envctl, tmp_path, lockfile):
    archive = tmp_path / "env.tar.gz"
    envctl.run("pack", "-f", lockfile, "-o", archive, "--platform", "linux-64")
    dest = tmp_path / "plain"
    with tarfile.open(archive) as tar:
        tar.extractall(dest)
    names = tarfile.open(archive).getnames()
    assert names[:3] == [".envctl-pack", ".envctl-pack/manifest.json", ".envctl-pack/placeholders.txt"]
    manifest = json.loads((dest / ".envctl-pack/manifest.json").read_text())
    modes = {f["path"]: f["mode"] for f in manifest["files"]}
    assert modes["lib/libdemo.so"] == "binary" and modes["bin/hello"] == "text"
    refused = subprocess.run(["sh", str(dest / "bin/envctl-unpack")], capture_output=True, text=True)
    assert refused.returncode == 3 and "envctl unpack" in refused.stderr
    subprocess.run(["sh", str(dest / "bin/envctl-unpack"), "--skip-binary"], check=True, capture_output=True)
    assert run_hello(dest) == f"hello from {dest}"
    assert (dest / "etc/demo.conf").read_text() == f"prefix={dest}\n"
    # Moved again: the script rewrites from the location it last wrote.
    moved = tmp_path / "elsewhere"
    shutil.move(str(dest), str(moved))
    subprocess.run(["sh", str(moved / "bin/envctl-unpack"), "--skip-binary"], check=True, capture_output=True)
    assert run_hello(moved) == f"hello from {moved}"


def oci_blob(layout, digest):
    return json.loads((layout / "blobs/sha256" / digest.split(":")[1]).read_bytes())


def oci_manifest(layout, tag):
    index = json.loads((layout / "index.json").read_text())
    entry = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == tag)
    return oci_blob(layout, entry["digest"])


def test_oci_layout_is_deterministic_and_well_formed(envctl, tmp_path, lockfile):
    one = envctl.json("pack", "-f", lockfile, "--format", "oci", "-o", tmp_path / "one", "--tag", "demo:1",
                      "--prefix", "/opt/env", "--entrypoint", "hello", "--platform", "linux/amd64")
    two = envctl.json("pack", "-f", lockfile, "--format", "oci", "-o", tmp_path / "two", "--tag", "demo:1",
                      "--prefix", "/opt/env", "--entrypoint", "hello", "--platform", "linux/amd64")
    assert one["manifest_digest"] == two["manifest_digest"]
    assert len(one["layers"]) == 4  # three packages and the environment
    layout = tmp_path / "one"
    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    manifest = oci_manifest(layout, "1")
    for blob in [manifest["config"]] + manifest["layers"]:
        data = (layout / "blobs/sha256" / blob["digest"].split(":")[1]).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == blob["digest"] and len(data) == blob["size"]
    config = oci_blob(layout, manifest["config"]["digest"])
    assert config["architecture"] == "amd64" and config["os"] == "linux"
    assert config["config"]["Entrypoint"] == ["hello"]
    assert "PATH=/opt/env/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in config["config"]["Env"]
    assert "CONDA_PREFIX=/opt/env" in config["config"]["Env"]
    assert len(config["rootfs"]["diff_ids"]) == 4
    # The layer of libdemo holds its files at the prefix, rewritten for it, and its record.
    layer = next(l for l in one["layers"] if l["packages"] == ["libdemo-1.0-h_0"])
    with tarfile.open(layout / "blobs/sha256" / layer["digest"].split(":")[1]) as tar:
        names = tar.getnames()
        assert "opt/env/lib/libdemo.so" in names and "opt/env/conda-meta/libdemo-1.0-h_0.json" in names
        assert all(m.uid == 0 and m.mtime == 0 for m in tar.getmembers())
        blob = tar.extractfile("opt/env/lib/libdemo.so").read()
        assert b"RPATH=/opt/env/lib\0" in blob
    # As one tar file: the same image.
    archive = tmp_path / "image.tar"
    three = envctl.json("pack", "-f", lockfile, "--format", "oci", "-o", archive, "--tag", "demo:1",
                        "--prefix", "/opt/env", "--entrypoint", "hello", "--platform", "linux/amd64")
    assert three["manifest_digest"] == one["manifest_digest"]
    with tarfile.open(archive) as tar:
        assert "index.json" in tar.getnames() and "oci-layout" in tar.getnames()


def test_changing_one_package_changes_only_its_layers(envctl, tmp_path, channel, lockfile):
    newer = locked(envctl, tmp_path, channel, "newer", ["hello", "libdemo 1.1"])
    old = envctl.json("pack", "-f", lockfile, "--format", "oci", "-o", tmp_path / "layout", "--tag", "env:1")
    new = envctl.json("pack", "-f", newer, "--format", "oci", "-o", tmp_path / "layout", "--tag", "env:2")
    old_layers = {tuple(l["packages"]): l["digest"] for l in old["layers"]}
    new_layers = {tuple(l["packages"]): l["digest"] for l in new["layers"]}
    assert old_layers[("hello-1.0-h_0",)] == new_layers[("hello-1.0-h_0",)]
    assert old_layers[("mysh-1.0-h_0",)] == new_layers[("mysh-1.0-h_0",)]
    assert ("libdemo-1.1-h_0",) in new_layers and ("libdemo-1.0-h_0",) not in new_layers
    changed = set(new_layers.values()) - set(old_layers.values())
    assert len(changed) == 2  # libdemo's layer and the environment layer (conda-meta/history)
    # Both tags live in the same layout and share the unchanged blobs.
    index = json.loads((tmp_path / "layout/index.json").read_text())
    assert sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]) == ["1", "2"]


def test_oci_image_on_a_base_layout(envctl, tmp_path, channel, lockfile):
    base = tmp_path / "base"
    small = locked(envctl, tmp_path, channel, "small", ["mysh"])
    envctl.run("pack", "-f", small, "--format", "oci", "-o", base, "--tag", "base:1", "--prefix", "/opt/base")
    out = envctl.json("pack", "-f", lockfile, "--format", "oci", "-o", tmp_path / "app", "--tag", "app:1",
                      "--base", f"{base}:1")
    assert out["base_layers"] == 2
    manifest = oci_manifest(tmp_path / "app", "1")
    base_manifest = oci_manifest(base, "1")
    assert manifest["layers"][:2] == base_manifest["layers"]
    env = oci_blob(tmp_path / "app", manifest["config"]["digest"])["config"]["Env"]
    assert "PATH=/opt/env/bin:/opt/base/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in env
    assert "CONDA_PREFIX=/opt/env" in env and "CONDA_PREFIX=/opt/base" not in env
    missing = envctl.json("pack", "-f", lockfile, "--format", "oci", "-o", tmp_path / "x", "--base", f"{base}:nope", expect=2)
    assert "nope" in missing["error"]


def need(tool):
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (scripts/install-deps installs it)")


def test_umoci_unpacks_the_image(envctl, tmp_path, lockfile):
    need("umoci")
    layout = tmp_path / "layout"
    envctl.run("pack", "-f", lockfile, "--format", "oci", "-o", layout, "--tag", "env:v1", "--prefix", "/opt/env",
               "--entrypoint", "hello")
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--rootless", "--image", f"{layout}:v1", str(bundle)], check=True,
                   capture_output=True, text=True)
    root = bundle / "rootfs" / "opt" / "env"
    assert (root / "bin/hello").read_text().startswith("#!/opt/env/bin/mysh\n")
    assert (root / "etc/demo.conf").read_text() == "prefix=/opt/env\n"
    assert (root / "conda-meta/history").exists()
    assert b"RPATH=/opt/env/lib\0" in (root / "lib/libdemo.so").read_bytes()
    runtime = json.loads((bundle / "config.json").read_text())
    assert "CONDA_PREFIX=/opt/env" in runtime["process"]["env"]
    assert runtime["process"]["args"][0] == "hello"


def test_skopeo_reads_the_image(envctl, tmp_path, lockfile):
    need("skopeo")
    layout = tmp_path / "layout"
    envctl.run("pack", "-f", lockfile, "--format", "oci", "-o", layout, "--tag", "env:v1")
    proc = subprocess.run(["skopeo", "inspect", f"oci:{layout}:v1"], capture_output=True, text=True)
    if proc.returncode != 0 and "policy" in proc.stderr:
        pytest.skip(f"skopeo cannot run here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    assert info["Architecture"] == "amd64" and info["Os"] == "linux"
    assert any(v.startswith("PATH=/opt/env/bin:") for v in info["Env"])
    assert len(info["Layers"]) == 4
