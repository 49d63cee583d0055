"""The embedding model: ONNX Runtime and PyTorch give the same vectors; the export is made once."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from retrieval.embedder import MiniLMEmbedder
from tests.conftest import SEEDS

TEXTS = [line.strip() for path in sorted(SEEDS.iterdir()) for line in path.read_text().splitlines() if line.strip()]
TEXTS += ["", "NASTP", "word " * 600]  # empty, an acronym, longer than the model reads


def test_onnx_and_torch_give_the_same_vectors(embedder):
    torch_vectors = MiniLMEmbedder(backend="torch").embed(TEXTS)
    onnx_vectors = embedder.embed(TEXTS)
    assert embedder.backend == "onnx" and embedder._onnx is not None
    assert onnx_vectors.shape == (len(TEXTS), 384) and onnx_vectors.dtype == np.float32
    cosines = np.sum(onnx_vectors * torch_vectors, axis=1)
    assert cosines.min() > 0.9999, cosines.min()


def test_the_export_is_made_once_and_reused(tmp_path):
    first = MiniLMEmbedder(cache_dir=tmp_path)
    first.embed(["Pakistan and Kazakhstan signed an action plan."])
    [exported] = tmp_path.glob("*.onnx")
    stamp = exported.stat().st_mtime_ns
    second = MiniLMEmbedder(cache_dir=tmp_path)
    second.embed(["The plan covers trade."])
    assert second._onnx is not None and exported.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [exported.name]  # no temporary files left


def test_an_unusable_cache_falls_back_to_torch_with_a_warning(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    embedder = MiniLMEmbedder(cache_dir=blocker)
    with caplog.at_level(logging.WARNING, logger="retrieval.embedder"):
        vectors = embedder.embed(["The plan covers trade."])
    assert embedder._onnx is None and vectors.shape == (1, 384)
    assert "embedding with PyTorch instead of ONNX Runtime" in caplog.text


def test_threads_embedding_at_once_get_their_own_vectors(embedder):
    expected = embedder.embed(TEXTS[:12])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: embedder.embed(TEXTS[i : i + 1]), range(12)))
    for i, row in enumerate(results):
        assert float(row[0] @ expected[i]) > 0.9999
