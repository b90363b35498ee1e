"""envctl create/install/update/remove/env remove against channels built by the tests and
served over loopback: file contents, prefix replacement, symlinks, shebangs, noarch python
entry points, conda-meta records, the package cache, and refusals of hostile archives."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from testkit import condapkg as ck
from testkit import prefixes

CHANNEL_ARGS = ("--override-channels",)


def cache_dir(home):
    return home / ".cache" / "envctl" / "pkgs"


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


def pyapp_package(out_dir, version="1.0"):
    return ck.build_package(out_dir, "pyapp", version, "py_0", noarch="python", depends=["python"], files=[
        ck.site_packages_module("pyapp/__init__.py",
                                "def main():\n    print('pyapp says hi')\n    return 0\n"),
        ck.site_packages_module("pyapp/util.py", "X = 1\n"),
        ck.python_script("pyapp-tool", "#!/usr/bin/env python\nprint('tool')\n"),
    ], entry_points=["pyapp = pyapp:main"])


@pytest.fixture
def demo_channel(tmp_path):
    build = tmp_path / "build"
    packages = [
        ck.build_package(build, "demo", "1.0", "h0_0", files=demo_files(), depends=["libdep"]),
        ck.build_package(build, "libdep", "2.1", "0", fmt=".tar.bz2", files=[ck.text_file("lib/libdep.txt", "dep\n")]),
        pyapp_package(build),
        prefixes.python_package(build),
    ]
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def create(envctl, prefix, url, *specs, expect=0, extra=()):
    return envctl.run("create", "-p", prefix, "-c", url, *CHANNEL_ARGS, "-y", *extra, *specs, expect=expect)


def test_create_installs_a_working_environment(envctl, serve, demo_channel, tmp_path, home):
    server = serve(demo_channel)
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, "demo", "pyapp")
    assert "linked" in proc.stdout

    # Plain files are hard links into the package cache; no_link files are copies.
    stem = cache_dir(home) / "demo-1.0-h0_0"
    assert (prefix / "share/demo/readme.txt").read_text() == "hello\n"
    assert os.stat(prefix / "share/demo/readme.txt").st_ino == os.stat(stem / "share/demo/readme.txt").st_ino
    assert os.stat(prefix / "share/demo/copy-me.txt").st_nlink == 1
    assert (prefix / "share/with space/file.txt").read_text() == "spaces\n"
    # Text placeholders, the long one too.
    assert (prefix / "etc/demo.conf").read_text() == f"prefix={prefix}\n"
    assert (prefix / "etc/long.conf").read_text() == f"prefix={prefix}\n"
    # Binary placeholder: same size, prefix inside a NUL-padded string.
    original = (stem / "lib/libdemo-bin.so").read_bytes()
    binary = (prefix / "lib/libdemo-bin.so").read_bytes()
    assert len(binary) == len(original)
    assert f"RPATH={prefix}/lib\0".encode() in binary
    assert ck.LONG_PLACEHOLDER.encode() not in binary
    # Shebangs: replaced, and the one over the kernel's limit rewritten to /usr/bin/env.
    assert (prefix / "bin/demo").read_text().splitlines()[0] == f"#!{prefix}/bin/python"
    assert (prefix / "bin/demo-long").read_text().splitlines()[0] == "#!/usr/bin/env sh"
    assert subprocess.run([prefix / "bin/demo-long"], capture_output=True, text=True).stdout == "long\n"
    # Symlinks stay symlinks, dangling ones too; empty directories are created.
    assert os.readlink(prefix / "lib/libdemo.so") == "libdemo.so.1"
    assert (prefix / "lib/libdemo.so").read_text() == "library\n"
    assert os.readlink(prefix / "lib/dangling") == "does-not-exist"
    assert (prefix / "lib/alias/data.txt").read_text() == "data\n"
    assert (prefix / "var/empty").is_dir()

    # noarch: python into the environment's site-packages, python-scripts into bin, an entry
    # point that runs (bin/python is the wrapper around /usr/bin/python3), and .pyc files.
    version = prefixes.system_python_version()
    short = ".".join(version.split(".")[:2])
    site = prefix / f"lib/python{short}/site-packages"
    assert (site / "pyapp/__init__.py").exists()
    assert (prefix / "bin/pyapp-tool").exists()
    run = subprocess.run([prefix / "bin/pyapp"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "pyapp says hi\n"
    tag = short.replace(".", "")
    assert (site / f"pyapp/__pycache__/__init__.cpython-{tag}.pyc").exists()

    # conda-meta: what conda and micromamba read.
    records = prefixes.check_consistent(prefix)
    assert set(records) == {"demo-1.0-h0_0", "libdep-2.1-0", "pyapp-1.0-py_0", f"python-{version}-0"}
    demo = records["demo-1.0-h0_0"]
    for key in ("name", "version", "build", "build_number", "depends", "subdir", "md5", "sha256", "size", "url",
                "channel", "fn", "files", "paths_data", "link", "requested_spec", "extracted_package_dir",
                "package_tarball_full_path"):
        assert key in demo, key
    assert demo["url"] == f"{server.url}/linux-64/demo-1.0-h0_0.conda"
    assert demo["channel"] == server.url
    assert demo["requested_spec"] == "demo"
    assert demo["link"] == {"source": str(stem), "type": 1}
    assert records["libdep-2.1-0"]["requested_spec"] == ""
    paths = {p["_path"]: p for p in demo["paths_data"]["paths"]}
    assert paths["etc/demo.conf"]["prefix_placeholder"] == ck.LEGACY_PLACEHOLDER
    assert paths["etc/demo.conf"]["sha256_in_prefix"] != paths["etc/demo.conf"]["sha256"]
    assert paths["lib/libdemo.so"]["path_type"] == "softlink"
    assert paths["var/empty"]["path_type"] == "directory"
    pyapp = {p["_path"]: p for p in records["pyapp-1.0-py_0"]["paths_data"]["paths"]}
    assert pyapp["bin/pyapp"]["path_type"] == "unix_python_entry_point"
    assert pyapp[f"lib/python{short}/site-packages/pyapp/__pycache__/util.cpython-{tag}.pyc"]["path_type"] == "pyc_file"
    history = (prefix / "conda-meta/history").read_text()
    assert history.startswith("==> ")
    assert f"+{server.url}/linux-64::demo-1.0-h0_0" in history
    assert "# update specs: ['demo', 'pyapp']" in history

    # A second create reuses the cache: no archive is downloaded again.
    archives_before = [p for p in server.paths() if p.endswith((".conda", ".tar.bz2"))]
    assert len(archives_before) == 4
    create(envctl, tmp_path / "env2", server.url, "demo", "pyapp")
    archives_after = [p for p in server.paths() if p.endswith((".conda", ".tar.bz2"))]
    assert archives_after == archives_before
    prefixes.check_consistent(tmp_path / "env2")


def test_create_json_and_copy_mode(envctl, serve, demo_channel, tmp_path, home):
    server = serve(demo_channel)
    prefix = tmp_path / "env"
    document = envctl.json("create", "-p", prefix, "-c", server.url, *CHANNEL_ARGS, "--copy", "--no-pyc", "demo")
    assert document["success"] is True
    assert sorted(r["name"] for r in document["actions"]["LINK"]) == ["demo", "libdep"]
    assert document["cache"]["downloaded"] == 2
    stem = cache_dir(home) / "demo-1.0-h0_0"
    assert os.stat(prefix / "share/demo/readme.txt").st_ino != os.stat(stem / "share/demo/readme.txt").st_ino
    assert prefixes.records(prefix)["demo-1.0-h0_0"]["link"]["type"] == 3
    prefixes.check_consistent(prefix)


def test_update_and_remove_leave_exactly_the_expected_files(envctl, serve, tmp_path):
    build = tmp_path / "build"
    packages = [
        ck.build_package(build, "app", "1.0", "0", depends=["base"], files=[
            ck.text_file("share/app/common.txt", "v1\n"), ck.text_file("share/app/only-v1.txt", "old\n"),
            ck.prefixed_text_file("etc/app.conf", "home={prefix}\n")]),
        ck.build_package(build, "app", "2.0", "0", depends=["base"], files=[
            ck.text_file("share/app/common.txt", "v2\n"), ck.text_file("share/app/only-v2.txt", "new\n"),
            ck.prefixed_text_file("etc/app.conf", "home={prefix}\n")]),
        ck.build_package(build, "base", "1.0", "0", files=[ck.text_file("share/base/base.txt", "base\n")]),
        ck.build_package(build, "extra", "1.0", "0", depends=["app"], files=[ck.text_file("share/extra.txt", "x\n")]),
    ]
    server = serve(ck.write_channel_from_packages(tmp_path / "channel", packages))
    prefix = tmp_path / "env"
    create(envctl, prefix, server.url, "app=1.0")
    assert prefixes.files_on_disk(prefix) == {"share/app/common.txt", "share/app/only-v1.txt", "etc/app.conf",
                                              "share/base/base.txt"}

    envctl.run("update", "-p", prefix, "-c", server.url, *CHANNEL_ARGS, "-y", "app")
    assert prefixes.files_on_disk(prefix) == {"share/app/common.txt", "share/app/only-v2.txt", "etc/app.conf",
                                              "share/base/base.txt"}
    assert (prefix / "share/app/common.txt").read_text() == "v2\n"
    assert set(prefixes.check_consistent(prefix)) == {"app-2.0-0", "base-1.0-0"}
    assert not (prefix / "share/app/only-v1.txt").exists()

    envctl.run("install", "-p", prefix, "-c", server.url, *CHANNEL_ARGS, "-y", "extra")
    assert set(prefixes.check_consistent(prefix)) == {"app-2.0-0", "base-1.0-0", "extra-1.0-0"}

    # Removing app removes extra (which needs it) but keeps base.
    envctl.run("remove", "-p", prefix, "-y", "app")
    assert prefixes.files_on_disk(prefix) == {"share/base/base.txt"}
    assert set(prefixes.check_consistent(prefix)) == {"base-1.0-0"}
    assert not (prefix / "share/app").exists()
    history = (prefix / "conda-meta/history").read_text()
    assert "# remove specs: ['app']" in history
    assert history.count("==> ") == 4

    proc = envctl.run("remove", "-p", prefix, "-y", "nothere", expect=2)
    assert "not installed" in proc.stderr

    envctl.run("env", "remove", "-p", prefix, "-y")
    assert not prefix.exists()
    proc = envctl.run("env", "remove", "-p", prefix, "-y", expect=2)
    assert "not an environment" in proc.stderr


def test_dry_run_changes_nothing(envctl, serve, demo_channel, tmp_path):
    server = serve(demo_channel)
    prefix = tmp_path / "env"
    create(envctl, prefix, server.url, "demo")
    before = prefixes.files_on_disk(prefix)
    proc = envctl.run("install", "-p", prefix, "-c", server.url, *CHANNEL_ARGS, "--dry-run", "pyapp")
    assert "pyapp" in proc.stdout and "Dry run" in proc.stdout
    assert prefixes.files_on_disk(prefix) == before


def test_two_packages_writing_one_path(envctl, serve, tmp_path):
    build = tmp_path / "build"
    packages = [ck.build_package(build, "first", "1.0", "0", files=[ck.text_file("bin/tool", "first\n")]),
                ck.build_package(build, "second", "1.0", "0", files=[ck.text_file("bin/tool", "second\n")])]
    server = serve(ck.write_channel_from_packages(tmp_path / "channel", packages))
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, "second", "first")
    assert (prefix / "bin/tool").read_text() == "second\n"  # later in name order wins
    assert "bin/tool: second-1.0-0 replaced the file of first-1.0-0" in proc.stderr


def test_environment_file_prefix_name_and_variables(envctl, serve, demo_channel, tmp_path):
    server = serve(demo_channel)
    project = tmp_path / "project"
    project.mkdir()
    (project / "environment.yml").write_text(
        f"name: myenv\nchannels:\n  - {server.url}\n  - nodefaults\ndependencies:\n  - libdep\n"
        "variables:\n  MY_VAR: hello\n  OTHER: '1'\n")
    envctl.run("create", "-f", project / "environment.yml", "-y", "--override-channels", "-c", server.url)
    prefix = project / ".envctl/envs/myenv"
    assert (prefix / "lib/libdep.txt").exists()
    state = json.loads((prefix / "conda-meta/state").read_text())
    assert state == {"env_vars": {"MY_VAR": "hello", "OTHER": "1"}}

    envctl.run("create", "-n", "named", "-c", server.url, *CHANNEL_ARGS, "-y", "libdep")
    assert (tmp_path / "root/envs/named/lib/libdep.txt").exists()


def test_hash_mismatch_is_an_integrity_error(envctl, serve, tmp_path, home):
    build = tmp_path / "build"
    package = ck.build_package(build, "demo", "1.0", "0", files=[ck.text_file("a.txt", "a\n")])
    channel = ck.write_channel_from_packages(tmp_path / "channel", [package])
    repodata_file = channel / "linux-64/repodata.json"
    repodata = json.loads(repodata_file.read_text())
    repodata["packages.conda"][package.fn]["sha256"] = "0" * 64
    repodata_file.write_text(json.dumps(repodata))
    server = serve(channel, "--token", "s3cret")
    url = f"http://127.0.0.1:{server.port}/t/s3cret"
    proc = create(envctl, tmp_path / "env", url, "demo", expect=4)
    assert "demo-1.0-0" in proc.stderr
    assert "/linux-64/demo-1.0-0.conda" in proc.stderr
    assert "s3cret" not in proc.stderr
    assert not (cache_dir(home) / package.fn).exists()
    assert not (cache_dir(home) / "demo-1.0-0").exists()


@pytest.mark.parametrize("kind", ["path-traversal", "absolute-path", "symlink-escape", "symlink-absolute"])
@pytest.mark.parametrize("fmt", [".conda", ".tar.bz2"])
def test_hostile_archives_are_refused(envctl, serve, tmp_path, home, kind, fmt):
    name = f"hostile-{kind}"
    archive = ck.build_hostile_package(tmp_path / "build", kind, fmt=fmt, name=name)
    channel = ck.write_channel_from_packages(tmp_path / "channel", [archive])
    server = serve(channel)
    cache = cache_dir(home)
    before = set(Path("/tmp").glob("envctl-hostile-*"))
    proc = create(envctl, tmp_path / "env", server.url, name, expect=4)
    assert name in proc.stderr
    # Nothing escaped, nothing stays in the cache, the prefix got nothing.
    assert not (tmp_path / "escaped.txt").exists()
    assert not (cache.parent / "escaped.txt").exists()
    assert set(Path("/tmp").glob("envctl-hostile-*")) == before
    leftovers = [p.name for p in cache.iterdir() if p.name not in ("urls.txt", ".envctl-locks")] if cache.exists() else []
    assert leftovers == []
    assert not (tmp_path / "env/conda-meta").exists() or not list((tmp_path / "env/conda-meta").glob("*.json"))


def test_a_binary_placeholder_shorter_than_the_prefix_fails_cleanly(envctl, serve, tmp_path):
    build = tmp_path / "build"
    packages = [ck.build_package(build, "short", "1.0", "0", files=[
        ck.binary_with_placeholder("lib/short.so", placeholder="/opt/p"), ck.text_file("share/short.txt", "s\n")])]
    server = serve(ck.write_channel_from_packages(tmp_path / "channel", packages))
    prefix = tmp_path / "a-prefix-longer-than-the-placeholder"
    proc = create(envctl, prefix, server.url, "short", expect=2)
    assert "longer than" in proc.stderr and "short-1.0-0" in proc.stderr
    assert prefixes.files_on_disk(prefix) == set()
    prefixes.check_consistent(prefix)
