"""What the teacher costs, what it would have cost to let it write everything, and the budget.

Why count from the server's ``usage`` fields and not from our own token estimates: the bill is
computed from ``usage``; our estimates (characters / 3) are only used *before* a call, to decide
whether it can still fit in ``--budget``. That estimate is deliberately pessimistic so the loop
stops before the budget is exceeded rather than after.

Prices are USD per million tokens (the unit providers publish). The built-in table is a starting
point, not a promise: prices change, so ``--price-table FILE`` and ``--teacher-price IN,OUT``
override it. A local model costs 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class PriceError(ValueError):
    """A price table or price option that cannot be read."""


@dataclass(frozen=True)
class Price:
    """USD per million input (prompt) and output (completion) tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens * self.input_per_mtok + completion_tokens * self.output_per_mtok
        ) / 1_000_000

    def to_dict(self) -> dict[str, float]:
        return {"input_per_mtok": self.input_per_mtok, "output_per_mtok": self.output_per_mtok}


# Published list prices (USD / 1M tokens) when this table was written; override when they change.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-3.5-turbo": Price(0.50, 1.50),
}


def parse_price(text: str) -> Price:
    """``"0.15,0.60"`` (input, output USD per million tokens) → :class:`Price`."""
    parts = [p.strip() for p in text.replace("/", ",").split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 2 or any(v < 0 or math.isnan(v) for v in values):
        raise PriceError(
            f"invalid price {text!r}: give input and output USD per million tokens, e.g. 0.15,0.60"
        )
    return Price(values[0], values[1])


@dataclass
class PriceTable:
    """Model name → price, with prefix matching for dated model names."""

    prices: dict[str, Price] = field(default_factory=lambda: dict(DEFAULT_PRICES))

    def lookup(self, model: str) -> Price | None:
        """Exact name, else the longest table entry that ``model`` starts with.

        "gpt-4o-mini-2024-07-18" is billed as "gpt-4o-mini"; longest-first so "gpt-4o-mini"
        wins over "gpt-4o".
        """
        if model in self.prices:
            return self.prices[model]
        for name in sorted(self.prices, key=len, reverse=True):
            if model.startswith(name):
                return self.prices[name]
        return None

    def with_price(self, model: str, price: Price) -> PriceTable:
        return PriceTable({**self.prices, model: price})

    @classmethod
    def from_file(cls, path: Path) -> PriceTable:
        """Defaults overridden by a JSON or TOML file: ``{model: {input: x, output: y}}``."""
        try:
            raw = path.read_bytes()
            if path.suffix == ".toml":
                import tomllib  # Python 3.11+; JSON tables work everywhere

                data: Any = tomllib.loads(raw.decode())
            else:
                data = json.loads(raw)
        except (OSError, ValueError, ImportError) as exc:
            raise PriceError(f"cannot read price table {path}: {exc}") from None
        if not isinstance(data, Mapping):
            raise PriceError(f"price table {path} must map model names to prices")
        table = cls()
        for model, entry in data.items():
            try:
                table.prices[str(model)] = Price(float(entry["input"]), float(entry["output"]))
            except (KeyError, TypeError, ValueError):
                raise PriceError(
                    f"price table {path}: {model!r} needs numeric 'input' and 'output' "
                    "(USD per million tokens)"
                ) from None
        return table


@dataclass
class Usage:
    """Token counts summed over calls, as reported by the server."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0

    def add(self, prompt_tokens: int, completion_tokens: int, calls: int = 1) -> None:
        self.prompt_tokens += int(prompt_tokens)
        self.completion_tokens += int(completion_tokens)
        self.calls += calls

    def merge(self, other: Usage) -> None:
        self.add(other.prompt_tokens, other.completion_tokens, other.calls)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "calls": self.calls,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        return cls(
            int(data.get("prompt_tokens", 0)),
            int(data.get("completion_tokens", 0)),
            int(data.get("calls", 0)),
        )


def estimate_tokens(text: str) -> int:
    """A pessimistic token count for text we cannot tokenize (the teacher's tokenizer is remote).

    English averages about four characters per token; three over-counts on purpose, because
    this number guards the budget.
    """
    return math.ceil(len(text) / 3) + 4


class BudgetExceededError(Exception):
    """The next teacher call could exceed ``--budget``; it was not made."""


@dataclass
class Budget:
    """Stops the loop *before* a call that could take spending over the limit."""

    limit_usd: float | None
    price: Price | None
    spent_usd: float = 0.0
    usage: Usage = field(default_factory=Usage)
    """Every billed call of the run, including answers that failed validation."""

    def worst_case(self, prompt_text: str, max_tokens: int) -> float:
        if self.price is None:
            return 0.0
        return self.price.cost(estimate_tokens(prompt_text), max_tokens)

    def check(self, prompt_text: str, max_tokens: int) -> None:
        """Raise :class:`BudgetExceededError` when the call might not fit in what is left."""
        if self.limit_usd is None:
            return
        needed = self.worst_case(prompt_text, max_tokens)
        if self.spent_usd + needed > self.limit_usd:
            raise BudgetExceededError(
                f"budget ${self.limit_usd:.4f}: spent ${self.spent_usd:.4f}, the next teacher call "
                f"could cost up to ${needed:.4f}; stopped before it"
            )

    def charge(self, prompt_tokens: int, completion_tokens: int) -> float:
        """Record one answered call; returns its cost (0 when the price is unknown)."""
        self.usage.add(prompt_tokens, completion_tokens)
        cost = self.price.cost(prompt_tokens, completion_tokens) if self.price else 0.0
        self.spent_usd += cost
        return cost
