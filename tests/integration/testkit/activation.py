"""Environments for the activation tests (run, shell): what activation reads, without an installer."""
import json
from pathlib import Path


def make_environment(prefix, env_vars=None, activate=None, deactivate=None, programs=None):
    """A prefix that activation accepts: conda-meta (history, state), etc/conda scripts, bin/."""
    prefix = Path(prefix)
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "history").write_text("==> 2024-01-01 00:00:00 <==\n# cmd: test\n")
    if env_vars is not None:
        (prefix / "conda-meta" / "state").write_text(json.dumps({"env_vars": env_vars}))
    for kind, scripts in (("activate", activate), ("deactivate", deactivate)):
        for name, text in (scripts or {}).items():
            folder = prefix / "etc" / "conda" / f"{kind}.d"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text)
    (prefix / "bin").mkdir(exist_ok=True)
    for name, text in (programs or {}).items():
        path = prefix / "bin" / name
        path.write_text(text)
        path.chmod(0o755)
    return prefix
