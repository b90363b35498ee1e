"""envctl repoquery depends/whoneeds, flat and --tree, over a prefix and over channels."""
from testkit import prefix as pk
from testkit.channel import record, write_channel


def query(envctl, *args, expect=0):
    return envctl.json("repoquery", *args, expect=expect)


def names(records):
    return [entry["name"] for entry in records]


def test_depends_in_a_prefix(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    out = query(envctl, "depends", "-p", prefix, "numpy")
    assert out["query"] == {"query": "numpy", "type": "depends"}
    assert out["source"] == "prefix"
    assert names(out["result"]["graph_roots"]) == ["numpy"]
    assert out["result"]["graph_roots"][0]["version"] == "1.26.4"
    assert names(out["result"]["pkgs"]) == ["python", "libzlib"]
    assert out["result"]["msg"] == ""
    assert "tree" not in out

    text = envctl.run("repoquery", "depends", "-p", prefix, "numpy").stdout
    assert "numpy 1.26.4 py311h64a7726_0 depends on:" in text
    assert "python >=3.11,<3.12.0a0" in text


def test_depends_tree_expands_each_package_once(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    out = query(envctl, "depends", "--tree", "-p", prefix, "numpy")
    tree = out["tree"]
    assert tree["name"] == "numpy"
    python, libzlib = tree["children"]
    assert python["name"] == "python" and python["spec"] == "python >=3.11,<3.12.0a0"
    assert [c["name"] for c in python["children"]] == ["libzlib"]
    assert python["children"][0]["repeated"] is False
    assert libzlib["name"] == "libzlib" and libzlib["repeated"] is True and libzlib["children"] == []
    text = envctl.run("repoquery", "depends", "--tree", "-p", prefix, "numpy").stdout
    assert text.splitlines() == [
        "numpy 1.26.4 py311h64a7726_0",
        "├─ python 3.11.9 hb806964_0_cpython",
        "│  └─ libzlib 1.3.1 hb9d3cd8_2",
        "└─ libzlib 1.3.1 hb9d3cd8_2 (shown above)",
    ]


def test_whoneeds_in_a_prefix(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    out = query(envctl, "whoneeds", "-p", prefix, "libzlib")
    assert sorted(names(out["result"]["pkgs"])) == ["numpy", "python"]
    out = query(envctl, "whoneeds", "--tree", "-p", prefix, "libzlib")
    children = {c["name"]: c for c in out["tree"]["children"]}
    assert set(children) == {"numpy", "python"}
    assert [c["name"] for c in children["python"]["children"]] == ["numpy"]
    assert query(envctl, "whoneeds", "-p", prefix, "numpy")["result"]["pkgs"] == []


def test_no_match_exits_1(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    out = query(envctl, "depends", "-p", prefix, "numpy>=2", expect=1)
    assert out["result"]["graph_roots"] == [] and "numpy>=2" in out["result"]["msg"]
    proc = envctl.run("repoquery", "depends", "-p", prefix, "scipy", expect=1)
    assert "No package matches scipy" in proc.stdout


def make_channel(root):
    return write_channel(root, [
        record("python", "3.11.9", "h_0", depends=["libzlib >=1.3"]),
        record("python", "3.12.4", "h_0", depends=["libzlib >=1.3"]),
        record("libzlib", "1.3.1", "h_0"),
        record("numpy", "1.26.4", "py311_0", depends=["python >=3.11,<3.12.0a0", "libblas >=3"]),
        record("numpy", "2.0.1", "py312_0", depends=["python >=3.12,<3.13.0a0", "__glibc >=2.17"]),
        record("pandas", "2.2.2", "py312_0", depends=["numpy >=1.26", "python >=3.12,<3.13.0a0"]),
        record("pandas", "2.1.0", "py311_0", depends=["numpy >=1.26", "python >=3.11,<3.12.0a0"]),
    ])


def test_channels(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    channel = ("--override-channels", "-c", server.url, "--platform", "linux-64")
    out = query(envctl, "depends", *channel, "numpy")
    assert out["source"] == "channels"
    root = out["result"]["graph_roots"][0]
    assert (root["version"], root["channel"]) == ("2.0.1", server.url)
    # The best python matching numpy's dependency; __glibc is not a package to show.
    assert [(p["name"], p["version"]) for p in out["result"]["pkgs"]] == [("python", "3.12.4")]

    out = query(envctl, "depends", "--tree", *channel, "numpy=1.26")
    missing = [c for c in out["tree"]["children"] if c["missing"]]
    assert [(c["name"], c["spec"]) for c in missing] == [("libblas", "libblas >=3")]
    text = envctl.run("repoquery", "depends", "--tree", *channel, "numpy=1.26").stdout
    assert "libblas (missing: nothing provides libblas >=3)" in text

    out = query(envctl, "whoneeds", *channel, "numpy")
    # The best record of each package that needs numpy.
    assert [(p["name"], p["version"]) for p in out["result"]["pkgs"]] == [("pandas", "2.2.2")]


def test_usage_errors(envctl, tmp_path):
    prefix = pk.sample_prefix(tmp_path / "env")
    envctl.run("repoquery", "depends", "-p", prefix, "-c", "conda-forge", "numpy", expect=2)
    envctl.run("repoquery", "depends", "-p", prefix, "num*", expect=2)
    envctl.run("repoquery", "nonsense", "numpy", expect=2)
