"""Start benchmark processes so that their timed parts begin at the same moment.

Each child prints ``ready`` once warmed up, waits for a line on its stdin, runs its timed part and prints
one JSON object as its last line. :func:`run_together` starts them all, waits until every one is ready,
releases them together and returns their JSON results in order.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any


def run_together(commands: list[list[str]]) -> list[dict[str, Any]]:
    processes = [subprocess.Popen(c, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for c in commands]
    for process in processes:  # every process warmed up…
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise SystemExit(f"a benchmark process failed with exit code {process.wait()}")
    for process in processes:  # …then all go
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.close()
    results = []
    for process in processes:
        assert process.stdout is not None
        out = process.stdout.read()
        if process.wait() != 0:
            raise SystemExit(f"a benchmark process failed with exit code {process.returncode}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results
