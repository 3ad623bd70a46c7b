"""The caches (caches.py): every one declared, none left at module level, and the bounds they
declare hold for the memory the process really keeps."""

from __future__ import annotations

import functools
import gc
import importlib
import inspect
import pkgutil
import re
import tracemalloc
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import jobgraph
from jobgraph.caches import Cache, Caches, CacheSpec
from jobgraph.graphql.admission import DOCUMENTS
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


# A module-level name bound to an empty container that is not declared Final: something
# filled as the process runs (a cache), or a constant that should say it is one.
_FILLED_LATER = re.compile(
    r"^(\w+)(?:\s*:\s*(?P<annotation>[^=\n]+))?\s*=\s*(?:\{\}|\[\]|set\(\)|dict\(\))\s*$",
    re.MULTILINE,
)


def test_no_module_keeps_a_mutable_cache_and_every_cache_declares_itself():
    specs: dict[str, CacheSpec] = {}
    kept_in_modules = []
    for module in every_module():
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        for found in _FILLED_LATER.finditer(source):
            if "Final" not in (found["annotation"] or ""):
                kept_in_modules.append(f"{module.__name__}.{found[1]}")
        for name, value in vars(module).items():
            where = f"{module.__name__}.{name}"
            if isinstance(value, CacheSpec):
                assert specs.setdefault(value.name, value) is value, f"{where}: name taken"
                assert value.key and value.max_bytes > 0, where
            elif isinstance(value, Cache | Caches | OrderedDict) or keyed_lru_cache(value):
                kept_in_modules.append(where)
    assert kept_in_modules == []
    assert {"documents", "measures", "plans", "public_responses", "search_results"} <= set(specs)


def test_the_architecture_document_lists_every_cache_with_its_bound():
    from jobgraph.settings import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (\w+) \| .+ \| (\d+) MB \|$", text, re.MULTILINE))
    declared = {
        value.name: str(value.max_bytes // 2**20)
        for module in every_module()
        for value in vars(module).values()
        if isinstance(value, CacheSpec)
    }
    assert listed == declared


def a_large_document(
    number: int, fields: str = "id title tags remote category", page: str = ""
) -> str:
    """A public read of 40 KB, distinct from every other by its comment."""
    return (
        f"# document {number}: {'x' * 40_000}\n"
        f"{{ jobs(first: 1) {{ edges {{ node {{ ...F }} }} {page} }} }} "
        f"fragment F on Job {{ {fields} }}"
    )


# The whole search page's other parts: resolvers, so it takes the general execution, whose
# shapers are kept with the document.
WHOLE_PAGE = (
    "totalCount pageInfo { hasNextPage endCursor } facets { category { value count } "
    "prefecture { value count } employmentType { value count } } "
    "salaryHistogram(bounds: [0, 4000000]) { min count }"
)


@pytest.fixture
async def one_address(api, reconfigure):
    """The app, taking any number of requests (and new documents) from one address."""
    unlimited = {
        "anonymous_requests_per_minute": 10**6,
        "cost_budget": 10**7,
        "cost_restore_per_second": 10**6,
    }
    await reconfigure({"jobboard": {"policy": {"api": unlimited}}})
    return api


async def kept_and_weighed(
    caches: Caches, requests: list[Callable[[], Awaitable[object]]]
) -> list[tuple[int, int]]:
    """For each request: the memory the process kept after it (tracemalloc) and what the
    caches said they gained. Measured more than once: tracemalloc counts whatever else the
    process allocates meanwhile (in two full runs of five, 0.5-0.9 MB more in one request,
    its source not found), which two measurements do not both meet; what a request
    keeps, both do."""
    measured = []
    for request in requests:
        gc.collect()
        tracemalloc.start()
        try:
            before, weighed_before = tracemalloc.get_traced_memory()[0], caches.bytes
            await request()
            gc.collect()
            kept = tracemalloc.get_traced_memory()[0] - before
            measured.append((kept, caches.bytes - weighed_before))
        finally:
            tracemalloc.stop()
    return measured


@pytest.mark.parametrize(
    ("fields", "page"),
    [
        pytest.param("id title", "", id="a few fields"),
        pytest.param(" ".join(["id title tags remote category"] * 40), "", id="two hundred fields"),
        pytest.param("id viewCount", "", id="not a public read (no plan)"),
        pytest.param(
            "id title tags company { id name }", WHOLE_PAGE, id="the whole page (kept shapers)"
        ),
    ],
)
async def test_what_a_document_keeps_weighs_no_less_than_the_memory_it_takes(
    one_address, fields, page
):
    """A new document keeps its parse, its measure, and its plan or its shapers: what the
    caches say they gained is at least what the process really kept (tracemalloc), give or
    take a request's own leftovers."""
    api, caches = one_address, one_address.app.state.services.caches
    for number in range(2):  # what the first requests make once (statements, views)
        await api.graphql(a_large_document(number, fields, page), tenant="jobboard")
    await api.indexed()  # the facet indexes, and their connection: no document's
    measured = await kept_and_weighed(
        caches,
        [
            lambda number=number: api.graphql(
                a_large_document(number, fields, page), tenant="jobboard"
            )
            for number in (2, 3)
        ],
    )
    kept, weighed = min(measured)
    assert weighed > 40_000, "the document was kept"
    assert kept <= weighed + 64 * 1024, measured


async def test_kept_search_results_weigh_no_less_than_the_memory_they_take(one_address):
    """Each new search keeps its page (its records, the postings and companies shown of
    them, the response shaped of them): what the caches say they gained is at least what
    the process really kept."""
    api, caches = one_address, one_address.app.state.services.caches
    query = (
        "query($least: Int) { jobs(first: 30, filter: {salaryAtLeast: $least}) "
        "{ edges { cursor node { id title tags company { id name } } } } }"
    )

    async def search(least: int) -> None:
        body = await api.graphql(query, {"least": least}, tenant="jobboard")
        assert len(body["data"]["jobs"]["edges"]) == 30

    for least in (1, 2):  # the document, its plan, the statement: kept once
        await search(least)
    # Each a search of its own, kept.
    measured = await kept_and_weighed(caches, [lambda: search(3), lambda: search(4)])
    kept, weighed = min(measured)
    assert kept > 30 * 1024, "the page was kept"
    assert kept <= weighed + 16 * 1024, measured


async def test_the_caches_keep_to_their_bounds_under_a_thousand_large_documents(one_address):
    api, caches = one_address, one_address.app.state.services.caches
    for number in range(1_000):
        await api.data(a_large_document(number), tenant="jobboard")
    for cache in caches:
        assert cache.bytes <= cache.spec.max_bytes, cache.spec.name
    # Forty megabytes of documents outgrew the bounds: the oldest were let go.
    assert 0 < len(caches.cache(DOCUMENTS)) < 1_000
    assert 0 < len(caches.cache(PLANS)) < 1_000


async def test_a_changed_site_clears_what_was_kept_of_its_old_configuration(api, reconfigure):
    from jobgraph.graphql.http import PUBLIC_SDL

    schemas = api.app.state.services.caches.cache(PUBLIC_SDL)
    await api.http.get("/schema.graphql", headers={"X-Tenant": "jobboard"})
    assert len(schemas) == 1
    await reconfigure({"jobboard": {"policy": {"api": {"max_depth": 11}}}})
    await api.http.get("/schema.graphql", headers={"X-Tenant": "jobboard"})
    assert len(schemas) == 1, "the old version's schema was let go, not kept beside the new"
