"""The process's cache of loaded models: what it keeps, and that an evicted model's memory comes back."""

from __future__ import annotations

import gc
import weakref
from typing import Any, cast

from training.matching.service import LoadedModel, ModelCache


class _Cyclic:
    """Stands in for a fitted model: a graph of objects with reference cycles, which only the cyclic
    collector can free."""

    def __init__(self) -> None:
        self.me = self


def test_a_model_evicted_from_the_cache_is_reclaimed_though_loaded_models_are_frozen() -> None:
    cache = ModelCache(size=1)
    try:
        first = _Cyclic()
        gone = weakref.ref(first)
        cache.keep(LoadedModel("v1", cast(Any, first)))
        del first
        gc.collect()
        assert gone() is not None, "a cached model stays"
        assert gc.get_freeze_count() > 0, "loaded models are frozen out of the collector's passes"

        cache.keep(LoadedModel("v2", cast(Any, _Cyclic())))
        gc.collect()
        assert list(cache.loaded) == ["v2"]
        assert gone() is None, "the evicted model was reclaimed"
    finally:
        gc.unfreeze()
