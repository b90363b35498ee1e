"""envctl export of prefixes laid out like an installer leaves them."""
import hashlib

import yaml

from testkit.prefix import add_package, sample_prefix, write_history


def test_environment_format_pins_everything(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    text = envctl.run("export", "-p", prefix).stdout
    document = yaml.safe_load(text)
    assert document == {
        "name": "env",
        "channels": ["conda-forge"],
        "dependencies": ["libzlib=1.3.1=hb9d3cd8_2", "numpy=1.26.4=py311h64a7726_0",
                         "python=3.11.9=hb806964_0_cpython", {"pip": ["rich==13.7.1"]}],
    }
    document = yaml.safe_load(envctl.run("export", "-p", prefix, "--no-builds", "--env-name", "demo").stdout)
    assert document["name"] == "demo"
    assert document["dependencies"][:3] == ["libzlib=1.3.1", "numpy=1.26.4", "python=3.11.9"]


def test_from_history(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    write_history(prefix, ["python=3.11", "numpy"], ["numpy>=1.26", "six"])
    with open(prefix / "conda-meta" / "history", "a") as history:
        history.write("==> 2024-01-02 00:00:00 <==\n# remove specs: ['six']\n")
    document = yaml.safe_load(envctl.run("export", "-p", prefix, "--from-history").stdout)
    assert document["dependencies"] == ["python=3.11", "numpy>=1.26", {"pip": ["rich"]}]


def test_from_history_without_history_fails(envctl, tmp_path):
    prefix = tmp_path / "env"
    add_package(prefix, "libzlib", "1.3.1", "h_0", {"lib/libz.so": b"z"})
    out = envctl.json("export", "-p", prefix, "--from-history", expect=2)
    assert "requested specs" in out["error"]


def test_explicit_format(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    out = tmp_path / "explicit.txt"
    envctl.run("export", "-p", prefix, "--format", "explicit", "-o", out)
    lines = out.read_text().splitlines()
    assert "# platform: linux-64" in lines
    urls = lines[lines.index("@EXPLICIT") + 1:]
    sha = hashlib.sha256(b"libzlib-1.3.1-hb9d3cd8_2").hexdigest()
    assert urls[0] == f"https://conda.anaconda.org/conda-forge/linux-64/libzlib-1.3.1-hb9d3cd8_2.conda#{sha}"
    assert len(urls) == 3


def test_lock_format(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    out = tmp_path / "env-lock.yml"
    envctl.run("export", "-p", prefix, "--format", "lock", "-o", out)
    document = yaml.safe_load(out.read_text())
    assert document["version"] == 1
    assert document["metadata"]["platforms"] == ["linux-64"]
    assert document["metadata"]["channels"] == [{"url": "conda-forge", "used_env_vars": []}]
    assert document["metadata"]["custom_metadata"] == {"envctl.pip": "rich==13.7.1"}
    assert [p["name"] for p in document["package"]] == ["libzlib", "numpy", "python"]
    python = document["package"][2]
    assert python["dependencies"] == {"libzlib": ">=1.3.1,<2.0a0"}
    assert python["build"] == "hb806964_0_cpython"
    # Exporting twice gives the same bytes.
    again = tmp_path / "again-lock.yml"
    envctl.run("export", "-p", prefix, "--format", "lock", "-o", again)
    assert again.read_bytes() == out.read_bytes()


def test_json_output(envctl, tmp_path):
    prefix = sample_prefix(tmp_path / "env")
    out = envctl.json("export", "-p", prefix)
    assert out["format"] == "environment"
    assert out["environment"]["pip"] == ["rich==13.7.1"]
    assert "dependencies:" in out["text"]
