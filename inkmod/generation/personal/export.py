"""The trained peft adapter as a llama.cpp GGUF LoRA, written with the ``gguf`` package.

Why export instead of serving from torch: rewrites run in llama.cpp (fast, quantised, the model
already loaded in the daemon). llama.cpp applies a LoRA at run time as ``W x + s * B (A x)``
with ``s = alpha / rank``, exactly peft's scaling, so the A and B matrices can be written as they
are, under llama.cpp's tensor names (``blk.N.attn_q.weight.lora_a`` / ``.lora_b``), in a GGUF
whose ``general.type`` is ``adapter`` and which records ``adapter.type = lora`` and
``adapter.lora.alpha`` (facts from llama.cpp's ``convert_lora_to_gguf.py``).

The one trap: llama.cpp's converter *permutes the rows* of a llama model's q_proj and k_proj
weights (HF's rotate-half RoPE layout -> llama.cpp's interleaved layout), and transformers undoes
that permutation when it loads a GGUF. Our LoRA was trained against the HF layout, so the rows
of B (the output side) of q_proj and k_proj must get the same permutation, or the adapter adds
its corrections to the wrong rotary dimensions. ``tests/integration/test_personal_model.py``
checks this by comparing logits of transformers+peft with llama.cpp+GGUF adapter.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# HF module name -> llama.cpp tensor name inside block N (llama architecture).
_LLAMA_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
_KEY = re.compile(r"(?:base_model\.model\.)?model\.layers\.(\d+)\.(.+)\.lora_([AB])\.weight$")


def permute_rows(weight: Any, n_head: int, n_kv_head: int | None = None) -> Any:
    """llama.cpp's HF->GGUF row permutation of q/k projections, applied to a (rows, cols) matrix.

    Each head's rows are split into two halves (HF's rotate-half pairing); the permutation
    interleaves them, which is the pairing llama.cpp's RoPE kernel expects.
    """
    heads = n_kv_head if n_kv_head is not None and n_kv_head != n_head else n_head
    rows = weight.shape[0]
    return (
        weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def gguf_tensors(
    lora_state: Mapping[str, Any], *, n_head: int, n_kv_head: int, permute_qk: bool = True
) -> dict[str, Any]:
    """peft state dict -> ``{llama.cpp tensor name: float32 numpy array}``.

    ``permute_qk=False`` writes a deliberately wrong adapter; the tests use it to show that the
    logit comparison detects the missing permutation.
    """
    import torch

    out: dict[str, Any] = {}
    for key, tensor in lora_state.items():
        m = _KEY.search(key)
        if m is None:
            raise ValueError(f"unexpected tensor in the adapter: {key}")
        block, module, which = int(m.group(1)), m.group(2), m.group(3)
        if module not in _LLAMA_NAMES:
            raise ValueError(f"no llama.cpp name for the adapter's module {module}")
        t = tensor.detach().to(torch.float32).cpu()
        if permute_qk and which == "B" and module == "self_attn.q_proj":
            t = permute_rows(t, n_head, n_head)
        elif permute_qk and which == "B" and module == "self_attn.k_proj":
            t = permute_rows(t, n_head, n_kv_head)
        name = f"blk.{block}.{_LLAMA_NAMES[module]}.weight.lora_{which.lower()}"
        # A is (rank, in) and B is (out, rank) in torch; GGUF stores numpy shapes reversed,
        # giving llama.cpp's expected ne = [in, rank] and [rank, out].
        out[name] = t.contiguous().numpy()
    return out


def export_gguf(
    lora_state: Mapping[str, Any],
    path: Path,
    *,
    alpha: float,
    n_head: int,
    n_kv_head: int,
    arch: str = "llama",
    name: str = "inkmod personal adapter",
    permute_qk: bool = True,
) -> int:
    """Write the adapter to ``path`` atomically; returns the number of tensors written."""
    import gguf

    tensors = gguf_tensors(lora_state, n_head=n_head, n_kv_head=n_kv_head, permute_qk=permute_qk)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    writer = gguf.GGUFWriter(str(tmp), arch=arch)
    try:
        writer.add_type(gguf.GGUFType.ADAPTER)
        writer.add_name(name)
        writer.add_string(gguf.Keys.Adapter.TYPE, "lora")
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, float(alpha))
        for tensor_name in sorted(tensors, key=_natural):
            writer.add_tensor(tensor_name, tensors[tensor_name])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
    except BaseException:
        writer.close()
        tmp.unlink(missing_ok=True)
        raise
    writer.close()
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return len(tensors)


def _natural(name: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))
