"""``python -m sabot run job.py|plan.json`` and ``python -m sabot explain plan.json``."""
from __future__ import annotations

import argparse
import runpy
import sys

from . import SabotError, _core
from .stream import _JobSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sabot", description="Run Sabot jobs: Python job files or plan files.")
    parser.add_argument("--version", action="version", version=f"sabot {_core.__version__} (arrow {_core.arrow_version})")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a job: a Python file (run as __main__) or a .json plan")
    run.add_argument("job")
    run.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to a Python job")
    explain = sub.add_parser("explain", help="print a plan file's tree with each step's columns")
    explain.add_argument("job")
    ns = parser.parse_args(argv)
    try:
        if ns.command == "explain":
            print(_core.explain_plan_file(ns.job), end="")
        elif ns.job.endswith(".py"):
            sys.argv = [ns.job, *ns.args]
            runpy.run_path(ns.job, run_name="__main__")
        else:
            _core.run_plan_file(ns.job, _JobSettings.threads)
    except SabotError as e:
        print(f"sabot: error: {e}", file=sys.stderr)
        return 1
    except FileNotFoundError as e:
        print(f"sabot: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sabot: cancelled", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
