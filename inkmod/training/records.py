"""The data the reports are made of: one record per iteration, and the run's report dict.

Plain functions of plain data (no loop state), so the records are the same whether an iteration
ran in one go or was resumed from a checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from inkmod import __version__
from inkmod.generation.generate import LocalOutput
from inkmod.style.profile import StyleProfile
from inkmod.training.checkpoint import Checkpoint
from inkmod.training.config import TrainingConfig
from inkmod.training.costs import Price, Usage
from inkmod.training.feedback import Feedback
from inkmod.training.judge import Judgement
from inkmod.training.performance import fidelity_scores, own_scores, teacher_scores


def iteration_record(
    iteration: int,
    profile: StyleProfile,
    outputs: Sequence[LocalOutput],
    judgements: Sequence[Judgement],
    feedback: Feedback | None,
    batches: Sequence[dict[str, Any]],
    source: StyleProfile | None,
    *,
    critic: str,
    price: Price | None,
    reference_price: Price | None,
) -> dict[str, Any]:
    """Phase 3 for one iteration: our scores, the teacher's, fidelity, cost, and the drafts.

    ``price`` is the teacher's (None when unknown: no teacher dollars); ``reference_price`` prices
    the teacher-only estimate (the teacher's, or gpt-4o-mini's list price without a teacher).
    """
    prompts = [o.prompt for o in outputs]
    texts = [o.text for o in outputs]
    usage = Usage()
    for batch in batches:
        usage.merge(Usage.from_dict(batch["usage"]))
    ref = reference_price
    teacher_only = (
        sum(ref.cost(o.prompt_tokens, o.completion_tokens) for o in outputs) if ref else None
    )
    return {
        "iteration": iteration,
        "ours": own_scores(judgements),
        "teacher": teacher_scores(feedback),
        "fidelity": fidelity_scores(profile, prompts, texts, source),
        "cost": {
            "teacher_usd": round(sum(b["cost_usd"] for b in batches), 6) if price else None,
            "teacher_usage": usage.to_dict(),
            "usage_estimated": any(b["usage_estimated"] for b in batches),
            "teacher_only_usd": None if teacher_only is None else round(teacher_only, 6),
            "local_usd": 0.0,
            "local_tokens": sum(o.total_tokens for o in outputs),
            "local_seconds": round(sum(o.seconds for o in outputs), 2),
        },
        "feedback": {
            "critic": critic,
            "batches": len(batches),
            "skipped": sum(1 for b in batches if not b["feedback"]),
            "errors": [e for b in batches for e in b["errors"]],
            "json_mode": next((b["json_mode"] for b in batches if b["json_mode"]), None),
            "rules": None if feedback is None else _rules_of(feedback),
        },
        "outputs": [
            {
                "prompt": o.prompt,
                "text": o.text,
                "drift": o.drift,
                "teacher": (
                    asdict(feedback.scores[i])
                    if feedback is not None and i in feedback.scores
                    else None
                ),
                "prompt_tokens": o.prompt_tokens,
                "completion_tokens": o.completion_tokens,
                "candidates": o.candidates,
            }
            for i, o in enumerate(outputs)
        ],
    }


def run_report(
    cfg: TrainingConfig,
    ckpt: Checkpoint,
    *,
    privacy: str,
    price: Price | None,
    price_source: str,
    reference_price: Price | None,
) -> dict[str, Any]:
    """Everything about the run so far, as written to report.json (and rendered to report.md)."""
    records = ckpt.iterations
    teacher_only = [r["cost"]["teacher_only_usd"] for r in records]
    only_total = None if any(t is None for t in teacher_only) else sum(teacher_only)
    spent = ckpt.spent_usd if price is not None else None
    return {
        "inkmod_version": __version__,
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "profile": cfg.profile,
        "status": ckpt.status,
        "message": ckpt.message,
        "critic": "teacher" if cfg.teacher else "drift score (no teacher)",
        "privacy": privacy,
        "run": {
            "style_folder": str(cfg.style_folder),
            "prompts_file": cfg.prompts_source,
            "prompts": cfg.prompts,
            "backend": cfg.backend,
            "iterations_requested": cfg.iterations,
            "max_tokens": cfg.max_tokens,
            "max_k": cfg.max_k,
            "teacher": ckpt.teacher,
            "budget_usd": cfg.budget_usd,
            "price": price.to_dict() if price else None,
            "price_source": price_source,
            "reference_price": reference_price.to_dict() if reference_price else None,
        },
        "phase1": ckpt.stats,
        "baseline": {k: v for k, v in (ckpt.baseline or {}).items() if k != "texts"},
        "iterations": records,
        "totals": {
            "iterations_done": len(records),
            "teacher_usd": None if spent is None else round(spent, 6),
            "teacher_usage": ckpt.usage or Usage().to_dict(),
            "usage_estimated": any(r["cost"]["usage_estimated"] for r in records),
            "teacher_only_usd": None if only_total is None else round(only_total, 6),
            "savings_ratio": (
                round(spent / only_total, 4) if spent is not None and only_total else None
            ),
            "local_usd": 0.0,
            "local_tokens": sum(r["cost"]["local_tokens"] for r in records),
        },
        "learned": ckpt.learned,
    }


def _rules_of(feedback: Feedback) -> dict[str, Any]:
    return {
        "prefer": feedback.prefer,
        "avoid": feedback.avoid,
        "sentence_length_target": feedback.sentence_length_target,
        "openers": feedback.openers,
        "notes": feedback.notes,
        "improvements": len(feedback.improvements),
    }
