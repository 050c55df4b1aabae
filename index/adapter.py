"""The query adapter: a linear map applied to a question's vector only, to rank the sentences that may answer.

all-MiniLM-L6-v2 was trained on pairs of like texts; a question and the sentence that answers it are
further apart than two paraphrases. A 384 x 384 matrix W, learned on question-headed sections of
documentation packages that are none of the benchmarks' sources (bench/train_adapter.py), maps a
question's vector toward the vectors of the texts that answer such questions: q' = W q / |W q|.
Passage and sentence vectors are left as they are, so no index is rebuilt. Retrieval, heading matches
and abstention keep the question's own vector, on whose cosines their thresholds were calibrated.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

ADAPTER_FILE = Path(__file__).with_name("query_adapter.npy")


@lru_cache(maxsize=4)
def load_adapter(path: Path = ADAPTER_FILE) -> np.ndarray:
    """The adapter matrix (float32, d x d), read once."""
    matrix = np.load(path, allow_pickle=False)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{path}: an adapter must be a square matrix, not {matrix.shape}")
    return np.ascontiguousarray(matrix, dtype=np.float32)


def adapt(vector: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """A question's vector mapped by the adapter and normalised again (unchanged when the map gives 0)."""
    mapped = matrix @ vector
    norm = float(np.linalg.norm(mapped))
    return (mapped / norm).astype(np.float32) if norm > 0 else vector
