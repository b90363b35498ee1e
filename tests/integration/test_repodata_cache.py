"""Repodata over loopback HTTP: the cache (200 then 304), .zst preference, retries, truncated and
corrupt bodies, token and basic-auth channels, offline mode, and CEP 16 shards."""
import hashlib
import json
import subprocess

import pytest

from conftest import shared_path
from testkit.channel import record, write_channel

PLATFORM = "linux-64"


def make_channel(root, zst=True, bz2=False):
    records = [
        record("zlib", "1.2.13", "h166bdaf_4", build_number=4, timestamp=1660000000000),
        record("zlib", "1.3.1", "hb9d3cd8_2", build_number=2, timestamp=1720000000000, depends=["libzlib 1.3.1 hb9d3cd8_2"]),
        record("libzlib", "1.3.1", "hb9d3cd8_2", build_number=2),
        record("tzdata", "2024a", "h0c530f3_0", subdir="noarch", noarch="generic"),
    ]
    write_channel(root, records)
    for subdir in ("linux-64", "noarch"):
        body = root / subdir / "repodata.json"
        if zst:
            subprocess.run(["zstd", "-q", "-f", "-19", str(body), "-o", str(body) + ".zst"], check=True)
        if bz2:
            subprocess.run(["bzip2", "-k", "-f", str(body)], check=True)
    return root


def search(envctl, url, *specs, expect=0, env=None, extra=()):
    return envctl.run("search", "--override-channels", "-c", url, "--platform", PLATFORM, *extra, *specs, "--json",
                      expect=expect, env=env)


def cache_root(home):
    return home / ".cache" / "envctl" / "repodata"


def subdir_cache(home, url, subdir):
    """The cache folder of a subdir: 16 hex digits of the SHA-256 of its credential-free URL."""
    return cache_root(home) / hashlib.sha256(f"{url}/{subdir}".encode()).hexdigest()[:16]


def repodata_requests(server, subdir="linux-64"):
    return [entry for entry in server.requests() if entry["path"].startswith(f"/{subdir}/repodata.json")]


def test_first_run_200_then_304_with_validators(envctl, serve, tmp_path, home):
    server = serve(make_channel(tmp_path / "chan"))
    first = json.loads(search(envctl, server.url, "zlib").stdout)
    assert [r["version"] for r in first] == ["1.3.1", "1.2.13"]
    assert [(e["path"], e["status"]) for e in repodata_requests(server)] == [("/linux-64/repodata.json.zst", 200)]
    second = json.loads(search(envctl, server.url, "zlib").stdout)
    assert second == first
    requests = repodata_requests(server)
    assert len(requests) == 2
    assert requests[1]["path"] == "/linux-64/repodata.json.zst"
    assert requests[1]["if_none_match"], "the second run must send the cached ETag"
    assert requests[1]["status"] == 304
    state = json.loads(next(cache_root(home).glob("*/state.json")).read_text())
    assert state["url"].startswith(server.url)


def test_zst_preferred_and_json_fallback(envctl, serve, tmp_path):
    with_zst = serve(make_channel(tmp_path / "zst", zst=True))
    search(envctl, with_zst.url, "zlib")
    assert [e["path"] for e in repodata_requests(with_zst)] == ["/linux-64/repodata.json.zst"]

    plain = serve(make_channel(tmp_path / "plain", zst=False))
    search(envctl, plain.url, "zlib")
    assert [(e["path"], e["status"]) for e in repodata_requests(plain)] == [
        ("/linux-64/repodata.json.zst", 404), ("/linux-64/repodata.json", 200)]
    # The missing .zst is remembered: the next run asks for repodata.json only.
    search(envctl, plain.url, "zlib")
    assert [e["path"] for e in repodata_requests(plain)][2:] == ["/linux-64/repodata.json"]


def test_bz2_only_channel(envctl, serve, tmp_path):
    root = make_channel(tmp_path / "bz2", zst=False, bz2=True)
    for subdir in ("linux-64", "noarch"):
        (root / subdir / "repodata.json").unlink()
    server = serve(root)
    out = json.loads(search(envctl, server.url, "zlib").stdout)
    assert len(out) == 2
    assert repodata_requests(server)[-1]["path"] == "/linux-64/repodata.json.bz2"


def test_retry_after_two_failures(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"), "--fail-first", "2", "--fault-path", "*/repodata.json.zst")
    out = json.loads(search(envctl, server.url, "zlib", env={"ENVCTL_REMOTE_BACKOFF_FACTOR": "0.05"}).stdout)
    assert len(out) == 2
    statuses = [e["status"] for e in repodata_requests(server)]
    assert statuses == [503, 503, 200]


def test_truncated_body_is_never_cached(envctl, serve, tmp_path, home):
    root = make_channel(tmp_path / "chan", zst=False)
    server = serve(root, "--truncate-after", "200", "--fault-path", "linux-64/repodata.json")
    proc = search(envctl, server.url, "zlib", expect=3,
                  env={"ENVCTL_REMOTE_MAX_RETRIES": "1", "ENVCTL_REMOTE_BACKOFF_FACTOR": "0.05"})
    assert "truncated" in proc.stdout + proc.stderr
    linux = subdir_cache(home, server.url, "linux-64")
    assert not (linux / "repodata.json").exists() and not (linux / "repodata.store").exists()
    assert not [p for p in linux.iterdir() if ".tmp." in p.name]
    healthy = serve(root)
    out = json.loads(search(envctl, healthy.url, "zlib").stdout)
    assert len(out) == 2


def test_corrupt_zst_is_reported_clearly(envctl, serve, tmp_path, home):
    server = serve(make_channel(tmp_path / "chan"), "--corrupt", "--fault-path", "linux-64/repodata.json.zst")
    proc = search(envctl, server.url, "zlib", expect=4)
    error = json.loads(proc.stdout)
    assert error["success"] is False
    assert "zstd" in error["error"] and "corrupt" in error["error"]
    assert f"{server.url}/linux-64" in error["error"]
    linux = subdir_cache(home, server.url, "linux-64")
    assert not (linux / "repodata.json.zst").exists() and not (linux / "repodata.store").exists()


def test_token_channel_never_shows_the_token(envctl, serve, tmp_path, home):
    token = "tk-SECRET-0123456789"
    server = serve(make_channel(tmp_path / "chan"), "--token", token)
    url = f"{server.url}/t/{token}"
    proc = search(envctl, url, "zlib")
    out = json.loads(proc.stdout)
    assert len(out) == 2
    assert token not in proc.stdout + proc.stderr
    assert all(token not in r["url"] and token not in r["channel"] for r in out)
    text = envctl.run("search", "--override-channels", "-c", url, "--platform", PLATFORM, "zlib", "-vv")
    assert token not in text.stdout + text.stderr
    failed = envctl.run("search", "--override-channels", "-c", f"{server.url}/t/wrong-token", "--platform", PLATFORM,
                        "zlib", expect=3)
    assert "wrong-token" not in failed.stdout + failed.stderr
    for path in cache_root(home).rglob("*"):
        assert token not in str(path)
        if path.is_file():
            assert token.encode() not in path.read_bytes()


def test_basic_auth_channel(envctl, serve, tmp_path, home):
    server = serve(make_channel(tmp_path / "chan"), "--basic-auth", "alice:pa55-word")
    host = server.url.split("://", 1)[1]
    proc = search(envctl, f"http://alice:pa55-word@{host}", "zlib")
    assert len(json.loads(proc.stdout)) == 2
    assert "pa55-word" not in proc.stdout + proc.stderr
    assert all(e["authorization"] == "yes" for e in repodata_requests(server))
    denied = envctl.run("search", "--override-channels", "-c", server.url, "--platform", PLATFORM, "zlib", expect=3)
    assert "401" in denied.stderr
    for path in cache_root(home).rglob("*"):
        if path.is_file():
            assert b"pa55-word" not in path.read_bytes()


def test_offline_after_a_warm_run(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    online = json.loads(search(envctl, server.url, "zlib").stdout)
    before = len(server.requests())
    offline = json.loads(search(envctl, server.url, "zlib", extra=("--offline",)).stdout)
    assert offline == online
    assert len(server.requests()) == before
    via_config = json.loads(search(envctl, server.url, "zlib", env={"ENVCTL_OFFLINE": "true"}).stdout)
    assert via_config == online


def test_offline_without_cache_names_what_is_missing(envctl, serve, tmp_path):
    server = serve(make_channel(tmp_path / "chan"))
    proc = search(envctl, server.url, "zlib", expect=3, extra=("--offline",))
    error = json.loads(proc.stdout)
    assert "offline" in error["error"]
    assert f"{server.url}/linux-64" in error["error"] and f"{server.url}/noarch" in error["error"]
    assert server.requests() == []


def test_sharded_fixture_fetches_only_the_needed_shard(envctl, serve):
    channel = shared_path("fixtures", "channels", "conda-format-repo")
    server = serve(channel)
    out = json.loads(search(envctl, server.url, "zlib").stdout)
    assert {r["fn"] for r in out} == {"zlib-1.2.11-h7b6447c_3.conda"}  # the .tar.bz2 twin is left out
    paths = [e["path"] for e in server.requests()]
    assert "/linux-64/repodata_shards.msgpack.zst" in paths
    shard_requests = [p for p in paths if p.startswith("/linux-64/") and p.endswith(".msgpack.zst")
                      and "repodata_shards" not in p]
    assert len(shard_requests) == 1
    assert "/linux-64/repodata.json" not in paths and "/linux-64/repodata.json.zst" not in paths
    # Shards are cached by hash: the second run asks only for the index (conditionally).
    search(envctl, server.url, "zlib")
    later = [e for e in server.requests()[len(paths):] if e["path"].startswith("/linux-64/")]
    assert [(e["path"], e["status"]) for e in later] == [("/linux-64/repodata_shards.msgpack.zst", 304)]


def test_no_shards_config_uses_monolithic_repodata(envctl, serve):
    server = serve(shared_path("fixtures", "channels", "conda-format-repo"))
    search(envctl, server.url, "zlib", env={"ENVCTL_REPODATA_USE_SHARDS": "false"})
    paths = [e["path"] for e in server.requests()]
    assert not any("msgpack" in p for p in paths)
    assert "/linux-64/repodata.json" in paths


@pytest.mark.parametrize("kind", ["store", "state"])
def test_damaged_cache_files_are_rebuilt(envctl, serve, tmp_path, home, kind):
    server = serve(make_channel(tmp_path / "chan"))
    first = json.loads(search(envctl, server.url, "zlib").stdout)
    for folder in cache_root(home).iterdir():
        target = folder / ("repodata.store" if kind == "store" else "state.json")
        if target.exists():
            data = target.read_bytes()
            target.write_bytes(data[: len(data) // 2])
    assert json.loads(search(envctl, server.url, "zlib").stdout) == first
