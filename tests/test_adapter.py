"""The query adapter (index/adapter.py): the transform, the shipped matrix, and the setting that turns it off."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.adapter import ADAPTER_FILE, adapt, load_adapter
from index.settings import QuerySettings, Settings, SettingsError


def test_adapt_maps_and_normalises() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=8).astype(np.float32)
    v /= np.linalg.norm(v)
    assert np.allclose(adapt(v, np.eye(8, dtype=np.float32)), v)
    m = rng.normal(size=(8, 8)).astype(np.float32)
    out = adapt(v, m)
    assert out.dtype == np.float32
    assert np.isclose(np.linalg.norm(out), 1.0, atol=1e-6)
    assert np.allclose(out, (m @ v) / np.linalg.norm(m @ v), atol=1e-6)
    assert np.allclose(adapt(v, np.zeros((8, 8), dtype=np.float32)), v)  # a map to 0 leaves the vector


def test_shipped_adapter_is_a_square_matrix_near_the_identity() -> None:
    assert ADAPTER_FILE.is_file()
    m = load_adapter()
    assert m.dtype == np.float32 and m.shape[0] == m.shape[1]
    assert np.isfinite(m).all()
    # Regularised toward the identity: a question keeps most of its own direction.
    rng = np.random.default_rng(1)
    vs = rng.normal(size=(50, m.shape[0])).astype(np.float32)
    vs /= np.linalg.norm(vs, axis=1, keepdims=True)
    assert float(np.mean([adapt(v, m) @ v for v in vs])) > 0.5


def test_load_adapter_refuses_a_matrix_that_is_not_square(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((3, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="square"):
        load_adapter(bad)


def test_adapter_setting_is_a_switch() -> None:
    assert Settings().with_(adapter=False).query.adapter is False
    with pytest.raises(SettingsError, match="adapter"):
        QuerySettings(adapter="yes")  # type: ignore[arg-type]
