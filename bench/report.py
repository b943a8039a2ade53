"""Turn a suite result into a PNG plot and a markdown summary (files next to the JSON).

The plot shows latency (p50 dashed, p99 solid, log scale) against offered rate, one colour per
scenario. matplotlib is the ``bench`` extra: ``pip install -e '.[bench]'``. Reads, never measures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(result: dict[str, Any], out: Path) -> Path | None:
    """Write the latency-vs-rate PNG; ``None`` when matplotlib is not installed."""
    try:
        import matplotlib as mpl  # noqa: PLC0415 (optional: the `bench` extra)

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return None
    figure, axes = plt.subplots(figsize=(9, 5.5))
    for name, scenario in result["scenarios"].items():
        points = scenario.get("points") or []
        if not points:
            continue
        rates = [p["offered_rps"] for p in points]
        (line,) = axes.plot(rates, [p["p99_ms"] for p in points], marker="o", label=f"{name} p99")
        axes.plot(
            rates,
            [p["p50_ms"] for p in points],
            marker=".",
            linestyle="--",
            color=line.get_color(),
            label=f"{name} p50",
        )
    axes.set_xlabel("offered rate (req/s, open model)")
    axes.set_ylabel("latency from scheduled send (ms)")
    axes.set_yscale("log")
    load = result["machine"].get("loadAverage")
    axes.set_title(f"Parcours gateway on one core (shared machine, load avg {load})")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


def _row(name: str, point: dict[str, Any]) -> str:
    return (
        f"| {name} | {point['offered_rps']} | {point['achieved_rps']} | {point['p50_ms']} | "
        f"{point['p90_ms']} | {point['p99_ms']} | {point['max_ms']} | {point['errors']} |"
    )


def markdown(result: dict[str, Any]) -> str:
    """A short summary: machine, saturation per scenario, then every point."""
    machine = result["machine"]
    lines = [
        f"# Bench {result['startedAt']} ({result['mode']} mode)",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
        f"Neo4j {machine['neo4jServer']}, Redis {machine['redisServer']}, "
        f"commit {machine['gitCommit']}. Load average at start {machine['loadAverage']} "
        "(1/5/15 min); each scenario's own is in its row.",
        "",
        "| scenario | saturation (req/s) | Cypher round trips/query | load avg |",
        "|---|---|---|---|",
    ]
    for name, scenario in result["scenarios"].items():
        if "saturationRps" in scenario:
            lines.append(
                f"| {name} | {scenario['saturationRps']} | "
                f"{scenario.get('cypherRoundTripsPerQuery', '')} | {scenario.get('loadAverage')} |"
            )
    lines += [
        "",
        "| scenario | offered | achieved | p50 ms | p90 ms | p99 ms | max ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, scenario in result["scenarios"].items():
        lines += [_row(name, point) for point in scenario.get("points") or []]
    for name, scenario in result["scenarios"].items():
        if "summary" in scenario:
            lines += ["", f"**{name}**: {scenario['summary']}"]
    check = result.get("generatorCheck")
    if check:
        lines += ["", f"**generator self-check**: {check['summary']}"]
    return "\n".join(lines) + "\n"
