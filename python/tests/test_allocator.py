"""Arrow's allocator kept off transparent huge pages: by `import sabot` (before pyarrow
loads) and by the `sabot` CLI for its process and the Python jobs it runs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

repo_root = Path(__file__).resolve().parents[2]


def _thp_enabled(status: str) -> str | None:
    for line in status.splitlines():
        if line.startswith("THP_enabled:"):
            return line.split()[1]
    return None


def test_import_sets_the_allocator_option_unless_the_user_did():
    code = "import os, sabot; print(os.environ['MIMALLOC_ALLOW_THP'])"
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_ALLOW_THP"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**env, "MIMALLOC_ALLOW_THP": "1"})
    assert out.stdout.strip() == "1"


@pytest.mark.skipif(_thp_enabled(Path("/proc/self/status").read_text() if Path("/proc/self/status").exists()
                                 else "") is None, reason="the kernel does not report THP_enabled")
def test_the_cli_turns_huge_pages_off_for_its_jobs(tmp_path):
    job = tmp_path / "job.py"
    job.write_text("print(open('/proc/self/status').read())\n")
    sabot_bin = os.environ.get("SABOT_BIN", str(repo_root / "build" / "sabot"))
    env = {k: v for k, v in os.environ.items() if k != "MIMALLOC_ALLOW_THP"}
    env["SABOT_PYTHON"] = sys.executable
    proc = subprocess.run([sabot_bin, "run", str(job)], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    assert _thp_enabled(proc.stdout) == "0"
    proc = subprocess.run([sabot_bin, "run", str(job)], capture_output=True, text=True, timeout=60,
                          env={**env, "MIMALLOC_ALLOW_THP": "1"})
    assert proc.returncode == 0, proc.stderr
    assert _thp_enabled(proc.stdout) == "1"
