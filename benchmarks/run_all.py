"""Run the whole benchmark suite; print markdown tables, write them and the plots to --out.

    python benchmarks/run_all.py --quick   # CI: < 5 min on 2 cores
    python benchmarks/run_all.py --full    # 2,000 / 20,000 demands, synthetic network, PuLP

Quick: the scaling table's first points (50 and 200 demands on networks/global,
stage timings, PuLP + CBC side by side when pulp is installed) and the other
benchmark scripts with ``--quick`` when their ``--help`` offers it (skipped,
with a note, otherwise). Full: 200, 2,000 and 20,000 demands on networks/global,
200 and 2,000 on a synthetic ~5,000-lane network, PuLP up to 2,000 demands,
and the other scripts with their default options.

Exit status: 0 when every benchmark ran (missed targets are reported, not
failures), 1 when a benchmark crashed.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# other engineers' scripts, run with their defaults in --full; in --quick only if their
# --help offers --quick (detected at run time), else skipped with a note
OTHERS = (
    "bench_mcnd.py",
    "bench_quote.py",
    "bench_simulate.py",
    "bench_route.py",
    "bench_watch.py",
    "bench_sweep.py",
    "bench_history.py",
)


def _has_quick(py: str, path: Path) -> bool:
    proc = subprocess.run([py, str(path), "--help"], capture_output=True, text=True, cwd=ROOT)
    return proc.returncode == 0 and "--quick" in proc.stdout


def _machine() -> str:
    import importlib.metadata as md

    def version(pkg: str) -> str:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"- machine: {cpu}, {os.cpu_count()} logical CPUs, {platform.system()} "
        f"{platform.release()}\n- Python {platform.python_version()}, ortools "
        f"{version('ortools')}, numpy {version('numpy')}, pulp {version('pulp')}\n"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="CI mode (default)")
    mode.add_argument("--full", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--skip-others", action="store_true", help="only the scaling benchmark")
    args = ap.parse_args(argv)
    full = args.full
    out = args.out / ("full" if full else "quick")
    out.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    failures: list[str] = []
    sections = [
        f"# Benchmark suite ({'full' if full else 'quick'})\n",
        f"Command: `python benchmarks/run_all.py {'--full' if full else '--quick'}`\n",
        _machine(),
    ]
    started = time.perf_counter()

    scale_runs = (
        [
            (
                ["--sizes", "200", "2000", "20000", "--network", "global", "--pulp", "--arc"],
                "global",
            ),
            (["--sizes", "200", "2000", "--network", "synthetic", "--pulp", "--arc"], "synthetic"),
        ]
        if full
        else [
            (
                [
                    "--sizes",
                    "50",
                    "200",
                    "--network",
                    "global",
                    "--pulp",
                    "--arc",
                    "--time-limit",
                    "30",
                ],
                "global",
            )
        ]
    )
    for extra, tag in scale_runs:
        cmd = [py, str(HERE / "bench_scale.py"), *extra, "--out", str(out / f"scale_{tag}")]
        print(f"$ {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            failures.append(f"bench_scale {tag}")
            sections.append(f"## Scaling ({tag}): FAILED\n\n```\n{proc.stderr[-2000:]}\n```\n")
        else:
            sections.append(
                f"## Scaling on {tag} network\n\nPlot: `scale_{tag}/scale.png`\n\n" + proc.stdout
            )

    for script in [] if args.skip_others else OTHERS:
        path = HERE / script
        if not path.exists():
            sections.append(f"## {script}\n\nnot present: skipped.\n")
            continue
        if full:
            opts: list[str] = []
        elif _has_quick(py, path):
            opts = ["--quick"]
        else:
            sections.append(
                f"## {script}\n\nhas no --quick option: skipped in quick mode (runs in --full).\n"
            )
            continue
        cmd = [py, str(path), *opts]
        print(f"$ {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        took = time.perf_counter() - t0
        if proc.returncode not in (0, 4):  # 4 = a target/gate not met: reported, not an error
            failures.append(script)
            sections.append(
                f"## {script} ({took:.0f} s): FAILED (exit {proc.returncode})\n\n"
                f"```\n{proc.stderr[-2000:]}\n```\n"
            )
        else:
            sections.append(f"## {script} `{' '.join(opts)}` ({took:.0f} s)\n\n{proc.stdout}\n")

    sections.append(f"\nSuite wall time: {time.perf_counter() - started:.0f} s\n")
    text = "\n".join(sections)
    print(text)
    (out / "README.md").write_text(text, encoding="utf-8")
    if failures:
        print("failed: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
