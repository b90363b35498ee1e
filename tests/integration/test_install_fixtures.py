"""Installing real third-party packages from ../shared/fixtures: conda's zlib 1.2.11 builds
(.conda and .tar.bz2) and conda's test-recipe packages with link and activation scripts."""
import ctypes
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import shared_path
from testkit import prefixes


@pytest.fixture
def zlib_channel():
    return shared_path("fixtures", "channels", "conda-format-repo")


def single_format_channel(source, tmp_path, fn):
    """The fixture channel with only one of the two zlib archives listed (clients prefer .conda
    when both are there); libgcc-ng stays listed and missing, as in the fixture."""
    channel = tmp_path / "one-format"
    (channel / "linux-64").mkdir(parents=True)
    (channel / "noarch").mkdir()
    shutil.copy(source / "linux-64" / fn, channel / "linux-64" / fn)
    repodata = json.loads((source / "linux-64/repodata.json").read_text())
    for key in ("packages", "packages.conda"):
        repodata[key] = {name: record for name, record in repodata[key].items()
                         if not name.startswith("zlib-") or name == fn}
    (channel / "linux-64/repodata.json").write_text(json.dumps(repodata))
    (channel / "noarch/repodata.json").write_text(json.dumps({"info": {"subdir": "noarch"}, "packages": {}}))
    return channel


@pytest.mark.parametrize("fn", ["zlib-1.2.11-h7b6447c_3.conda", "zlib-1.2.11-h7b6447c_3.tar.bz2"])
def test_real_zlib_installs_and_loads(envctl, serve, zlib_channel, tmp_path, fn):
    server = serve(single_format_channel(zlib_channel, tmp_path, fn))
    prefix = tmp_path / "env"
    # The channel lists libgcc-ng but does not ship it: --no-deps installs zlib alone.
    proc = envctl.run("create", "-p", prefix, "-c", server.url, "--override-channels", "--platform", "linux-64",
                      "--no-deps", "-y", "zlib")
    library = prefix / "lib/libz.so.1.2.11"
    assert library.is_file()
    version = subprocess.run(
        ["/usr/bin/python3", "-c",
         "import ctypes, sys; lib = ctypes.CDLL(sys.argv[1]); lib.zlibVersion.restype = ctypes.c_char_p; "
         "print(lib.zlibVersion().decode())", str(library)],
        capture_output=True, text=True, check=True).stdout.strip()
    assert version == "1.2.11"
    record = prefixes.check_consistent(prefix)["zlib-1.2.11-h7b6447c_3"]
    assert record["fn"] == fn
    pc = (prefix / "lib/pkgconfig/zlib.pc").read_text()
    assert f"prefix={prefix}" in pc
    # Both archives store lib/libz.so and libz.so.1 as empty files that paths.json calls
    # symlinks: a warning, and the records describe what is really installed.
    # The .conda stores them as symlinks with empty targets, the .tar.bz2 as empty regular files.
    assert ("'lib/libz.so' is a symlink with an empty target" in proc.stderr
            or "'lib/libz.so' is a regular file although paths.json says softlink" in proc.stderr)
    paths = {p["_path"]: p for p in record["paths_data"]["paths"]}
    assert paths["lib/libz.so"]["sha256_in_prefix"] == prefixes.sha256_of(prefix / "lib/libz.so")
    assert (prefix / "lib/libz.so").stat().st_size == 0


def test_zlib_without_no_deps_reports_the_missing_libgcc(envctl, serve, zlib_channel, tmp_path):
    server = serve(zlib_channel)
    proc = envctl.run("create", "-p", tmp_path / "env", "-c", server.url, "--override-channels",
                      "--platform", "linux-64", "-y", "zlib", expect=3)
    assert "libgcc-ng-8.2.0-hdf63c60_1" in proc.stderr
    assert "404" in proc.stderr
    assert not list((tmp_path / "env/conda-meta").glob("*.json")) if (tmp_path / "env/conda-meta").exists() else True


@pytest.fixture
def recipes_channel(tmp_path):
    """conda's test-recipe channel, noarch only, plus an empty linux-64 so a normal client
    finds both subdirs (the fixture's platform subdirs are linux-fake & co)."""
    source = shared_path("fixtures", "channels", "conda-test-recipes")
    channel = tmp_path / "recipes"
    shutil.copytree(source / "noarch", channel / "noarch")
    (channel / "linux-64").mkdir()
    (channel / "linux-64/repodata.json").write_text(json.dumps({"info": {"subdir": "linux-64"}, "packages": {}}))
    return channel


def recipes_create(envctl, server, prefix, *specs, expect=0, extra=()):
    return envctl.run("create", "-p", prefix, "-c", server.url, "--override-channels", "--platform", "linux-64",
                      "-y", *extra, *specs, expect=expect)


def test_post_link_runs_in_the_activated_environment(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    prefix = tmp_path / "env"
    proc = recipes_create(envctl, server, prefix, "post_link_run_in_env_package")
    # The script reads TEST_VAR, which only the package's own activate.d script sets; what it
    # leaves in $PREFIX/.messages.txt is shown and the file removed, as conda does.
    assert "TEST_VAR is set to :1:" in proc.stdout
    assert "Success: TEST_VAR is set correctly" in proc.stdout
    assert not (prefix / ".messages.txt").exists()
    assert (prefix / "etc/conda/activate.d/test.sh").exists()
    prefixes.check_consistent(prefix)


def test_failing_post_link_rolls_back(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    prefix = tmp_path / "env"
    proc = recipes_create(envctl, server, prefix, "failing_post_link", "dependency", expect=1)
    assert "post-link script of failing_post_link-1.0-0" in proc.stderr
    assert "exit status 1" in proc.stderr
    prefixes.check_consistent(prefix)
    assert prefixes.records(prefix) == {}
    assert prefixes.files_on_disk(prefix) == set()
    # --no-link-scripts skips it.
    recipes_create(envctl, server, prefix, "failing_post_link", extra=("--no-link-scripts",))
    assert "failing_post_link-1.0-0" in prefixes.check_consistent(prefix, allow_extra=("bin/.failing",))


def test_post_link_scripts_run_in_dependency_order(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    prefix = tmp_path / "env"
    # post_link-c's script succeeds only if post_link-b's bin/file is already there; post_link-d's
    # only if post_link-e's script has written bin/file.
    recipes_create(envctl, server, prefix, "post_link-c", "post_link-d")
    assert (prefix / "bin/file").exists()
    records = prefixes.records(prefix)
    assert {"post_link-b-1.0-0", "post_link-c-1.0-0", "post_link-d-1.0-0", "post_link-e-1.0-0"} <= set(records)


def test_activation_scripts_are_installed(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    prefix = tmp_path / "env"
    recipes_create(envctl, server, prefix, "activate_deactivate_package", "small-executable")
    activate = prefix / "etc/conda/activate.d/activate.sh"
    assert "teststringfromactivate" in activate.read_text()
    assert (prefix / "etc/conda/deactivate.d/deactivate.sh").exists()
    assert (prefix / "etc/conda/activate.d/small_executable.sh").exists()
    # Sourcing the activation scripts as a shell activation does gives their variables.
    out = subprocess.run(["/bin/sh", "-c", f'. "{activate}"; echo "$TEST"'], capture_output=True, text=True).stdout
    assert out.strip() == "teststringfromactivate"
    prefixes.check_consistent(prefix)


def test_clobbering_packages_warn_and_the_later_one_wins(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    prefix = tmp_path / "env"
    proc = recipes_create(envctl, server, prefix, "clobber-a", "clobber-b")
    assert "bin/clobber-test-file: clobber-b-1.0-0 replaced the file of clobber-a-1.0-0" in proc.stderr
    cache = Path(envctl.env["XDG_CACHE_HOME"]) / "envctl/pkgs"
    expected = (cache / "clobber-b-1.0-0/bin/clobber-test-file").read_bytes()
    assert (prefix / "bin/clobber-test-file").read_bytes() == expected


def test_prelink_messages_are_shown(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    proc = recipes_create(envctl, server, tmp_path / "env", "pre_link_messages_package")
    assert "Lorem ipsum dolor sit amet" in proc.stdout
    assert "Spam spam spam" in proc.stdout


def test_noarch_python_with_the_fake_python(envctl, serve, recipes_channel, tmp_path):
    server = serve(recipes_channel)
    prefix = tmp_path / "env"
    # python 3.99.99 there is an empty noarch package (no interpreter, so no .pyc files) whose
    # record sets python_site_packages_path (CEP 20) to lib/python3.99t/site-packages.
    recipes_create(envctl, server, prefix, "sample_noarch_python")
    assert (prefix / "lib/python3.99t/site-packages/sample.py").exists()
    records = prefixes.check_consistent(prefix)
    assert "sample_noarch_python-1.0-py_0" in records
