"""The caches (caches.py): every one declared, none left at module level, and the bounds they
declare hold for the memory the process really keeps."""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
import pkgutil
import tracemalloc
from collections import OrderedDict

import jobgraph
from jobgraph.caches import Cache, Caches, CacheSpec
from jobgraph.graphql.compiled import PLANS


def every_module():
    for found in pkgutil.walk_packages(jobgraph.__path__, "jobgraph."):
        if not found.name.endswith("__main__"):  # it runs the command line
            yield importlib.import_module(found.name)


def keyed_lru_cache(value: object) -> bool:
    """A function cached by its arguments. One read once (no arguments: a file of the
    package, the settings) is a value, not a cache a client can grow."""
    return (
        isinstance(value, functools._lru_cache_wrapper)
        and getattr(value, "__module__", "").startswith("jobgraph")
        and bool(inspect.signature(value.__wrapped__).parameters)
    )


def test_no_module_keeps_a_mutable_cache_and_every_cache_declares_itself():
    specs: dict[str, CacheSpec] = {}
    kept_in_modules = []
    for module in every_module():
        for name, value in vars(module).items():
            where = f"{module.__name__}.{name}"
            if isinstance(value, CacheSpec):
                assert specs.setdefault(value.name, value) is value, f"{where}: name taken"
                assert value.key and value.max_bytes > 0, where
            elif isinstance(value, Cache | Caches | OrderedDict) or keyed_lru_cache(value):
                kept_in_modules.append(where)
    assert kept_in_modules == []
    assert {"documents", "measures", "plans", "public_responses", "search_results"} <= set(specs)


FIELDS = " ".join(["id title tags remote category"] * 40)


def a_large_document(number: int) -> str:
    """A public read of about 230 tokens and 40 KB, distinct from every other by its comment."""
    return (
        f"# document {number}: {'x' * 40_000}\n"
        "{ jobs(first: 1) { edges { node { ...F } } } } "
        f"fragment F on Job {{ {FIELDS} }}"
    )


async def test_the_declared_bounds_hold_the_memory_kept_after_hundreds_of_large_documents(
    api, reconfigure
):
    # One address sends them all: let it.
    await reconfigure({"jobboard": {"policy": {"api": {"anonymous_requests_per_minute": 10**6}}}})
    caches = api.app.state.services.caches
    await api.data(a_large_document(-1), tenant="jobboard")  # what the first request makes
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for number in range(400):
            await api.data(a_large_document(number), tenant="jobboard")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    weighed = {cache.spec.name: cache.bytes for cache in caches}
    for cache in caches:
        assert cache.bytes <= cache.spec.max_bytes, cache.spec.name
    # The documents outgrew their caches' bounds: the oldest were let go.
    assert len(caches.cache(PLANS)) < 400
    # What the process really keeps is no more than what the caches say they hold (their
    # estimates are not too low), give or take the request's own leftovers.
    assert kept <= sum(weighed.values()) + 4 * 2**20, (kept, weighed)
