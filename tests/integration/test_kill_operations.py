"""kill -9 at random points of `envctl install`, `update` and `remove` (create is covered by
test_install_kill.py): after each kill the same command runs again and must complete; then
the prefix is consistent (no journal or trash, every recorded file present with its
sha256_in_prefix, nothing no record owns), `envctl verify` is clean and the package cache
holds only complete, verified entries. Bounded: 12 seeded iterations."""
import random
import signal
import subprocess
import time

from testkit import cache as cachecheck
from testkit import condapkg as ck
from testkit import prefixes

EXTRAS = 6


def files_for(name, version, count=25):
    return [ck.text_file(f"share/{name}/file{j}.txt", f"{name}-{version}-{j}\n" * 40) for j in range(count)] + [
        ck.prefixed_text_file(f"etc/{name}.conf", "prefix={prefix}\n"),
        ck.binary_with_placeholder(f"lib/lib{name}.so"),
        ck.text_file(f"share/{name}/version.txt", f"{version}\n")]


def channel(tmp_path):
    build = tmp_path / "build"
    packages = [ck.build_package(build, "base", "1.0", "0", files=files_for("base", "1.0"))]
    for version in ("1.0", "2.0"):
        packages.append(ck.build_package(build, "app", version, "0", depends=["base"], files=files_for("app", version),
                                         fmt=".conda" if version == "1.0" else ".tar.bz2"))
    for i in range(EXTRAS):
        depends = [f"extra{i - 1}"] if i else ["app"]
        packages.append(ck.build_package(build, f"extra{i}", "1.0", "0", depends=depends, files=files_for(f"extra{i}", "1")))
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def expected(app_version, extras):
    names = {"base-1.0-0", f"app-{app_version}-0"}
    return names | ({f"extra{i}-1.0-0" for i in range(EXTRAS)} if extras else set())


def test_kill_9_during_install_update_remove(envctl, serve, tmp_path, home):
    channel_dir = channel(tmp_path)
    server = serve(channel_dir)
    prefix = tmp_path / "env"
    chan = ["-c", server.url, "--override-channels"]
    envctl.run("create", "-p", prefix, *chan, "-y", "app=1.0")
    # Each step: the command, then the state it leads to (app version, extras installed).
    # (update follows an install, never a remove: after `remove extra0` the history still
    # names extra5 as requested, and update re-solves with the requested specs.)
    steps = [
        (["install", "-p", prefix, *chan, "-y", f"extra{EXTRAS - 1}"], ("1.0", True)),
        (["update", "-p", prefix, *chan, "-y", "app"], ("2.0", True)),
        (["install", "-p", prefix, *chan, "-y", "app=1.0"], ("1.0", True)),
        (["remove", "-p", prefix, "-y", "extra0"], ("1.0", False)),
    ]
    rng = random.Random(20251122)
    killed_mid_way = 0
    deadline = time.monotonic() + 120
    for iteration in range(12):
        if time.monotonic() > deadline:
            break
        args, (app_version, extras) = steps[iteration % len(steps)]
        if iteration == len(steps):
            # Second round from an empty cache, so kills land in downloads and extraction too.
            subprocess.run(["rm", "-rf", str(cachecheck.pkgs_dir(home))], check=True)
        process = subprocess.Popen([envctl.binary, *map(str, args)], env=envctl.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.5))
        if process.poll() is None:
            killed_mid_way += 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        # The killed run is recovered (rolled back or finished) by the next command, which
        # then does its own work. A remove whose killed run completed has nothing left to do.
        proc = envctl.run(*args, expect=None)
        assert proc.returncode == 0 or (args[0] == "remove" and "not installed" in proc.stderr), proc.stderr
        records = prefixes.check_consistent(prefix)
        assert set(records) == expected(app_version, extras), proc.stderr
        assert (prefix / "share/app/version.txt").read_text() == f"{app_version}\n"
        assert (prefix / "etc/base.conf").read_text() == f"prefix={prefix}\n"
        envctl.run("verify", "-p", prefix)
        cachecheck.check_cache(home, channel_dir)
    assert killed_mid_way > 0, "no kill landed while envctl was running; the test proves nothing"
