"""envctl clean: unused extracted packages (by the registered environments' records and by hard
link counts), archives and the repodata cache; --dry-run removes nothing; space freed."""
import json
import shutil

import pytest

from testkit import condapkg as ck


def pkgs(home):
    return home / ".cache" / "envctl" / "pkgs"


@pytest.fixture
def channel(tmp_path):
    build = tmp_path / "build"
    packages = [ck.build_package(build, name, "1.0", "0", files=[ck.text_file(f"share/{name}.txt", name * 1000)])
                for name in ("aaa", "bbb", "ccc", "ddd")]
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def tree_bytes(path):
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())


def test_clean_packages_tarballs_and_index(envctl, serve, channel, tmp_path, home):
    server = serve(channel)
    args = ("--override-channels", "-c", server.url, "-y")
    envctl.run("create", "-p", tmp_path / "linked", *args, "aaa")            # hard links into the cache
    envctl.run("create", "-p", tmp_path / "copied", "--copy", *args, "bbb")  # copies: only the record says so
    envctl.run("create", "-p", tmp_path / "gone", *args, "ccc")
    envctl.run("create", "-p", tmp_path / "unknown", *args, "ddd")
    shutil.rmtree(tmp_path / "gone")  # ccc is used by nobody now
    # An environment envctl does not know about still hard-links ddd.
    registry = tmp_path / "root" / "environments.txt"
    registry.write_text("".join(line + "\n" for line in registry.read_text().splitlines()
                                if not line.endswith("/unknown")))
    cache = pkgs(home)
    ccc = cache / "ccc-1.0-0"
    freed = tree_bytes(ccc)

    out = envctl.json("clean", "--packages", "--dry-run")
    assert out["dry_run"] is True
    assert [(item["kind"], item["path"]) for item in out["removed"]] == [("package", str(ccc))]
    assert out["bytes_freed"] == freed == out["removed"][0]["bytes"]
    assert sorted(item["path"] for item in out["in_use"]) == [str(cache / f"{n}-1.0-0") for n in ("aaa", "bbb", "ddd")]
    assert ccc.is_dir()

    text = envctl.run("clean", "--packages", "--dry-run").stdout
    assert str(ccc) in text and "Would free" in text

    out = envctl.json("clean", "--packages", "-y")
    assert out["dry_run"] is False and out["bytes_freed"] == freed
    assert not ccc.exists()
    assert all((cache / f"{n}-1.0-0" / "info" / "repodata_record.json").is_file() for n in ("aaa", "bbb", "ddd"))
    assert (tmp_path / "linked" / "share" / "aaa.txt").read_text() == "aaa" * 1000
    assert envctl.json("clean", "--packages", "-y")["removed"] == []

    archives = sorted(p for p in cache.iterdir() if p.name.endswith(".conda"))
    assert len(archives) == 4
    out = envctl.json("clean", "--tarballs", "-y")
    assert sorted(item["path"] for item in out["removed"]) == [str(p) for p in archives]
    assert out["bytes_freed"] == sum(item["bytes"] for item in out["removed"]) > 0
    assert not any(p.name.endswith(".conda") for p in cache.iterdir())

    index = home / ".cache" / "envctl" / "repodata"
    assert any(index.iterdir())
    out = envctl.json("clean", "--index-cache", "-y")
    assert {item["kind"] for item in out["removed"]} == {"index_cache"}
    assert not any(index.iterdir())

    # The environments still work from what is left: a new one reuses the cached aaa.
    envctl.run("create", "-p", tmp_path / "again", *args, "aaa")
    assert (tmp_path / "again" / "share" / "aaa.txt").read_text() == "aaa" * 1000


def test_all_and_usage(envctl, serve, channel, tmp_path, home):
    server = serve(channel)
    envctl.run("create", "-p", tmp_path / "env", "--override-channels", "-c", server.url, "-y", "aaa")
    shutil.rmtree(tmp_path / "env")
    out = envctl.json("clean", "--all", "-y")
    kinds = sorted({item["kind"] for item in out["removed"]})
    assert kinds == ["index_cache", "package", "tarball"]
    assert not (pkgs(home) / "aaa-1.0-0").exists()
    proc = envctl.run("clean", expect=2)
    assert "--all" in proc.stderr
    assert "Nothing to clean." in envctl.run("clean", "--all", "-y").stdout
