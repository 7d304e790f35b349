"""The teacher's JSON schema must be usable by a grammar-constrained llama.cpp server.

Regression: with the default teacher token limit the schema asked for an improved version of up
to 1,520 characters; llama.cpp's grammar parser rejects that many repetitions by aborting the
whole process, so a llama_cpp.server teacher died on the first request.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inkmod.training.feedback import feedback_schema, improved_chars_for

PROBE = """
import json, sys
from llama_cpp import Llama, LlamaGrammar
from inkmod.backends.models import smollm2_path
llm = Llama(model_path=str(smollm2_path()), n_ctx=256, verbose=False)
grammar = LlamaGrammar.from_json_schema(sys.stdin.read(), verbose=False)
llm.create_completion("{", max_tokens=1, grammar=grammar)
print("grammar ok")
"""


@pytest.mark.slow
@pytest.mark.parametrize(("n_drafts", "max_tokens"), [(1, 4096), (3, 1024), (8, 1024)])
def test_schema_compiles_to_a_llama_cpp_grammar(n_drafts: int, max_tokens: int) -> None:
    schema = feedback_schema(n_drafts, improved_chars_for(n_drafts, max_tokens))
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        input=json.dumps(schema),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0 and "grammar ok" in probe.stdout, probe.stderr[-2000:]
