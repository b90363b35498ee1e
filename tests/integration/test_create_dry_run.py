"""envctl create --dry-run --json (micromamba's shape), unsatisfiable explanations, --platform,
CUDA builds chosen through CONDA_OVERRIDE_CUDA, pins, --exclude-newer and envctl info --json,
against channels written by the tests and served on loopback."""
from testkit.channel import record, write_channel

RECORD_FIELDS = {"name", "version", "build", "build_number", "channel", "fn", "url", "subdir", "depends", "md5",
                 "sha256", "size"}
DAY_MS = 86400 * 1000
JAN_2024 = 1704067200000  # 2024-01-01T00:00:00Z in ms


def make_channel(root):
    records = [
        record("python", "3.11.9", "h_cp311_0", depends=["libzlib >=1.3,<2"], timestamp=JAN_2024),
        record("python", "3.12.4", "h_cp312_0", depends=["libzlib >=1.3,<2"], timestamp=JAN_2024 + 30 * DAY_MS),
        record("libzlib", "1.3.1", "h_0", timestamp=JAN_2024),
        record("pip", "24.0", "pyhd8ed1ab_0", subdir="noarch", noarch="python", depends=["python >=3.8"],
               timestamp=JAN_2024),
        record("numpy", "1.26.4", "py311_0", depends=["python >=3.11,<3.12.0a0"], timestamp=JAN_2024),
        record("numpy", "2.0.1", "py311_0", depends=["python >=3.11,<3.12.0a0"], timestamp=JAN_2024 + 60 * DAY_MS),
        record("oldlib", "1.0", "h_0", depends=["python >=3.11,<3.12.0a0"], timestamp=JAN_2024),
        # pytorch: a CUDA build (preferred: higher build number) and a CPU build.
        record("pytorch", "2.1.0", "cuda120_py311_1", build_number=1, depends=["python >=3.11,<3.12.0a0", "__cuda >=12"],
               timestamp=JAN_2024),
        record("pytorch", "2.1.0", "cpu_py311_0", build_number=0, depends=["python >=3.11,<3.12.0a0"],
               timestamp=JAN_2024),
        # osx-arm64 only, needing macOS 11.
        record("python", "3.11.9", "h_osx_0", subdir="osx-arm64", depends=["__osx >=11.0"], timestamp=JAN_2024),
        record("numpy", "1.26.4", "py311_osx_0", subdir="osx-arm64", depends=["python >=3.11,<3.12.0a0"],
               timestamp=JAN_2024),
    ]
    return write_channel(root, records, subdirs=("linux-64", "osx-arm64", "noarch"))


def dry_run(envctl, url, prefix, *specs, expect=0, env=None, extra=()):
    return envctl.json("create", "--dry-run", "-p", prefix, "--override-channels", "-c", url, *extra, *specs,
                       expect=expect, env=env)


def names(records):
    return {entry["name"]: entry for entry in records}


def test_json_shape_is_micromambas(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    prefix = tmp_path / "env"
    out = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "python=3.11", "numpy")
    assert out["success"] is True and out["dry_run"] is True
    assert out["prefix"] == str(prefix)
    actions = out["actions"]
    assert actions["PREFIX"] == str(prefix)
    assert actions["UNLINK"] == []
    link = names(actions["LINK"])
    # python pulls libzlib, and pip (add_pip_as_python_dependency); numpy's newest version wins.
    assert set(link) == {"python", "libzlib", "pip", "numpy"}
    assert link["python"]["version"] == "3.11.9"
    assert link["numpy"]["version"] == "2.0.1"
    for entry in actions["LINK"]:
        assert RECORD_FIELDS <= set(entry), entry
        assert entry["channel"] == server.url
        assert entry["url"] == f"{server.url}/{entry['subdir']}/{entry['fn']}"
    assert link["pip"]["subdir"] == "noarch"
    # Dependencies come before what needs them.
    order = [entry["name"] for entry in actions["LINK"]]
    assert order.index("libzlib") < order.index("python") < order.index("numpy")
    # Nothing is cached yet: everything is fetched. A dry run writes nothing.
    assert sorted(e["fn"] for e in actions["FETCH"]) == sorted(e["fn"] for e in actions["LINK"])
    assert not prefix.exists()


def test_text_output_lists_the_packages(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    proc = envctl.run("create", "--dry-run", "-p", tmp_path / "env", "--override-channels", "-c", server.url,
                      "--platform", "linux-64", "numpy")
    assert "+ numpy" in proc.stdout and "2.0.1" in proc.stdout
    assert "Summary: 4 to link" in proc.stdout


def test_unsatisfiable_names_the_conflicting_specs(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    out = dry_run(envctl, server.url, tmp_path / "env", "--platform", "linux-64", "python=3.12", "numpy", expect=1)
    assert out["success"] is False
    assert "python=3.12" in out["error"] and "numpy" in out["error"]
    assert out["problems"], out
    text = " ".join(problem["message"] + " " + " ".join(problem["specs"]) for problem in out["problems"])
    assert "python" in text
    chains = [chain["text"] for problem in out["problems"] for chain in problem["chains"]]
    assert any("numpy" in chain for chain in chains), chains
    assert "python" in out["explanation"] and "numpy" in out["explanation"]

    proc = envctl.run("create", "--dry-run", "-p", tmp_path / "env", "--override-channels", "-c", server.url,
                      "--platform", "linux-64", "python=3.12", "numpy", expect=1)
    assert "cannot satisfy" in proc.stderr
    assert "numpy" in proc.stderr and "python" in proc.stderr
    assert proc.stdout == ""


def test_unknown_package_is_reported(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    out = dry_run(envctl, server.url, tmp_path / "env", "--platform", "linux-64", "nosuchpkg", expect=1)
    assert [problem["type"] for problem in out["problems"]] == ["not_found"]
    assert "nosuchpkg" in out["problems"][0]["message"]


def test_platform_uses_that_subdir_and_its_virtual_packages(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    out = dry_run(envctl, server.url, tmp_path / "env", "--platform", "osx-arm64", "python", "numpy")
    link = names(out["actions"]["LINK"])
    assert link["python"]["build"] == "h_osx_0" and link["python"]["subdir"] == "osx-arm64"
    assert link["numpy"]["build"] == "py311_osx_0"
    # The platform's default __osx satisfies `__osx >=11.0`; an override below it does not.
    out = dry_run(envctl, server.url, tmp_path / "env", "--platform", "osx-arm64", "python", expect=1,
                  env={"CONDA_OVERRIDE_OSX": "10.15"})
    assert "__osx" in out["explanation"]


def test_cuda_override_chooses_cuda_or_cpu_build(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    prefix = tmp_path / "env"
    with_cuda = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "pytorch",
                        env={"CONDA_OVERRIDE_CUDA": "12.2"})
    assert names(with_cuda["actions"]["LINK"])["pytorch"]["build"] == "cuda120_py311_1"
    too_old = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "pytorch",
                      env={"CONDA_OVERRIDE_CUDA": "11.8"})
    assert names(too_old["actions"]["LINK"])["pytorch"]["build"] == "cpu_py311_0"
    without = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "pytorch", env={"CONDA_OVERRIDE_CUDA": ""})
    assert names(without["actions"]["LINK"])["pytorch"]["build"] == "cpu_py311_0"
    # Asking for the CUDA build without a driver explains what is missing and what to do.
    failed = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "pytorch=*=cuda*", expect=1,
                     env={"CONDA_OVERRIDE_CUDA": ""})
    kinds = [problem["type"] for problem in failed["problems"]]
    assert "missing_virtual_package" in kinds, failed
    assert "__cuda" in failed["explanation"]
    hints = " ".join(hint for problem in failed["problems"] for hint in problem["hints"])
    assert "CONDA_OVERRIDE_CUDA" in hints


def test_pin_and_exclude_newer(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    prefix = tmp_path / "env"
    pinned = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "numpy", extra=("--pin", "numpy<2"))
    assert names(pinned["actions"]["LINK"])["numpy"]["version"] == "1.26.4"
    # numpy 2.0.1 and python 3.12 were published later than 2024-01-15.
    older = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "numpy", "python",
                    extra=("--exclude-newer", "2024-01-15"))
    link = names(older["actions"]["LINK"])
    assert link["numpy"]["version"] == "1.26.4" and link["python"]["version"] == "3.11.9"
    # A pin the request contradicts is a conflict, not a silent override.
    conflict = dry_run(envctl, server.url, prefix, "--platform", "linux-64", "numpy=2", extra=("--pin", "numpy<2"),
                       expect=1)
    assert "numpy" in conflict["explanation"]


def test_info_lists_virtual_packages(envctl):
    out = envctl.json("info", env={"CONDA_OVERRIDE_CUDA": "12.4", "CONDA_OVERRIDE_GLIBC": "2.17"})
    assert out["success"] is True
    packages = {entry["name"]: entry for entry in out["virtual_packages"]}
    if out["platform"].startswith("linux-"):
        assert {"__unix", "__linux", "__glibc", "__archspec", "__cuda"} <= set(packages)
        assert packages["__glibc"]["version"] == "2.17"
    assert packages["__cuda"]["version"] == "12.4"
    assert out["cuda"] == "12.4"
    assert out["overrides"] == {"CONDA_OVERRIDE_CUDA": "12.4", "CONDA_OVERRIDE_GLIBC": "2.17"}
    for key in ("pkgs_dirs", "envs_dirs", "root_prefix", "channels", "config_files"):
        assert key in out

    out = envctl.json("info", env={"CONDA_OVERRIDE_CUDA": ""})
    assert "__cuda" not in {entry["name"] for entry in out["virtual_packages"]}
    assert out["cuda"] is None
