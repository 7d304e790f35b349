"""THE prompt format of the personal model, shared by training and rewriting.

Why one module: a LoRA learns one exact token pattern. If the rewrite prompt differs from the
training prompt by a single newline, the adapter is applied to inputs it never saw, and a 135M
model falls back to its chat habits ("Here is the rewritten passage..."). So both sides build
their text here, and :data:`PROMPT_FORMAT_VERSION` is recorded in every adapter's manifest: an
adapter trained on another version is stale and never used.

Why plain-text markers rather than the chat template's special tokens: llama.cpp tokenises a raw
prompt string with ``special=False``, so "<|im_start|>" in the text would become ordinary
characters at rewrite time but one special token in training. Plain words tokenise identically on
both sides. The model learns to stop because every training completion ends with the tokenizer's
end-of-text token (appended as a token id, never as text), which llama.cpp stops on by itself;
:data:`STOP` strings are a second line of defence.

The format is short on purpose (SmolLM2-135M, 2048-token context): two markers, no instructions
to read. The neutral input carries all the content; the model adds only the voice.
"""

from __future__ import annotations

PROMPT_FORMAT_VERSION = 1

INPUT_MARKER = "Plain:"
OUTPUT_MARKER = "In my words:"
# Generation stops at the end-of-text token; these catch a model that starts a new example.
STOP: tuple[str, ...] = (f"\n{INPUT_MARKER}", f"\n{OUTPUT_MARKER}", "<|im_end|>", "<|endoftext|>")


def _clean(text: str) -> str:
    """Trim and collapse spaces inside lines; paragraph breaks ("\\n\\n") are kept."""
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def rewrite_prompt(neutral: str) -> str:
    """The prompt the model completes with the writer's version of ``neutral``."""
    return f"{INPUT_MARKER}\n{_clean(neutral)}\n\n{OUTPUT_MARKER}\n"


def training_example(neutral: str, target: str) -> tuple[str, str]:
    """``(prompt, completion)``: loss is taken on the completion only, followed by EOS.

    The end-of-text token is appended by the trainer as a token id (see the module docstring),
    so the completion here is the writer's text alone.
    """
    return rewrite_prompt(neutral), _clean(target)


def clean_completion(text: str) -> str:
    """A generated completion cut at the first stop sequence and trimmed."""
    cut = len(text)
    for stop in STOP:
        at = text.find(stop)
        if at != -1:
            cut = min(cut, at)
    return _clean(text[:cut])
