"""Prices, usage and the budget guard."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inkmod.training.costs import (
    Budget,
    BudgetExceededError,
    Price,
    PriceError,
    PriceTable,
    estimate_tokens,
    parse_price,
)


def test_price_lookup_prefers_the_longest_matching_name() -> None:
    table = PriceTable()
    assert table.lookup("gpt-4o-mini-2024-07-18") == Price(0.15, 0.60)
    assert table.lookup("gpt-4o-2024-08-06") == Price(2.50, 10.00)
    assert table.lookup("my-local-model") is None


def test_price_table_file_overrides_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps({"gpt-4o-mini": {"input": 1, "output": 2}, "x": {"input": 0, "output": 0}})
    )
    table = PriceTable.from_file(path)
    assert table.lookup("gpt-4o-mini") == Price(1, 2)
    assert table.lookup("x") == Price(0, 0)
    path.write_text(json.dumps({"x": {"input": "cheap"}}))
    with pytest.raises(PriceError, match="numeric"):
        PriceTable.from_file(path)


@pytest.mark.parametrize("bad", ["1", "a,b", "-1,2", "1,2,3"])
def test_bad_price_options_are_refused(bad: str) -> None:
    with pytest.raises(PriceError):
        parse_price(bad)


def test_cost_is_usage_times_price_per_million() -> None:
    assert parse_price("0.15,0.60").cost(1_000_000, 500_000) == pytest.approx(0.45)


def test_budget_refuses_a_call_that_might_not_fit() -> None:
    budget = Budget(limit_usd=0.02, price=Price(1000, 1000))  # $0.001 per token
    prompt = "x" * 21
    assert estimate_tokens(prompt) == 11  # pessimistic: 3 characters per token, plus 4
    budget.check(prompt, max_tokens=5)  # at most 16 tokens = $0.016: fits
    budget.charge(10, 0)
    assert budget.spent_usd == pytest.approx(0.01)
    with pytest.raises(BudgetExceededError, match="stopped before"):
        budget.check(prompt, max_tokens=5)  # $0.01 + $0.016 > $0.02
    assert budget.usage.calls == 1


def test_no_limit_means_no_refusal() -> None:
    Budget(limit_usd=None, price=Price(1e9, 1e9)).check("x" * 10_000, 10_000)
