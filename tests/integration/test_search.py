"""envctl search against channels written by the test (served over loopback and as file://)."""
import json

from testkit.channel import record, write_channel

FIELDS = {"name", "version", "build", "build_number", "subdir", "channel", "fn", "url", "depends", "constrains", "md5",
          "sha256", "size", "timestamp"}


def make_channel(root):
    records = [
        record("numpy", "1.26.4", "py311h64a7726_0", build_number=0, timestamp=1707225000000,
               depends=["python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4.0a0"], constrains=["numpy-base <0a0"]),
        record("numpy", "1.26.4", "py312heda63a1_0", build_number=0, timestamp=1707225100000,
               depends=["python >=3.12,<3.13.0a0"]),
        record("numpy", "1.26.4", "py312heda63a1_1", build_number=1, timestamp=1707225000000,
               depends=["python >=3.12,<3.13.0a0"]),
        record("numpy", "2.0.1", "py312h1103770_0", build_number=0, timestamp=1721000000000, ext=".tar.bz2"),
        record("numpy", "1.9.3", "py27_0", build_number=0, timestamp=1450000000000),
        record("numpy-base", "1.26.4", "py311_0"),
        record("python", "3.12.4", "h194c7f8_0_cpython", timestamp=1718000000000),
        record("python", "3.11.9", "hb806964_0_cpython", timestamp=1712000000000),
        record("pytest", "8.2.2", "pyhd8ed1ab_0", subdir="noarch", noarch="python", depends=["python >=3.8"]),
        record("numpy", "1.26.4", "py311_osx_0", subdir="osx-arm64"),
    ]
    return write_channel(root, records, subdirs=("linux-64", "osx-arm64", "noarch"))


def search(envctl, channel, *args, expect=0, **kwargs):
    return envctl.json("search", "--override-channels", "-c", channel, "--platform", "linux-64", *args, expect=expect,
                       **kwargs)


def test_json_fields_and_best_first_order(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    out = search(envctl, server.url, "numpy")
    assert [(r["version"], r["build"]) for r in out] == [
        ("2.0.1", "py312h1103770_0"),
        ("1.26.4", "py312heda63a1_1"),   # higher build number first
        ("1.26.4", "py312heda63a1_0"),   # then the newer timestamp
        ("1.26.4", "py311h64a7726_0"),
        ("1.9.3", "py27_0"),             # 1.9.3 < 1.26.4 (versions, not strings)
    ]
    for entry in out:
        assert FIELDS <= set(entry)
        assert entry["channel"] == server.url
        assert entry["subdir"] == "linux-64"
        assert entry["url"] == f"{server.url}/linux-64/{entry['fn']}"
    first = out[0]
    assert first["fn"] == "numpy-2.0.1-py312h1103770_0.tar.bz2"
    assert out[3]["depends"] == ["python >=3.11,<3.12.0a0", "libblas >=3.9.0,<4.0a0"]
    assert out[3]["constrains"] == ["numpy-base <0a0"]
    assert out[3]["md5"] == "0" * 32 and out[3]["sha256"] == "0" * 64 and out[3]["size"] == 1000


def test_match_spec_filters_and_noarch(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    assert [r["build"] for r in search(envctl, server.url, "numpy=1.26.4=py312*")] == ["py312heda63a1_1",
                                                                                       "py312heda63a1_0"]
    assert [r["version"] for r in search(envctl, server.url, "numpy>=1.26,<2")] == ["1.26.4"] * 3
    noarch = search(envctl, server.url, "pytest")
    assert [(r["name"], r["subdir"]) for r in noarch] == [("pytest", "noarch")]
    globbed = search(envctl, server.url, "py*")
    assert [r["name"] for r in globbed] == ["pytest", "python", "python"]
    assert [r["version"] for r in search(envctl, server.url, "python", "pytest")] == ["8.2.2", "3.12.4", "3.11.9"]


def test_platform_selects_the_subdir(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    out = envctl.json("search", "--override-channels", "-c", server.url, "--platform", "osx-arm64", "numpy")
    assert [(r["build"], r["subdir"]) for r in out] == [("py311_osx_0", "osx-arm64")]


def test_exit_codes(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    assert search(envctl, server.url, "scipy", expect=1) == []
    text = envctl.run("search", "--override-channels", "-c", server.url, "--platform", "linux-64", "scipy", expect=1)
    assert "No match found for: scipy" in text.stderr
    bad = envctl.run("search", "--override-channels", "-c", server.url, "numpy >=>1", expect=2)
    assert "numpy >=>1" in bad.stderr
    envctl.run("search", "--override-channels", "-c", server.url, "--platform", "linux-999", "numpy", expect=2)
    envctl.run("search", "--override-channels", "numpy", expect=2)
    envctl.run("search", expect=2)


def test_text_table(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    proc = envctl.run("search", "--override-channels", "-c", server.url, "--platform", "linux-64", "python")
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["Name", "Version", "Build", "Channel", "Subdir"]
    assert lines[1].split() == ["python", "3.12.4", "h194c7f8_0_cpython", server.url, "linux-64"]
    assert proc.stderr == ""  # no progress line when stderr is not a terminal


def test_channels_from_config_and_override(envctl, serve, tmp_path):
    first = serve(make_channel(tmp_path / "one"))
    second_root = tmp_path / "two"
    write_channel(second_root, [record("numpy", "3.0.0", "py313_0")])
    second = serve(second_root)
    env = {"ENVCTL_CHANNELS": first.url}
    from_config = envctl.json("search", "--platform", "linux-64", "numpy", env=env)
    assert {r["channel"] for r in from_config} == {first.url}
    both = envctl.json("search", "-c", second.url, "--platform", "linux-64", "numpy", env=env)
    assert both[0]["version"] == "3.0.0" and both[0]["channel"] == second.url
    assert {r["channel"] for r in both} == {first.url, second.url}
    only = envctl.json("search", "-c", second.url, "--override-channels", "--platform", "linux-64", "numpy", env=env)
    assert {r["channel"] for r in only} == {second.url}


def test_file_channel(envctl, tmp_path):
    root = make_channel(tmp_path / "local chan")
    url = "file://" + str(root).replace(" ", "%20")
    out = envctl.json("search", "--override-channels", "-c", url, "--platform", "linux-64", "python")
    assert [r["version"] for r in out] == ["3.12.4", "3.11.9"]
    # Also works offline and by plain path.
    offline = envctl.json("search", "--override-channels", "-c", str(root), "--platform", "linux-64", "--offline",
                          "python")
    assert [r["version"] for r in offline] == ["3.12.4", "3.11.9"]
