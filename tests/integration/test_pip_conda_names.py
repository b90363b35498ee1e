"""pip requirements met by conda packages named differently from the distribution they hold:
conda `pytorch` holds `torch` (the well-known names table), and a package whose extracted
entry in the package cache holds a `<name>-<version>.dist-info` folder provides that name. No
wheel of such a distribution is installed over conda's files and the lockfile has no pip entry
for it."""
import pytest
import yaml

from testkit import condapkg as ck
from testkit import prefixes
from testkit.pypi import build_wheel, write_index


def dist_info(name, version):
    return ck.site_packages_module(f"{name}-{version}.dist-info/METADATA",
                                   f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


@pytest.fixture
def setup(tmp_path, serve):
    build = tmp_path / "build"
    packages = [
        prefixes.python_package(build),
        ck.build_package(build, "pytorch", "2.1.0", "pyh_0", noarch="python", depends=["python"],
                         files=[ck.site_packages_module("torch/__init__.py", "CONDA = True\n"), dist_info("torch", "2.1.0")]),
        ck.build_package(build, "foo-conda", "1.0", "pyh_0", noarch="python", depends=["python"],
                         files=[ck.site_packages_module("bar_dist/__init__.py", "CONDA = True\n"), dist_info("bar_dist", "1.0")]),
    ]
    channel = serve(ck.write_channel_from_packages(tmp_path / "channel", packages))
    dist = tmp_path / "dist"
    wheels = [
        build_wheel(dist, "torch", "2.1.0"),
        build_wheel(dist, "torch", "9.0"),
        build_wheel(dist, "bar-dist", "1.0"),
        build_wheel(dist, "bar-dist", "5.0"),
        build_wheel(dist, "app", "1.0", requires_dist=["torch>=2", "bar-dist>=1"]),
    ]
    index = serve(write_index(tmp_path / "index", wheels))

    def environment(name, conda, pip):
        folder = tmp_path / name
        folder.mkdir()
        text = f"name: {name}\nchannels:\n  - {channel.url}\ndependencies:\n"
        text += "".join(f"  - {spec}\n" for spec in ["python", *conda])
        if pip:
            text += f"  - pip:\n    - --index-url {index.url}/simple\n" + "".join(f"    - {line}\n" for line in pip)
        (folder / "environment.yml").write_text(text)
        return folder / "environment.yml"

    return environment


def pip_entries(env):
    document = yaml.safe_load((env.parent / "envctl-lock.yml").read_text())
    return sorted(p["name"] for p in document["package"] if p["manager"] == "pip")


def test_conda_pytorch_meets_pip_torch(envctl, setup, tmp_path):
    env = setup("torch", ["pytorch"], ["torch>=2", "app"])
    out = envctl.json("create", "--dry-run", "-f", env, "-p", tmp_path / "dry")
    assert "pip requirement torch is met by pytorch 2.1.0 (conda)" in out["notes"]
    prefix = tmp_path / "env"
    envctl.run("create", "-y", "-f", env, "-p", prefix)
    site = prefixes.site_packages(prefix)
    assert (site / "torch" / "__init__.py").read_text() == "CONDA = True\n"
    assert [p.name for p in site.glob("torch-*.dist-info")] == ["torch-2.1.0.dist-info"]
    assert not (site / "torch-2.1.0.dist-info" / "INSTALLER").exists()  # conda's, not a wheel's
    # app and bar-dist (foo-conda's dist-info is unknown: no cache entry yet) come from the index.
    assert pip_entries(env) == ["app", "bar-dist"]


def test_a_cached_package_provides_the_distributions_its_files_hold(envctl, setup, tmp_path):
    wanted = setup("wanted", ["foo-conda"], ["bar-dist"])
    # Before foo-conda is in the package cache nothing says it holds bar-dist: pip would install it.
    out = envctl.json("create", "--dry-run", "-f", wanted, "-p", tmp_path / "dry")
    assert [w["name"] for w in out["actions"].get("PIP_INSTALL", [])] == ["bar-dist"]

    envctl.run("create", "-y", "-f", setup("conda-only", ["foo-conda"], []), "-p", tmp_path / "first")
    out = envctl.json("create", "--dry-run", "-f", wanted, "-p", tmp_path / "dry")
    assert not out["actions"].get("PIP_INSTALL")
    assert "pip requirement bar-dist is met by foo-conda 1.0 (conda)" in out["notes"]

    prefix = tmp_path / "env"
    envctl.run("create", "-y", "-f", wanted, "-p", prefix)
    site = prefixes.site_packages(prefix)
    assert (site / "bar_dist" / "__init__.py").read_text() == "CONDA = True\n"
    assert [p.name for p in site.glob("bar_dist-*.dist-info")] == ["bar_dist-1.0.dist-info"]
    assert pip_entries(wanted) == []
