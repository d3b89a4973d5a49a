"""``import xent_lessons`` stays light: NumPy only, and quick.

Run in a fresh interpreter, since this test session has long since imported torch.
"""

import json
import math
import subprocess
import sys

HEAVY = ("torch", "matplotlib", "ipywidgets")

PROBE = """
import json, sys, time
import numpy  # the one dependency; its import time is not the package's
start = time.perf_counter()
import xent_lessons
elapsed = time.perf_counter() - start
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
loss = xent_lessons.categorical_cross_entropy([[2.0, 0.5, -1.0]], [0])
print(json.dumps({{"elapsed": elapsed, "heavy": heavy, "loss": loss}}))
"""


def _probe():
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=set(HEAVY))],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_does_not_load_torch_matplotlib_or_ipywidgets_and_is_fast():
    report = _probe()
    assert report["heavy"] == []
    assert report["elapsed"] < 0.5
    # the math works without them
    expected = math.log(math.exp(2.0) + math.exp(0.5) + math.exp(-1.0)) - 2.0
    assert abs(report["loss"] - expected) < 1e-15
