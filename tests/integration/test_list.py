"""envctl list: conda packages from conda-meta and pip-installed distributions, regex filter,
-p/-n/per-project/CONDA_PREFIX lookup, micromamba's list --json keys."""
from testkit import prefix as pk

KEYS = {"base_url", "build_number", "build_string", "channel", "dist_name", "name", "platform", "version", "url",
        "requested_spec", "installer"}


def test_json_lists_conda_and_pip_packages(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    out = envctl.json("list", "-p", prefix)
    assert [entry["name"] for entry in out] == ["libzlib", "numpy", "python", "rich"]
    for entry in out:
        assert set(entry) == KEYS
    by_name = {entry["name"]: entry for entry in out}
    numpy = by_name["numpy"]
    assert numpy["version"] == "1.26.4" and numpy["build_string"] == "py311h64a7726_0"
    assert numpy["channel"] == pk.CHANNEL and numpy["base_url"] == pk.CHANNEL
    assert numpy["platform"] == "linux-64"
    assert numpy["dist_name"] == "numpy-1.26.4-py311h64a7726_0"
    assert numpy["url"] == f"{pk.CHANNEL}/linux-64/numpy-1.26.4-py311h64a7726_0.conda"
    assert numpy["requested_spec"] == "numpy" and numpy["installer"] == "conda"
    assert by_name["libzlib"]["requested_spec"] == ""
    rich = by_name["rich"]
    assert (rich["version"], rich["build_string"], rich["channel"], rich["platform"], rich["installer"]) == \
        ("13.7.1", "pypi_0", "pypi", "pypi", "pip")


def test_dist_info_owned_by_a_conda_package_is_not_listed_twice(envctl, tmp_path):
    prefix = tmp_path / "env"
    site = "lib/python3.11/site-packages"
    pk.add_package(prefix, "attrs", "23.2.0", "pyh71513ae_0", {
        f"{site}/attrs/__init__.py": b"# attrs\n",
        f"{site}/attrs-23.2.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: attrs\nVersion: 23.2.0\n",
        f"{site}/attrs-23.2.0.dist-info/INSTALLER": b"conda\n",
    }, subdir="noarch")
    pk.add_pip_distribution(prefix, "Flask", "3.0.3", {"flask/__init__.py": b""}, installer="uv")
    pk.write_history(prefix, ["attrs"])
    out = envctl.json("list", "-p", prefix)
    assert [(e["name"], e["build_string"], e["installer"]) for e in out] == [
        ("attrs", "pyh71513ae_0", "conda"), ("flask", "pypi_0", "uv")]


def test_regex_filters_names(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    assert [e["name"] for e in envctl.json("list", "-p", prefix, "^py")] == ["python"]
    assert [e["name"] for e in envctl.json("list", "-p", prefix, "i")] == ["libzlib", "rich"]
    assert envctl.json("list", "-p", prefix, "^nothing$") == []
    proc = envctl.run("list", "-p", prefix, "(unclosed", expect=2)
    assert "invalid regular expression" in proc.stderr


def test_text_output(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    lines = envctl.run("list", "-p", prefix).stdout.splitlines()
    assert lines[0] == f"# packages in environment at {prefix}:"
    assert lines[2].split() == ["#", "Name", "Version", "Build", "Channel"]
    rows = [line.split() for line in lines[3:]]
    assert rows[1] == ["numpy", "1.26.4", "py311h64a7726_0", "conda-forge"]
    assert rows[3] == ["rich", "13.7.1", "pypi_0", "pypi"]


def test_environment_lookup(envctl, tmp_path):
    root = tmp_path / "root"  # ENVCTL_ROOT_PREFIX of the fixture; envs_dirs is root/envs
    pk.sample_prefix(root / "envs" / "named")
    assert len(envctl.json("list", "-n", "named")) == 4
    # -n also finds per-project environments of the current folder and its parents.
    project = tmp_path / "project"
    pk.sample_prefix(project / ".envctl" / "envs" / "default")
    (project / "src").mkdir()
    assert len(envctl.json("list", "-n", "default", cwd=project / "src")) == 4
    # Without -p/-n: the active environment.
    active = pk.sample_prefix(tmp_path / "active")
    assert len(envctl.json("list", env={"CONDA_PREFIX": str(active)})) == 4

    proc = envctl.run("list", "-n", "missing", expect=2)
    assert "no environment named 'missing'" in proc.stderr
    (tmp_path / "plain").mkdir()
    proc = envctl.run("list", "-p", tmp_path / "plain", expect=2)
    assert "not an environment" in proc.stderr
    proc = envctl.run("list", expect=2)
    assert "no environment given" in proc.stderr
