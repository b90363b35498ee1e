"""envctl as a new user sees it on a terminal (a pseudo-terminal from python's pty module):
`envctl create` against a loopback channel draws progress lines that end up as a readable
screen, and draws nothing of the kind when its output is piped or NO_COLOR is set."""
import os
import pty
import re
import select
import subprocess

import pytest

from testkit import condapkg as ck

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def channel(tmp_path):
    build = tmp_path / "build"
    packages = [
        ck.build_package(build, "demo", "1.0", "h0_0", depends=["libdep"],
                         files=[ck.text_file(f"share/demo/file{i}.txt", f"{i}\n" * 200) for i in range(20)]),
        ck.build_package(build, "libdep", "2.1", "0", files=[ck.text_file("lib/libdep.txt", "dep\n")]),
    ]
    return ck.write_channel_from_packages(tmp_path / "channel", packages)


def run_on_terminal(envctl, args, env=None, timeout=120):
    """Runs envctl with stdin, stdout and stderr on a pseudo-terminal; returns (exit code, bytes)."""
    merged = dict(envctl.env)
    merged.pop("NO_COLOR", None)
    merged["TERM"] = "xterm-256color"
    merged.update(env or {})
    controller, terminal = pty.openpty()
    proc = subprocess.Popen([envctl.binary, *map(str, args)], stdin=terminal, stdout=terminal, stderr=terminal,
                            env=merged, close_fds=True)
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], timeout)
        if not ready:
            proc.kill()
            raise AssertionError(f"no output for {timeout}s; so far: {output!r}")
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal closed
            break
        if not chunk:
            break
        output += chunk
    os.close(controller)
    return proc.wait(timeout=timeout), output


def screen(output):
    """What a terminal shows at the end: per line, what the last carriage return left."""
    lines = []
    for line in output.decode().replace("\r\n", "\n").split("\n"):
        lines.append(ESCAPE.sub("", line.split("\r")[-1]))
    return [line for line in lines if line.strip()]


def test_create_on_a_terminal_shows_progress_then_a_clean_summary(envctl, serve, channel, tmp_path):
    server = serve(channel)
    code, output = run_on_terminal(envctl, ["create", "-p", tmp_path / "env", "-c", server.url,
                                            "--override-channels", "-y", "demo"])
    assert code == 0, output
    text = output.decode()
    # Progress was drawn: bars redrawn in place with carriage returns and erase-line.
    assert "\r\x1b[K" in text
    assert re.search(r"(Downloading|Extracting|Linking)\s+\[[=> ]+\]", ESCAPE.sub("", text)), text
    shown = screen(output)
    # What remains is readable text: no control characters, no half-drawn bars.
    for line in shown:
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line), line
        assert "[====" not in line and "=>" not in line, line
    assert any("demo" in line for line in shown)
    assert any(line.startswith(f"Environment {tmp_path / 'env'}") for line in shown), shown


def test_piped_or_no_color_output_has_no_progress(envctl, serve, channel, tmp_path):
    server = serve(channel)
    piped = envctl.run("create", "-p", tmp_path / "piped", "-c", server.url, "--override-channels", "-y", "demo",
                       env={"TERM": "xterm-256color"})
    for stream in (piped.stdout, piped.stderr):
        assert "\r" not in stream and "\x1b" not in stream
    assert "Environment" in piped.stdout

    code, output = run_on_terminal(envctl, ["create", "-p", tmp_path / "no-color", "-c", server.url,
                                            "--override-channels", "-y", "demo"], env={"NO_COLOR": "1"})
    assert code == 0, output
    assert b"\x1b" not in output
    assert b"\r\x1b[K" not in output


def test_usage_errors_on_a_terminal_are_plain_text(envctl):
    code, output = run_on_terminal(envctl, ["create", "--no-such-flag"], env={"NO_COLOR": "1"})
    assert code == 2
    assert b"\x1b" not in output and b"--no-such-flag" in output
