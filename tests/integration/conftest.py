"""Fixtures shared by the integration tests: the envctl binary, an isolated home, and
loopback channel servers (../shared/tools/channel-server)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from testkit.server import ChannelServer  # noqa: E402

SHARED_DIR = Path(os.environ.get("ENVCTL_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))


def shared_path(*parts):
    """A path under ../shared, or a skip with the reason when it is not there."""
    path = SHARED_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent; this test needs the shared fixtures/tools next to the checkout")
    return path


class Envctl:
    """Runs the built envctl binary with an environment isolated from the user's."""

    def __init__(self, binary, env):
        self.binary = binary
        self.env = env

    def run(self, *args, expect=0, env=None, cwd=None, input=None, timeout=300):
        merged = dict(self.env)
        merged.update(env or {})
        proc = subprocess.run([self.binary, *map(str, args)], env=merged, cwd=cwd, input=input,
                              capture_output=True, text=True, timeout=timeout)
        if expect is not None and proc.returncode != expect:
            raise AssertionError(
                f"envctl {' '.join(map(str, args))} exited {proc.returncode}, expected {expect}\n"
                f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
        return proc

    def json(self, *args, expect=0, **kwargs):
        proc = self.run(*args, "--json", expect=expect, **kwargs)
        try:
            return json.loads(proc.stdout)
        except json.JSONDecodeError as error:
            raise AssertionError(f"not JSON ({error}):\n{proc.stdout}\n--- stderr\n{proc.stderr}")


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def envctl(home, tmp_path):
    binary = os.environ.get("ENVCTL_BIN")
    if not binary:
        pytest.fail("ENVCTL_BIN is not set; run the integration tests through ctest")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "ENVCTL_ROOT_PREFIX": str(tmp_path / "root"),
        "NO_COLOR": "1",
        "LANG": "C.UTF-8",
    }
    # Sanitizer builds (scripts/test's build-asan) read their options from the environment.
    env.update({k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")})
    return Envctl(binary, env)


@pytest.fixture
def serve(tmp_path):
    """serve(directory, *server_args) starts channel-server on loopback and returns it."""
    tool = shared_path("tools", "channel-server")
    servers = []

    def start(directory, *args):
        server = ChannelServer(tool, directory, tmp_path / f"server{len(servers)}", list(args))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
