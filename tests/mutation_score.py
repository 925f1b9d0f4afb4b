"""Print the mutation score from mutmut's CI/CD stats (used by ``make mutation``; not a test).

Score = killed (including timeouts) / (every mutant that ran or had no test). Mutants without a
covering test count as survivors: an untested line is not a tested one.
"""

from __future__ import annotations

import json
import sys


def main(path: str, seconds: str = "") -> int:
    stats = json.loads(open(path, encoding="utf-8").read())
    killed = stats["killed"] + stats.get("timeout", 0)
    survived = stats["survived"] + stats.get("no_tests", 0) + stats.get("suspicious", 0)
    total = killed + survived
    score = killed / total if total else float("nan")
    took = f" in {int(seconds) // 60} min {int(seconds) % 60} s" if seconds else ""
    print(f"mutation score: {score:.1%} ({killed} of {total} mutants killed; {stats['survived']} survived, "
          f"{stats.get('no_tests', 0)} without a covering test){took}")
    print("surviving equivalent mutants and their reasons: tests/mutation_survivors.md")
    return 0 if score >= 0.85 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
