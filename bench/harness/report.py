"""Benchmark reports: the machine line, markdown tables, and generated blocks written into docs/ between markers."""
from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from bench.harness import REPO_ROOT


def machine() -> dict[str, str]:
    """Cores, CPU model and RAM from /proc, so a report says what it was measured on."""
    info = {"cores": str(os.cpu_count() or "?"), "python": platform.python_version(), "cpu": platform.processor()}
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        m = re.search(r"model name\s*:\s*(.+)", cpu)
        if m:
            info["cpu"] = m.group(1).strip()
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text()
        m = re.search(r"MemTotal:\s*(\d+) kB", mem)
        if m:
            info["ram"] = f"{int(m.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        info["ram"] = "?"
    info["date"] = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return info


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; floats print with 3 decimals."""
    def cell(v: object) -> str:
        if isinstance(v, float):
            return f"{v:.3f}"
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


BEGIN = "<!-- BEGIN GENERATED: {name} -->"


END = "<!-- END GENERATED: {name} -->"


def write_generated(path: Path, name: str, body: str) -> None:
    """Replace the block between this benchmark's markers in `path`, keeping hand-written text around it."""
    begin, end = BEGIN.format(name=name), END.format(name=name)
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if begin in text and end in text:
        before = text.split(begin, 1)[0]
        after = text.split(end, 1)[1]
        text = before + block + after
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def machine_line() -> str:
    m = machine()
    return f"{m['cores']} cores ({m['cpu']}), {m.get('ram', '?')} RAM, Python {m['python']}, {m['date']}"


def measured_with(module: str) -> str:
    """A report's first words: the command as run (this process's arguments), the commit and the machine."""
    command = shlex.join(["python", "-m", module, *sys.argv[1:]])
    return f"Measured with `{command}` at commit {git_commit()} on {machine_line()}"


def git_commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def fmt_ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
