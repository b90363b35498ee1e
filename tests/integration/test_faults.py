"""Network faults from channel-server (503s, hangs, truncated and corrupt bodies, slow links,
a server dying mid-transfer) on repodata, shards and package archives during `envctl create`:
each run ends in success after retries or a clear error with exit code 3 (network) or 4
(integrity); afterwards nothing partial in the cache is taken as complete, and a run without
the fault succeeds and `envctl verify`s clean. Timeouts and retries are made small through
ENVCTL_* variables so that every case takes seconds."""
import os
import subprocess
import time

import pytest

from conftest import shared_path
from testkit import cache as cachecheck
from testkit import condapkg as ck
from testkit import prefixes

FAST = {"ENVCTL_REMOTE_CONNECT_TIMEOUT_SECS": "1", "ENVCTL_REMOTE_READ_TIMEOUT_SECS": "1",
        "ENVCTL_REMOTE_MAX_RETRIES": "2", "ENVCTL_REMOTE_BACKOFF_FACTOR": "0"}


@pytest.fixture
def channel(tmp_path):
    build = tmp_path / "build"
    payload = os.urandom(256 << 10)  # incompressible, so transfers take a while on a slow link
    packages = [
        ck.build_package(build, "app", "1.0", "0", depends=["lib"], files=[
            ck.text_file("share/app/readme.txt", "app\n"), ck.prefixed_text_file("etc/app.conf", "p={prefix}\n")]),
        ck.build_package(build, "lib", "2.0", "0", fmt=".tar.bz2", files=[
            ck.text_file("lib/lib.txt", "lib\n"), ck.binary_file("lib/blob.bin", payload)]),
    ]
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def create(envctl, prefix, url, expect=0, env=None):
    merged = dict(FAST)
    merged.update(env or {})
    return envctl.run("create", "-p", prefix, "-c", url, "--override-channels", "-y", "app", expect=expect, env=merged)


def archive_requests(server):
    return [e for e in server.requests() if e["path"].endswith((".conda", ".tar.bz2"))]


def assert_recovers(envctl, serve, channel, tmp_path, home, prefix):
    """The cache holds nothing partial; a fault-free run completes and verifies clean."""
    cachecheck.check_cache(home, channel)
    healthy = serve(channel)
    create(envctl, prefix, healthy.url)
    assert set(prefixes.check_consistent(prefix)) == {"app-1.0-0", "lib-2.0-0"}
    envctl.run("verify", "-p", prefix)
    assert cachecheck.check_cache(home, channel) == {"app-1.0-0", "lib-2.0-0"}


@pytest.mark.parametrize("target", ["*/repodata.json", "*.conda", "*.tar.bz2"])
def test_503_twice_then_success(envctl, serve, channel, tmp_path, home, target):
    server = serve(channel, "--fail-first", "2", "--fail-status", "503", "--fault-path", target)
    prefix = tmp_path / "env"
    create(envctl, prefix, server.url)
    statuses = [e["status"] for e in server.requests() if e["fault"]]
    assert statuses.count(503) >= 2, statuses
    envctl.run("verify", "-p", prefix)
    assert cachecheck.check_cache(home, channel) == {"app-1.0-0", "lib-2.0-0"}


@pytest.mark.parametrize("target", ["*/repodata.json", "*.conda"])
def test_503_beyond_the_retry_budget_is_a_network_error(envctl, serve, channel, tmp_path, home, target):
    server = serve(channel, "--fail-first", "50", "--fault-path", target)
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, expect=3)
    assert "503" in proc.stderr, proc.stderr
    faulted = [e for e in server.requests() if e["fault"]]
    assert len(faulted) == 3 * len({e["path"] for e in faulted}), "2 retries after the first attempt"
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


@pytest.mark.parametrize("target", ["linux-64/repodata.json", "*.conda"])
def test_hanging_server_times_out(envctl, serve, channel, tmp_path, home, target):
    server = serve(channel, "--hang", "--fault-path", target)
    prefix = tmp_path / "env"
    started = time.monotonic()
    proc = create(envctl, prefix, server.url, expect=3, env={"ENVCTL_REMOTE_MAX_RETRIES": "1"})
    assert time.monotonic() - started < 60, "the read timeout did not fire"
    assert "time" in proc.stderr.lower(), proc.stderr
    assert not (prefix / "conda-meta").exists() or not list((prefix / "conda-meta").glob("*.json"))
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


@pytest.mark.parametrize("target", ["*.conda", "*.tar.bz2"])
def test_truncated_archive_is_a_network_error_and_never_cached(envctl, serve, channel, tmp_path, home, target):
    server = serve(channel, "--truncate-after", "100", "--fault-path", target)
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, expect=3)
    assert target.lstrip("*") in proc.stderr, proc.stderr
    assert len([e for e in archive_requests(server) if e["fault"]]) == 3
    assert cachecheck.check_cache(home, channel) <= {"app-1.0-0", "lib-2.0-0"}
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


def test_truncated_repodata_is_a_network_error(envctl, serve, channel, tmp_path, home):
    server = serve(channel, "--truncate-after", "50", "--fault-path", "linux-64/repodata.json")
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, expect=3)
    assert "repodata" in proc.stderr, proc.stderr
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


@pytest.mark.parametrize("target,name", [("*.conda", "app-1.0-0"), ("*.tar.bz2", "lib-2.0-0")])
def test_corrupt_archive_is_an_integrity_error(envctl, serve, channel, tmp_path, home, target, name):
    server = serve(channel, "--corrupt", "--fault-path", target)
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, expect=4)
    assert name in proc.stderr and "sha256" in proc.stderr.lower(), proc.stderr
    assert not (cachecheck.pkgs_dir(home) / name).exists()
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


def test_corrupt_compressed_repodata_is_an_integrity_error(envctl, serve, channel, tmp_path, home):
    body = channel / "linux-64/repodata.json"
    subprocess.run(["zstd", "-q", "-f", str(body), "-o", f"{body}.zst"], check=True)
    server = serve(channel, "--corrupt", "--fault-path", "linux-64/repodata.json.zst")
    prefix = tmp_path / "env"
    proc = create(envctl, prefix, server.url, expect=4)
    assert "zstd" in proc.stderr, proc.stderr
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


def test_slow_link_succeeds(envctl, serve, channel, tmp_path, home):
    server = serve(channel, "--slow-bytes-per-sec", "400000", "--fault-path", "*.tar.bz2")
    prefix = tmp_path / "env"
    create(envctl, prefix, server.url)
    envctl.run("verify", "-p", prefix)
    assert cachecheck.check_cache(home, channel) == {"app-1.0-0", "lib-2.0-0"}


def test_server_dying_mid_transfer(envctl, serve, channel, tmp_path, home):
    server = serve(channel, "--slow-bytes-per-sec", "50000", "--fault-path", "*.tar.bz2")
    prefix = tmp_path / "env"
    merged = dict(envctl.env, **FAST)
    process = subprocess.Popen([envctl.binary, "create", "-p", str(prefix), "-c", server.url, "--override-channels",
                                "-y", "app"], env=merged, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The log has a line once a response is complete: after both repodata files, the archive
    # downloads start, and the slow one takes about 5 s.
    deadline = time.monotonic() + 60
    while len([e for e in server.requests() if "repodata" in e["path"]]) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)
    server.process.kill()
    server.process.wait()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr
    assert not any(e["path"].endswith(".tar.bz2") and e["status"] == 200 and e["bytes"] > 250000
                   for e in server.requests()), "the archive was complete before the server died"
    assert_recovers(envctl, serve, channel, tmp_path, home, prefix)


def sharded_channel(root):
    tool = shared_path("tools", "make-channel")
    subprocess.run([str(tool), str(root), "--records", "300", "--shards"], check=True, capture_output=True)
    return root


@pytest.mark.parametrize("fault,expect", [(("--fail-first", "1"), 0), (("--truncate-after", "20"), 3),
                                          (("--corrupt",), 4)])
def test_shard_faults(envctl, serve, tmp_path, home, fault, expect):
    root = sharded_channel(tmp_path / "sharded")
    server = serve(root, *fault, "--fault-path", "linux-64/*.msgpack.zst")
    args = ("search", "--override-channels", "-c", server.url, "--platform", "linux-64", "python", "--json")
    proc = envctl.run(*args, expect=expect, env=FAST)
    faulted = [e for e in server.requests() if e["fault"]]
    assert faulted, "no shard request met the fault; the test proves nothing"
    if expect:
        assert "shard" in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    healthy = serve(root)
    envctl.run("search", "--override-channels", "-c", healthy.url, "--platform", "linux-64", "python", "--json")
