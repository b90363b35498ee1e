"""A loopback channel-server process owned by one test."""
import json
import signal
import subprocess
import time
from pathlib import Path


class ChannelServer:
    def __init__(self, tool, directory, work_dir, args):
        work_dir.mkdir(parents=True, exist_ok=True)
        self.port_file = work_dir / "port"
        self.log_file = work_dir / "requests.log"
        self.port_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [str(tool), str(directory), "--port", "0", "--port-file", str(self.port_file),
             "--log", str(self.log_file), "--max-seconds", "600", "--quiet", *args])
        deadline = time.monotonic() + 20
        while not (self.port_file.exists() and self.port_file.read_text().strip()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"channel-server for {directory} did not start")
            time.sleep(0.02)
        self.port = int(self.port_file.read_text())
        self.url = f"http://127.0.0.1:{self.port}"

    def requests(self):
        """Every request logged so far, as dicts (method, path, status, bytes, ...)."""
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line.strip()]

    def paths(self):
        return [entry["path"] for entry in self.requests()]

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
