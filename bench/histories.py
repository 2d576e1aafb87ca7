"""Money reconciles over many random lesson histories: the property test of
payments/tests/test_reconciliation_property.py, run with far more histories than the suite's 20.

    .venv/bin/python bench/histories.py                      # 1,000 histories in 2 processes
    .venv/bin/python bench/histories.py --histories 4000 --processes 2 --seed 7

Each process is a pytest run of that test with its own test database (test_ii_histories_<n>),
its own Hypothesis seed and HISTORIES=<its share>; Hypothesis reports how many histories passed.
Prints one row per process and the total; the exit status is 1 when any history failed (the
failing history is printed by pytest above the table). Uses the local PostgreSQL and Redis
(127.0.0.1), like `make test`.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST = "payments/tests/test_reconciliation_property.py"
PASSING = re.compile(r"(\d+) passing, (\d+) failing")  # Hypothesis's statistics line


def environment() -> dict[str, str]:
    """The database and Redis `make test` would use (scripts/dev.py decides)."""
    found = subprocess.run(
        [sys.executable, "scripts/dev.py", "env"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    env = dict(os.environ)
    for line in found.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value.strip("'\"")
    return env


def start(index: int, histories: int, seed: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "pytest",
        TEST,
        "-q",
        "--no-cov",
        "-p",
        "no:cacheprovider",
        f"--hypothesis-seed={seed}",
        "--hypothesis-show-statistics",
    ]
    process_env = {**env, "HISTORIES": str(histories), "TEST_DATABASE_NAME": f"test_ii_histories_{index}"}
    return subprocess.Popen(
        command, cwd=REPO, env=process_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--histories", type=int, default=1000, help="in all (default 1000)")
    parser.add_argument("--processes", type=int, default=2, help="pytest processes side by side (default 2)")
    parser.add_argument("--seed", type=int, default=20261203, help="Hypothesis seed of the first process")
    args = parser.parse_args()
    env = environment()
    share = -(-args.histories // args.processes)  # ceiling: at least --histories in all
    began = time.monotonic()
    runs = [(index, args.seed + index, start(index, share, args.seed + index, env)) for index in range(args.processes)]
    rows, failed = [], False
    for index, seed, process in runs:
        output, _ = process.communicate()
        passing = failing = 0
        for match in PASSING.finditer(output):
            passing, failing = passing + int(match[1]), failing + int(match[2])
        if process.returncode != 0:
            failed = True
            print(output, file=sys.stderr)
        rows.append((index, seed, share, passing, failing, process.returncode))
    seconds = time.monotonic() - began
    print(f"{'process':>7}  {'seed':>9}  {'asked':>6}  {'passed':>6}  {'failed':>6}  {'exit':>4}")
    for index, seed, asked, passing, failing, code in rows:
        print(f"{index:>7}  {seed:>9}  {asked:>6}  {passing:>6}  {failing:>6}  {code:>4}")
    total = sum(row[3] for row in rows)
    print(f"histories passed: {total} in {seconds:.0f} s ({args.processes} processes); any failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
