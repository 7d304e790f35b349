"""The run's reports: ``report.json`` (everything), ``report.md`` (for people) and ``scores.png``.

Why write them after every iteration and not only at the end: a run that stops (budget, teacher
outage, Ctrl-C) still leaves a correct report of what it did. The files hold the writer's drafts
and the teacher's settings but never the API key (masked again on write, in case a server
echoed it into an error message that ended up in the report).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from inkmod.atomic import atomic_write_bytes, atomic_write_text
from inkmod.training.secrets import scrub_known

SERIES = (
    ("ours", "style_similarity", "style similarity (ours)"),
    ("ours", "tone_consistency", "tone consistency (ours)"),
    ("ours", "structure_quality", "structure quality (ours)"),
    ("teacher", "style_similarity", "style similarity (teacher)"),
    ("fidelity", "joint", "joint (away·towards·sim)"),
)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _usd(value: Any) -> str:
    return "—" if value is None else f"${value:.4f}"


def write_json(report: dict[str, Any], path: Path) -> None:
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    atomic_write_text(path, scrub_known(text), mode=0o644)


def plot_points(report: dict[str, Any]) -> tuple[list[int], dict[str, list[float | None]]]:
    """The plot's x values and its series (label → one value per x, None where missing).

    The baseline -- the model's own voice, before any style prompt -- is the point at x = 0:
    what the iterations are to be compared with.
    """
    baseline = report.get("baseline") or {}
    points = [{"iteration": 0, **baseline}] if baseline.get("ours") else []
    points += list(report.get("iterations") or [])
    xs = [int(it["iteration"]) for it in points]
    series: dict[str, list[float | None]] = {}
    for group, key, label in SERIES:
        ys = [(it.get(group) or {}).get(key) for it in points]
        if any(y is not None for y in ys):
            series[label] = ys
    return xs, series


def plot_scores(report: dict[str, Any], path: Path) -> bool:
    """Scores by iteration as a PNG; False (and no file) when there is nothing to plot."""
    iterations = report.get("iterations") or []
    if not iterations:
        return False
    import matplotlib

    matplotlib.use("Agg")  # no display; safe in the daemon's worker threads
    import io

    import matplotlib.pyplot as plt

    xs, series = plot_points(report)
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    try:
        for label, ys in series.items():
            ax.plot(xs, [float("nan") if y is None else y for y in ys], marker="o", label=label)
        ax.set_xlabel("iteration")
        ax.set_ylabel("score (0–1)")
        ax.set_ylim(0, 1)
        ax.set_xticks(xs, [("baseline" if x == 0 else str(x)) for x in xs])
        ax.set_title(f"InkMod training: {report.get('profile', '')} ({report.get('critic', '')})")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue(), mode=0o644)
    return True


def markdown(report: dict[str, Any], plot_name: str | None) -> str:
    run = report["run"]
    lines = [
        f"# InkMod training report: {report['profile']}",
        "",
        f"Status: **{report['status']}**"
        + (f" ({report['message']})" if report["message"] else ""),
        "",
        f"- samples: `{run['style_folder']}`; {len(run['prompts'])} test prompts; "
        f"student `{run['backend']}` (max {run['max_tokens']} tokens, best-of-k ≤ {run['max_k']})",
        f"- critic: {report['critic']}",
    ]
    teacher = run.get("teacher")
    if teacher:
        lines.append(
            f"- teacher: `{teacher.get('model')}` at {teacher['base_url']} — sent: "
            f"{report.get('privacy', '')}"
        )
    price = run.get("price")
    if price:
        lines.append(
            f"- price: ${price['input_per_mtok']}/M input, ${price['output_per_mtok']}/M output "
            f"({run.get('price_source', '')}); local model $0"
        )
    if run.get("budget_usd") is not None:
        lines.append(f"- budget: ${run['budget_usd']:.4f}")
    stats = report.get("phase1") or {}
    if stats:
        lines += [
            "",
            "## Phase 1: the writer's patterns",
            "",
            "| figure | value |",
            "|---|---|",
            f"| vocabulary size | {stats.get('vocabulary_size')} |",
            f"| common phrases | {', '.join(stats.get('common_phrases', [])[:6])} |",
            "| tone markers /1k words | "
            + ", ".join(f"{k} {v}" for k, v in (stats.get("tone_markers") or {}).items())
            + " |",
            f"| pattern count | {stats.get('pattern_count')} |",
            f"| tone diversity | {stats.get('tone_diversity')} |",
            f"| style score | {stats.get('style_score')} |",
        ]
    lines += [
        "",
        "## Phase 3: scores by iteration",
        "",
        "Our scores are on the drift scale (0.5 = as typical as the writer's median paragraph). "
        "away: drift from the model's unstyled voice; towards: 1 − drift from the writer; "
        "sim: similarity of each draft with its prompt; joint = √(√(away·towards)·sim).",
        "",
        "| iteration | style | tone | structure | teacher style | teacher tone | "
        "teacher structure | away | towards | sim | joint | teacher $ | teacher-only $ |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    baseline = report.get("baseline") or {}
    if baseline:
        ours, fid = baseline.get("ours", {}), baseline.get("fidelity", {})
        lines.append(
            f"| baseline (no style prompt) | {_fmt(ours.get('style_similarity'))} | "
            f"{_fmt(ours.get('tone_consistency'))} | {_fmt(ours.get('structure_quality'))} | "
            f"— | — | — | — | {_fmt(fid.get('towards'))} | {_fmt(fid.get('sim'))} | — | — | — |"
        )
    for it in report.get("iterations", []):
        ours, tch, fid, cost = it["ours"], it["teacher"], it["fidelity"], it["cost"]
        lines.append(
            f"| {it['iteration']} | {_fmt(ours['style_similarity'])} | "
            f"{_fmt(ours['tone_consistency'])} | {_fmt(ours['structure_quality'])} | "
            f"{_fmt(tch['style_similarity'])} | {_fmt(tch['tone'])} | {_fmt(tch['structure'])} | "
            f"{_fmt(fid.get('away'))} | {_fmt(fid.get('towards'))} | {_fmt(fid.get('sim'))} | "
            f"{_fmt(fid.get('joint'), 3)} | {_usd(cost['teacher_usd'])} | "
            f"{_usd(cost['teacher_only_usd'])} |"
        )
    if plot_name:
        lines += ["", f"![scores by iteration]({plot_name})"]
    totals = report.get("totals") or {}
    usage = totals.get("teacher_usage") or {}
    lines += [
        "",
        "## Cost",
        "",
        f"- teacher: {usage.get('calls', 0)} calls, {usage.get('prompt_tokens', 0)} input + "
        f"{usage.get('completion_tokens', 0)} output tokens (from the server's `usage` fields"
        + (", some estimated" if totals.get("usage_estimated") else "")
        + f") = {_usd(totals.get('teacher_usd'))}",
        f"- local model: {totals.get('local_tokens', 0)} tokens, $0",
        f"- had the teacher written every draft instead: {_usd(totals.get('teacher_only_usd'))} "
        "(local token counts × teacher price, an estimate)",
    ]
    if totals.get("savings_ratio") is not None:
        lines.append(f"- the loop's teacher cost as a share of that: {totals['savings_ratio']:.0%}")
    lines += ["", "## What was learned", ""]
    for it in report.get("iterations", []):
        up = it.get("update") or {}
        fb = it.get("feedback") or {}
        parts = [f"**iteration {it['iteration']}**:"]
        if fb.get("skipped"):
            parts.append(f"{fb['skipped']} teacher batch(es) skipped ({'; '.join(fb['errors'])});")
        for key, label in (
            ("prefer_added", "prefer"),
            ("avoid_added", "avoid"),
            ("never_say_added", "never say"),
            ("openers_added", "openers"),
        ):
            if up.get(key):
                parts.append(f"{label}: {', '.join(repr(x) for x in up[key])};")
        if up.get("sentence_length"):
            parts.append(f"sentence length {up['sentence_length']};")
        parts.append(f"{up.get('exemplars_added', 0)} exemplar(s) added;")
        parts.append(f"generation: {up.get('generation_reason', '')}.")
        if up.get("rejected"):
            parts.append(f"Rejected: {'; '.join(up['rejected'][:6])}.")
        lines.append("- " + " ".join(parts))
    return "\n".join(lines) + "\n"


def write_reports(report: dict[str, Any], folder: Path) -> dict[str, str]:
    """Write the three files; returns their paths by kind."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"json": folder / "report.json", "markdown": folder / "report.md"}
    plot = folder / "scores.png"
    has_plot = plot_scores(report, plot)
    if has_plot:
        files["plot"] = plot
    paths = {k: str(v) for k, v in files.items()}
    report["files"] = paths
    write_json(report, files["json"])
    text = markdown(report, plot.name if has_plot else None)
    atomic_write_text(files["markdown"], scrub_known(text), mode=0o644)
    return paths
