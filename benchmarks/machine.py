"""What machine a benchmark ran on: printed beside every speed figure (one copy for all scripts here)."""

from __future__ import annotations

import os
import platform


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded to 0.01 ([] where the OS has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def loadavg() -> str:
    """The load averages as text, e.g. ``"1.23 0.98 0.75"`` (``"n/a"`` where the OS has none)."""
    values = load_average()
    return " ".join(f"{x:.2f}" for x in values) if values else "n/a"
