"""kill -9 at random points of `envctl create`, then the next create must leave a consistent
prefix: every conda-meta record's files present with their recorded sha256_in_prefix, and no
file of a half-linked package left behind. Bounded: 15 seeded iterations, each well under a
second or two."""
import os
import random
import signal
import subprocess
import time

from testkit import condapkg as ck
from testkit import prefixes

PACKAGES = 20


def channel_packages(build):
    packages = []
    for i in range(PACKAGES):
        files = [ck.text_file(f"share/pkg{i}/file{j}.txt", f"{i}-{j}\n" * 50) for j in range(25)]
        files += [ck.prefixed_text_file(f"etc/pkg{i}.conf", "prefix={prefix}\n"),
                  ck.binary_with_placeholder(f"lib/libpkg{i}.so"),
                  ck.symlink(f"lib/libpkg{i}.so.1", f"libpkg{i}.so"),
                  ck.text_file("share/common/shared.txt", f"written by pkg{i}\n")]
        depends = [f"pkg{i - 1}"] if i else []
        fmt = ".conda" if i % 2 else ".tar.bz2"
        packages.append(ck.build_package(build, f"pkg{i}", "1.0", "0", files=files, depends=depends, fmt=fmt))
    return packages


def test_kill_9_during_create_then_create_again(envctl, serve, tmp_path):
    server = serve(ck.write_channel_from_packages(tmp_path / "channel", channel_packages(tmp_path / "build")))
    rng = random.Random(20240501)
    prefix = tmp_path / "env"
    args = [envctl.binary, "create", "-p", str(prefix), "-c", server.url, "--override-channels", "-y",
            f"pkg{PACKAGES - 1}"]
    env = dict(envctl.env)
    deadline = time.monotonic() + 50
    killed_mid_way = 0
    for iteration in range(15):
        if time.monotonic() > deadline:
            break
        if iteration % 5 == 0:
            # Now and then start from an empty cache too, so kills land in downloads and
            # extraction as well as in linking.
            subprocess.run(["rm", "-rf", str(tmp_path / "home/.cache/envctl/pkgs")], check=True)
        process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.6))
        if process.poll() is None:
            killed_mid_way += 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        # The next run recovers what the killed one left and finishes the environment.
        proc = envctl.run("create", "-p", prefix, "-c", server.url, "--override-channels", "-y", f"pkg{PACKAGES - 1}")
        records = prefixes.check_consistent(prefix)
        assert set(records) == {f"pkg{i}-1.0-0" for i in range(PACKAGES)}, proc.stderr
        assert (prefix / f"etc/pkg0.conf").read_text() == f"prefix={prefix}\n"
        # Start the next iteration from a prefix in some state: empty, or installed.
        if rng.random() < 0.5:
            envctl.run("env", "remove", "-p", prefix, "-y")
    assert killed_mid_way > 0, "no kill landed while envctl was running; the test proves nothing"
