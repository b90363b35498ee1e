"""Several `envctl create` processes at once: different prefixes sharing one package cache
(all succeed, every cached package verifies, every prefix verifies), and two on the same
prefix (one waits for the other or fails clearly; the prefix is consistent afterwards)."""
import subprocess

from testkit import cache as cachecheck
from testkit import condapkg as ck
from testkit import prefixes

PACKAGES = 8


def channel(tmp_path):
    build = tmp_path / "build"
    packages = []
    for i in range(PACKAGES):
        files = [ck.text_file(f"share/pkg{i}/file{j}.txt", f"{i}-{j}\n" * 100) for j in range(20)]
        files += [ck.prefixed_text_file(f"etc/pkg{i}.conf", "prefix={prefix}\n"),
                  ck.binary_with_placeholder(f"lib/libpkg{i}.so")]
        fmt = ".conda" if i % 2 else ".tar.bz2"
        packages.append(ck.build_package(build, f"pkg{i}", "1.0", "0", files=files,
                                         depends=[f"pkg{i - 1}"] if i else [], fmt=fmt))
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def start(envctl, prefix, url, spec):
    return subprocess.Popen([envctl.binary, "create", "-p", str(prefix), "-c", url, "--override-channels", "-y", spec],
                            env=envctl.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process):
    stdout, stderr = process.communicate(timeout=240)
    return process.returncode, stdout, stderr


def test_parallel_creates_share_one_cache(envctl, serve, tmp_path, home):
    channel_dir = channel(tmp_path)
    server = serve(channel_dir)
    # Each process wants a different slice of the dependency chain, so they contend for the
    # same cache entries (pkg0 is in all of them) from different starting points.
    specs = [f"pkg{i}" for i in (PACKAGES - 1, PACKAGES - 1, PACKAGES - 3, 2, PACKAGES - 2)]
    prefixes_ = [tmp_path / f"env{i}" for i in range(len(specs))]
    processes = [start(envctl, p, server.url, s) for p, s in zip(prefixes_, specs)]
    results = [finish(p) for p in processes]
    for (code, _, stderr), prefix in zip(results, prefixes_):
        assert code == 0, f"{prefix}: {stderr}"
    for spec, prefix in zip(specs, prefixes_):
        top = int(spec[3:])
        assert set(prefixes.check_consistent(prefix)) == {f"pkg{i}-1.0-0" for i in range(top + 1)}
        assert (prefix / "etc/pkg0.conf").read_text() == f"prefix={prefix}\n"
        envctl.run("verify", "-p", prefix)
    assert cachecheck.check_cache(home, channel_dir) == {f"pkg{i}-1.0-0" for i in range(PACKAGES)}
    # Each archive was downloaded once: the per-entry locks made the others wait and reuse it.
    archives = [e["path"] for e in server.requests() if e["path"].endswith((".conda", ".tar.bz2"))]
    assert len(archives) == len(set(archives)) == PACKAGES, sorted(archives)


def test_two_creates_on_one_prefix(envctl, serve, tmp_path, home):
    channel_dir = channel(tmp_path)
    server = serve(channel_dir)
    prefix = tmp_path / "env"
    first = start(envctl, prefix, server.url, f"pkg{PACKAGES - 1}")
    second = start(envctl, prefix, server.url, "pkg3")
    results = [finish(first), finish(second)]
    codes = [code for code, _, _ in results]
    # Either both complete one after the other (the later one replaces the environment), or
    # one is refused with a clear message that the prefix is in use.
    for code, _, stderr in results:
        assert code in (0, 1, 2), stderr
        if code:
            assert "in use" in stderr or "lock" in stderr, stderr
            assert "Traceback" not in stderr
    assert 0 in codes, results
    print(f"two creates on one prefix exited {codes}")
    found = set(prefixes.check_consistent(prefix))
    assert found in ({f"pkg{i}-1.0-0" for i in range(PACKAGES)}, {f"pkg{i}-1.0-0" for i in range(4)})
    envctl.run("verify", "-p", prefix)
    cachecheck.check_cache(home, channel_dir)
