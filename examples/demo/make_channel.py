#!/usr/bin/env python3
"""Writes the demo channel used by scripts/demo and examples/environment.yml.

    python3 examples/demo/make_channel.py OUT_DIR

The channel holds real conda packages (.conda archives with info/paths.json, built by the test
kit in tests/integration/testkit/condapkg.py) for a tiny "training" tool:

  demo-data 1.0          a dataset under share/demo
  demo-runtime 2.0, 2.1  a config file with a prefix placeholder and an activate.d script
  demo-train 0.9, 1.0    bin/demo-train, a shell script; 1.0 needs demo-runtime >=2.1

Output is deterministic (fixed mtimes and hashes), so the same channel is generated every time.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "integration"))

from testkit import condapkg as ck  # noqa: E402

TRAIN_SCRIPT = """#!/bin/sh
# Reads the dataset shipped by demo-data and the config of demo-runtime (whose prefix
# placeholder was replaced by the environment's prefix when it was installed).
set -eu
config="{prefix}/etc/demo-runtime.conf"
. "$config"
rows=$(($(wc -l < "$DEMO_DATASET") - 1))
echo "demo-train {version}: runtime $DEMO_RUNTIME_VERSION, $rows samples from $DEMO_DATASET"
echo "epoch 1/2  loss 0.693"
echo "epoch 2/2  loss 0.412"
echo "activation variable DEMO_HOME=${DEMO_HOME:-unset}"
"""


def build(out_dir):
    packages = [ck.build_package(out_dir, "demo-data", "1.0", noarch="generic", files=[
        ck.text_file("share/demo/dataset.csv", "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(100))),
    ])]
    for version in ("2.0", "2.1"):
        packages.append(ck.build_package(out_dir, "demo-runtime", version, noarch="generic", files=[
            ck.prefixed_text_file("etc/demo-runtime.conf",
                                  f"DEMO_RUNTIME_VERSION={version}\nDEMO_DATASET={{prefix}}/share/demo/dataset.csv\n"),
            ck.activation_script("demo-runtime", 'export DEMO_HOME="$CONDA_PREFIX/share/demo"\n'),
            ck.activation_script("demo-runtime", "unset DEMO_HOME\n", deactivate=True),
        ]))
    for version, runtime in (("0.9", "demo-runtime >=2.0"), ("1.0", "demo-runtime >=2.1")):
        script = TRAIN_SCRIPT.replace("{version}", version)
        packages.append(ck.build_package(out_dir, "demo-train", version, noarch="generic", files=[
            ck.prefixed_text_file("bin/demo-train", script, mode=0o755),
        ], depends=[runtime, "demo-data 1.*"]))
    return packages


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_channel.py OUT_DIR")
    out = Path(sys.argv[1]).resolve()
    archives = out / "archives"
    archives.mkdir(parents=True, exist_ok=True)
    channel = ck.write_channel_from_packages(out / "channel", build(archives))
    print(channel)


if __name__ == "__main__":
    main()
