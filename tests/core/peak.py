"""Peak memory of reading one workbook, measured in a child process: the child loads the reader and the
file, resets its peak resident set (/proc/self/clear_refs), reads, and reports its peak over that baseline."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from training.core.errors import Problem
from training.core.excel import read_sheet

def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)

content = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as refs:
    refs.write("5")
baseline = status("VmRSS")
try:
    rows = read_sheet(content)
    outcome = {"kind": "rows", "rows": len(rows)}
except Problem as problem:
    outcome = {"kind": "problem", "status": problem.status, "detail": problem.detail}
except MemoryError:
    outcome = {"kind": "crash", "error": "MemoryError"}
except Exception as error:
    outcome = {"kind": "crash", "error": repr(error)[:300]}
print(json.dumps({"peak_over_baseline": status("VmHWM") - baseline, **outcome}))
"""


def read_in_child(path: Path, address_space: int = 8 << 30) -> dict[str, object]:
    """What reading the workbook at `path` did in a fresh process, and its peak memory over baseline."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(address_space)], capture_output=True,  # noqa: S603
                          text=True, timeout=600, check=False)
    if done.returncode != 0:
        return {"kind": "crash", "error": f"exit {done.returncode}: {done.stderr[-300:]}", "peak_over_baseline": -1}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
