"""One measurement in a fresh Python process: the harnesses' workers.

A harness runs ``python -m benchmarks.<name> <arguments>`` from the
repository's root, so that nothing imported, compiled or allocated by one
measurement helps or burdens the next, and reads the JSON value its worker
prints last.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def fresh_process(module: str, *arguments: str) -> Any:
    """The JSON value that ``python -m module arguments`` prints on its last line;
    ``RuntimeError`` with its standard error if it fails."""
    done = subprocess.run([sys.executable, "-m", module, *arguments], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(arguments)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
