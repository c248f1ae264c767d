"""The Flink side of the Nexmark bench: builds bench/nexmark-flink (Maven) when its jar is
missing or older than its sources, and runs its modes (bench, checksum, dump) in a JVM."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent / "nexmark-flink"
JAR = PROJECT / "target" / "nexmark-flink.jar"
MAIN = "sabot.nexmark.flink.NexmarkFlinkBench"
# A fixed heap, so runs compare alike whatever else the machine holds.
JVM_OPTS = ["-Xms2g", "-Xmx2g"]


def available() -> bool:
    return shutil.which("java") is not None and shutil.which("mvn") is not None


def ensure_jar() -> Path:
    """Builds the job jar (quietly; offline once ~/.m2 holds the dependencies) if it is stale."""
    sources = [PROJECT / "pom.xml", *PROJECT.joinpath("src").rglob("*.java")]
    if JAR.exists() and (PROJECT / "target" / "lib").is_dir() and \
            JAR.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return JAR
    mvn = ["mvn", "-q", "-B", "-Dstyle.color=never", "package"]
    for cmd in (mvn[:1] + ["-o"] + mvn[1:], mvn):  # offline first; online to fetch what is missing
        proc = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True)
        if proc.returncode == 0:
            return JAR
    sys.stderr.write(proc.stdout + proc.stderr)
    raise RuntimeError(f"nexmark-flink: '{' '.join(mvn)}' failed in {PROJECT}")


def run(mode: str, **options) -> str:
    """Runs one mode of the job jar; options become --name value. Returns its stdout."""
    ensure_jar()
    cmd = ["java", *JVM_OPTS, "-cp", f"{JAR}:{JAR.parent / 'lib' / '*'}", MAIN, mode]
    for name, value in options.items():
        cmd += [f"--{name}", str(value)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise RuntimeError(f"nexmark-flink {mode} failed (exit {proc.returncode}): {' '.join(cmd)}")
    return proc.stdout


def fields(line: str) -> dict[str, str]:
    """'name a=1 b=2' -> {'a': '1', 'b': '2'}."""
    return dict(re.findall(r"(\w+)=(\S+)", line))


def checksums(events: int, seed: int) -> dict[str, dict[str, int]]:
    """Per table: rows and the sums of its integer columns and string lengths."""
    out = {}
    for line in run("checksum", events=events, seed=seed).splitlines():
        table, _, rest = line.partition(" ")
        out[table] = {k: int(v) for k, v in fields(rest).items()}
    return out


def bench(events: int, parallelism: int, repeats: int, warmups: int,
          queries: list[str]) -> dict[str, dict[str, float]]:
    """Per query: rows, seconds (median of the timed runs after the warm-ups) and events_per_s."""
    out = {}
    for line in run("bench", events=events, parallelism=parallelism, repeats=repeats,
                    warmups=warmups, queries=",".join(queries)).splitlines():
        if line.startswith("result "):
            f = fields(line)
            out[f["query"]] = {"rows": int(f["rows"]), "seconds": float(f["seconds"]),
                               "events_per_s": float(f["events_per_s"])}
    return out
