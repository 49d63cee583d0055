"""The embedding model: every backend gives the same vectors as PyTorch fp32; the export is made once."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from retrieval.index.embedder import BF16_MIN_TEXTS, MiniLMEmbedder, native_bf16
from tests.conftest import SEEDS

TEXTS = [line.strip() for path in sorted(SEEDS.iterdir()) for line in path.read_text().splitlines() if line.strip()]
TEXTS += ["", "NASTP", "word " * 600]  # empty, an acronym, longer than the model reads


needs_bf16 = pytest.mark.skipif(not native_bf16(), reason="this CPU has no native bf16")


@pytest.fixture(scope="module")
def fp32_vectors():
    return MiniLMEmbedder(backend="torch").embed(TEXTS)


def _same_vectors(vectors: np.ndarray, reference: np.ndarray) -> None:
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    cosines = np.sum(vectors * reference, axis=1)
    assert cosines.min() > 0.9999, cosines.min()


@pytest.mark.slow  # loads a second model (the fp32 reference)
def test_onnx_gives_the_vectors_of_pytorch(fp32_vectors, model_cache_dir):
    embedder = MiniLMEmbedder(backend="onnx", cache_dir=model_cache_dir)  # the run's export
    _same_vectors(embedder.embed(TEXTS), fp32_vectors)
    assert embedder.runtime == "ONNX Runtime fp32"


@needs_bf16
@pytest.mark.slow
def test_bf16_gives_the_vectors_of_fp32(fp32_vectors):
    embedder = MiniLMEmbedder(backend="torch-bf16")
    _same_vectors(embedder.embed(TEXTS), fp32_vectors)
    assert embedder.runtime == "PyTorch bf16"


@pytest.mark.slow
def test_auto_gives_the_same_vectors_one_at_a_time_and_in_batches(embedder, fp32_vectors):
    """A question is embedded alone, an ingest in batches; auto may run them differently (ONNX for
    few texts, bf16 for many where the CPU has it), so both must land on the same vectors."""
    batch = embedder.embed(TEXTS * 2)  # large enough for the batch path
    assert len(TEXTS) * 2 >= BF16_MIN_TEXTS
    _same_vectors(batch[: len(TEXTS)], fp32_vectors)
    _same_vectors(batch[len(TEXTS) :], fp32_vectors)
    _same_vectors(embedder.embed(TEXTS), fp32_vectors)
    _same_vectors(np.vstack([embedder.embed([text]) for text in TEXTS]), fp32_vectors)
    assert embedder.runtime.startswith("ONNX Runtime fp32")
    assert ("PyTorch bf16" in embedder.runtime) == native_bf16()


@pytest.mark.slow  # loads the model twice and exports it
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
    with caplog.at_level(logging.WARNING, logger="retrieval.index.embedder"):
        vectors = embedder.embed(["The plan covers trade."])
    assert embedder._onnx is None and vectors.shape == (1, 384)
    assert "embedding with PyTorch instead of ONNX Runtime" in caplog.text


def test_threads_embedding_at_once_get_their_own_vectors(embedder):
    expected = embedder.embed(TEXTS[:12])
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: embedder.embed(TEXTS[i : i + 1]), range(12)))
    for i, row in enumerate(results):
        assert float(row[0] @ expected[i]) > 0.9999


ANSWER_ONLY = """
import sys
from briefbot.factory import build_service
from briefbot.settings import Settings
service = build_service(Settings(_env_file=None), ingest_if_empty=False)
answer = service.ask("Who signed the action plan?")
assert answer.sources, answer.text
print("torch" in sys.modules, "sentence_transformers" in sys.modules, service.retriever.embedder.runtime)
"""


def test_a_process_that_only_answers_never_loads_pytorch(tmp_path, seed_service, model_cache_dir):
    """ONNX Runtime embeds the question (and short lists) with its own tokenizer: no PyTorch model
    (and no torch library) beside the ONNX session in a serving process."""
    import os
    import shutil
    import subprocess
    import sys

    from tests.conftest import PROJECT_ROOT

    data = tmp_path / "data"
    from pathlib import Path

    seed_service.ask("Who signed the action plan?")  # its lexical index written
    shutil.copytree(Path(seed_service.store.client.get_settings().persist_directory).parent, data)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFBOT_")}
    env.update(BRIEFBOT_DATA_DIR=str(data), BRIEFBOT_MODEL_CACHE_DIR=str(model_cache_dir))
    result = subprocess.run(
        [sys.executable, "-c", ANSWER_ONLY], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[:2] == ["False", "False"], result.stdout
