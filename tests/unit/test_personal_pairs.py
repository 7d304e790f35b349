"""Pure logic of the personal model: neutraliser, pairs, prompt format, adapter staleness."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from testpaths import CORPORA, EXAMPLES

from inkmod.generation.personal import adapter as adapters
from inkmod.generation.personal.format import (
    PROMPT_FORMAT_VERSION,
    STOP,
    clean_completion,
    rewrite_prompt,
    training_example,
)
from inkmod.generation.personal.neutralise import (
    Neutraliser,
    expand_contractions,
    get_neutraliser,
    neutraliser_names,
)
from inkmod.generation.personal.pairs import (
    MAX_PASSAGE_WORDS,
    MIN_TRAINING_WORDS,
    TooFewWordsError,
    build_pairs,
    passages,
    read_documents,
    split_by_document,
)
from inkmod.style.lexicons import FUNCTION_WORDS
from inkmod.style.tokens import words_of

MAYA = EXAMPLES / "samples" / "maya"
_FUNCTION = frozenset(FUNCTION_WORDS)  # "And" after a quote is not a name
NEGATIONS = {"not", "no", "never", "nor", "none", "nobody", "nothing", "nowhere", "neither"}


def _maya_paragraphs() -> list[str]:
    docs, _ = read_documents(MAYA)
    return [p for d in docs for p in d.paragraphs]


def _corpus_paragraphs(limit: int = 60) -> list[str]:
    out: list[str] = []
    for path in sorted((CORPORA / "blogs" / "texts").glob("*/*.txt"))[:10]:
        out.extend(p for p in path.read_text("utf-8").split("\n\n") if len(p.split()) > 20)
    return out[:limit]


def _negations(text: str) -> int:
    words = [w.lower() for w in words_of(text)]
    return sum(
        1 for w in words if w.split("'")[0] in NEGATIONS or w.endswith("n't") or w == "cannot"
    )


def _names_and_numbers(text: str) -> list[str]:
    """Capitalised words that do not start a sentence, and numbers, in order."""
    out: list[str] = []
    for sentence in re.split(r"(?<=[.?!:;])\s+|\n\n", text):
        tokens = words_of(sentence)
        for i, w in enumerate(tokens):
            capital = i > 0 and w[0].isupper() and w.lower() not in _FUNCTION
            if w[0].isdigit() or (capital and w not in {"I", "I'm", "I'd"}):
                out.append(w.split("'")[0])
    return out


def _is_subsequence(needle: list[str], hay: list[str]) -> bool:
    it = iter(hay)
    return all(any(n == h for h in it) for n in needle)


# --- neutraliser ------------------------------------------------------------------------------


def test_registry_default_and_protocol():
    n = get_neutraliser()
    assert isinstance(n, Neutraliser) and n.name == "generic"
    assert get_neutraliser("deterministic").name == "deterministic"
    assert "deterministic" in neutraliser_names()
    with pytest.raises(KeyError, match="unknown neutraliser"):
        get_neutraliser("no-such-thing")


def test_contractions_expanded():
    assert expand_contractions("I'm sure it'd been there; we won't go, can't stay") == (
        "I am sure it had been there; we will not go, cannot stay"
    )
    assert expand_contractions("It's got a crack. It's red. Dale's paper.") == (
        "It has got a crack. It is red. Dale's paper."
    )


@pytest.mark.parametrize("name", ["deterministic", "generic"])
@pytest.mark.parametrize("source", ["maya", "corpus"])
def test_neutraliser_keeps_names_numbers_negations_in_order(source: str, name: str):
    paragraphs = _maya_paragraphs() if source == "maya" else _corpus_paragraphs()
    assert len(paragraphs) > 20
    n = get_neutraliser(name)
    for text in paragraphs:
        out = n(text)
        assert _negations(out) == _negations(text), (text, out)
        wanted = _names_and_numbers(text)
        got = [w.split("'")[0] for w in words_of(out)]
        assert _is_subsequence(wanted, got), (wanted, text, out)
        assert not re.search(r"\b\w+(n't|'re|'ve|'ll|'m)\b", out), out
        assert not re.search(r"[—–;!…]", out), out
        assert n(text) == out  # deterministic


def test_neutraliser_removes_voice_but_not_content():
    n = get_neutraliser("deterministic")
    text = "Okay. Honestly, it's the best thing I've eaten — and I don't say that lightly!"
    assert n(text) == "It is the best thing I have eaten. I do not say that lightly."
    assert n("First part.\n\nSecond part!") == "First part.\n\nSecond part."


# --- pairs ------------------------------------------------------------------------------------


def test_passages_respect_sentence_boundaries_and_sizes():
    docs, skipped = read_documents(MAYA)
    assert len(docs) == 6 and not skipped
    for doc in docs:
        for passage in passages(doc.paragraphs):
            words = len(words_of(passage))
            assert 20 <= words <= MAX_PASSAGE_WORDS + 30, passage
            assert passage.rstrip()[-1] in ".?!:\"')", passage
    long = " ".join(f"Sentence number {i} has exactly seven words." for i in range(60))
    pieces = passages([long])
    assert len(pieces) == 3 and all(len(words_of(p)) <= MAX_PASSAGE_WORDS for p in pieces)
    assert " ".join(pieces) == long


def test_split_is_by_document_never_by_passage():
    docs, _ = read_documents(MAYA)
    pairs = build_pairs(docs)
    train, validation = split_by_document(pairs)
    assert train and validation
    assert not {p.document for p in train} & {p.document for p in validation}
    assert len(train) + len(validation) == len(pairs)
    assert split_by_document(pairs) == (train, validation)  # stable
    only_one = [p for p in pairs if p.document == pairs[0].document]
    assert split_by_document(only_one) == (only_one, [])


def test_too_small_folder_says_how_many_words_are_needed(tmp_path: Path):
    from inkmod.generation.personal.pipeline import tune

    (tmp_path / "a.md").write_text(
        "A short note about my garden. It is not much, but it is mine.\n", "utf-8"
    )
    with pytest.raises(TooFewWordsError, match=f"at least {MIN_TRAINING_WORDS:,} words") as err:
        tune("tiny", tmp_path)
    assert err.value.words < 20 and err.value.needed == MIN_TRAINING_WORDS


# --- format -----------------------------------------------------------------------------------


def test_training_prompt_is_the_rewrite_prompt():
    prompt, completion = training_example("Plain  text here.\n\nMore.", "  My text.  ")
    assert prompt == rewrite_prompt("Plain text here.\n\nMore.")
    assert completion == "My text."
    assert prompt.endswith("\n") and isinstance(PROMPT_FORMAT_VERSION, int)
    assert clean_completion("My text.\nPlain:\nsomething else") == "My text."
    assert all(stop not in "My text.\n\nSecond paragraph." for stop in STOP)


# --- adapter state ----------------------------------------------------------------------------


def _fake_adapter(name: str, base_model: Path, documents: dict[str, tuple[str, int]]) -> Path:
    folder = adapters.adapter_dir(name)
    folder.mkdir(parents=True)
    (folder / adapters.ADAPTER_FILE).write_bytes(b"GGUF")
    manifest = adapters.Manifest(
        profile=name,
        revision=adapters.revision_of(documents),
        documents=documents,
        base_model=str(base_model),
        base_sha256=adapters.file_sha256(base_model),
        prompt_format=PROMPT_FORMAT_VERSION,
        neutraliser="deterministic",
        steps=10,
        epochs=2.0,
        validation_loss=1.5,
        base_validation_loss=2.0,
        train_pairs=40,
        validation_pairs=8,
    )
    adapters.write_manifest(folder, manifest)
    return folder


@pytest.fixture()
def base_file(tmp_path: Path) -> Path:
    path = tmp_path / "base.gguf"
    path.write_bytes(b"base model weights")
    return path


DOCS = {f"post-{i}.md": (f"{i:064x}", 1000) for i in range(10)}


def test_state_absent_ready_and_small_changes(base_file: Path):
    assert adapters.adapter_state("me", documents=DOCS, base_model=base_file).kind == "absent"
    _fake_adapter("me", base_file, DOCS)
    state = adapters.adapter_state("me", documents=DOCS, base_model=base_file)
    assert state.kind == "ready" and state.usable
    assert state.describe() == f"ready, trained on revision {adapters.revision_of(DOCS)}"
    edited = dict(DOCS, **{"post-1.md": ("f" * 64, 1100)})
    state = adapters.adapter_state("me", documents=edited, base_model=base_file)
    assert state.kind == "ready" and state.usable and state.change is not None
    assert "1 changed (11% of the words)" in state.describe()
    assert not adapters.changed_enough(DOCS, edited)


def test_state_stale_when_samples_changed_enough(base_file: Path):
    _fake_adapter("me", base_file, DOCS)
    changed = {k: v for k, v in DOCS.items() if k not in ("post-0.md", "post-1.md")}
    changed["new.md"] = ("e" * 64, 500)
    assert adapters.changed_enough(DOCS, changed)
    state = adapters.adapter_state("me", documents=changed, base_model=base_file)
    assert state.kind == "stale" and not state.usable
    assert state.reason == ("samples changed since training: 1 added, 2 removed (25% of the words)")
    assert adapters.usable_adapter("me", documents=changed, base_model=base_file) is None


def test_state_stale_for_another_base_model_or_format(base_file: Path, tmp_path: Path):
    folder = _fake_adapter("me", base_file, DOCS)
    other = tmp_path / "other.gguf"
    other.write_bytes(b"different weights")
    state = adapters.adapter_state("me", documents=DOCS, base_model=other)
    assert state.kind == "stale" and "base model file differs" in (state.reason or "")
    data = json.loads((folder / adapters.MANIFEST_FILE).read_text())
    data["prompt_format"] = PROMPT_FORMAT_VERSION + 1
    (folder / adapters.MANIFEST_FILE).write_text(json.dumps(data))
    state = adapters.adapter_state("me", documents=DOCS, base_model=base_file)
    assert state.kind == "stale" and "prompt format" in (state.reason or "")
    assert not state.usable


def test_state_training_reports_percent_and_ignores_dead_trainers(base_file: Path):
    folder = adapters.adapter_dir("me")
    folder.mkdir(parents=True)
    adapters.write_status(folder, step=4, total=10, loss=1.0)
    state = adapters.adapter_state("me", documents=DOCS, base_model=base_file)
    assert state.kind == "training" and state.percent == 40.0 and not state.usable
    assert state.describe() == "training 40 %"
    status = json.loads((folder / adapters.STATUS_FILE).read_text())
    status["pid"] = 2**22 + 12345  # no such process
    (folder / adapters.STATUS_FILE).write_text(json.dumps(status))
    assert adapters.adapter_state("me", documents=DOCS, base_model=base_file).kind == "absent"


def test_base_hash_is_cached_by_size_and_mtime(base_file: Path):
    first = adapters.file_sha256(base_file)
    st = base_file.stat()
    base_file.write_bytes(b"BASE MODEL WEIGHTS")  # same size
    os.utime(base_file, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert adapters.file_sha256(base_file) == first  # served from the cache
    os.utime(base_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert adapters.file_sha256(base_file) != first


def test_copy_of_samples_has_same_revision(tmp_path: Path):
    shutil.copytree(MAYA, tmp_path / "maya")
    a, _ = read_documents(MAYA)
    b, _ = read_documents(tmp_path / "maya")
    digest = {d.doc_id: (d.digest, d.words) for d in a}
    assert adapters.revision_of(digest) == adapters.revision_of(
        {d.doc_id: (d.digest, d.words) for d in b}
    )


def test_validation_is_a_bounded_spread_of_the_held_out_passages() -> None:
    """A held-out book must not eat the time budget: at most MAX_VALIDATION_PAIRS, spread."""
    from inkmod.generation.personal.pairs import TrainingPair
    from inkmod.generation.personal.train import MAX_VALIDATION_PAIRS, spread_sample

    pairs = [TrainingPair(f"n{i}", f"t{i}", "book.txt") for i in range(400)]
    picked = spread_sample(pairs, MAX_VALIDATION_PAIRS)
    assert len(picked) == MAX_VALIDATION_PAIRS
    assert picked[0] is pairs[0] and picked[-1].target == "t375"
    assert spread_sample(pairs[:5], MAX_VALIDATION_PAIRS) == pairs[:5]


def test_the_teacher_loops_accepted_improvements_become_training_pairs() -> None:
    """train-enhanced updates the weights too: teacher-written improvements kept in
    learned["exemplars"] train the adapter (never validate it); local ones do not."""
    from types import SimpleNamespace

    from inkmod.generation.personal.neutralise import get_neutraliser
    from inkmod.generation.personal.pipeline import teacher_pairs

    improved = "Honestly? I didn't think the beans would make it, but they're thriving."
    profile = SimpleNamespace(
        learned={
            "exemplars": [
                {"text": improved, "source": "teacher", "iteration": 2},
                {"text": "A local draft kept as an example.", "source": "local", "iteration": 1},
            ]
        }
    )
    (pair,) = teacher_pairs(profile, get_neutraliser())
    assert pair.target == improved and pair.document == "teacher-loop:2"
    assert "did not" in pair.neutral and "?" not in pair.neutral
