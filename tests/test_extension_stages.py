"""The schema's extensions run at each stage as Strawberry's own runner runs them: the same
hooks in the same order, left in reverse, with an error inside a stage seen by every hook
(graphql/stages.py finds each class's hooks once instead of on every request)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from jobgraph.graphql.schema import schema
from jobgraph.graphql.stages import StagedExtensionsRunner, hook_table

EVENTS: list[str]


class Generator(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        EVENTS.append("generator in")
        try:
            yield
        except ValueError:
            EVENTS.append("generator saw the error")
            raise
        EVENTS.append("generator out")


class AsyncGenerator(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        EVENTS.append("async generator in")
        try:
            yield
        finally:
            EVENTS.append("async generator out")

    async def on_parse(self) -> AsyncIterator[None]:
        EVENTS.append("parse in")
        yield
        EVENTS.append("parse out")


class Plain(SchemaExtension):
    def on_execute(self) -> None:  # type: ignore[override]
        EVENTS.append("plain")


class Coroutine(SchemaExtension):
    async def on_validate(self) -> None:  # type: ignore[override]
        EVENTS.append("coroutine")


class Swallows(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        try:
            yield
        except ValueError:
            EVENTS.append("swallowed")


CLASSES = [Generator, AsyncGenerator, Plain, Coroutine, Swallows]


async def events_of(runner: SchemaExtensionsRunner, fail: bool) -> list[object]:
    global EVENTS
    EVENTS = []
    outcome: object = "done"
    try:
        async with runner.parsing():
            pass
        async with runner.validation():
            pass
        async with runner.operation():
            pass
        async with runner.executing():
            EVENTS.append("executing")
            if fail:
                raise ValueError("inside")
    except ValueError as error:
        outcome = f"raised {error}"
    return [*EVENTS, outcome]


@pytest.mark.parametrize("swallowing", [False, True])
@pytest.mark.parametrize("fail", [False, True])
async def test_stages_run_the_hooks_as_strawberry_runs_them(fail, swallowing):
    classes = [*CLASSES] if swallowing else CLASSES[:-1]
    table = hook_table(classes)
    staged = StagedExtensionsRunner(None, [kind() for kind in classes], table)  # type: ignore[arg-type]
    strawberry = SchemaExtensionsRunner(None, [kind() for kind in classes])  # type: ignore[arg-type]
    expected = await events_of(strawberry, fail)
    assert await events_of(staged, fail) == expected
    if fail:  # never swallowed, even by a hook that tries
        assert expected[-1] == "raised inside"
        assert ("generator saw the error" in expected) is not swallowing


async def test_an_extension_the_schema_was_not_built_with_still_runs():
    runner = StagedExtensionsRunner(None, [Generator()], hook_table([]))  # type: ignore[arg-type]
    assert await events_of(runner, fail=False) == [
        "generator in",
        "executing",
        "generator out",
        "done",
    ]


def test_the_schema_finds_its_extensions_hooks_once():
    assert set(schema.hooks) >= set(schema.extensions)


class FailsOnEntering(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        raise ValueError("entering")
        yield  # a generator hook that never reaches its yield


class FailsOnLeaving(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        yield
        raise KeyError("leaving")


async def test_a_hook_failing_on_entering_leaves_the_hooks_entered_before_it():
    """The hooks already entered are left (seeing the error), not abandoned half-run."""
    runner = StagedExtensionsRunner(
        None,  # type: ignore[arg-type]
        [Generator(), AsyncGenerator(), FailsOnEntering()],
        hook_table([Generator, AsyncGenerator, FailsOnEntering]),
    )
    assert await events_of(runner, fail=False) == [
        "parse in",
        "parse out",
        "generator in",
        "async generator in",
        "async generator out",
        "generator saw the error",
        "raised entering",
    ]


async def test_a_hook_failing_on_leaving_is_seen_by_the_hooks_left_after_it():
    classes = [Generator, AsyncGenerator, FailsOnLeaving]
    staged = StagedExtensionsRunner(None, [kind() for kind in classes], hook_table(classes))  # type: ignore[arg-type]
    strawberry = SchemaExtensionsRunner(None, [kind() for kind in classes])  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        await events_of(strawberry, fail=False)
    expected = EVENTS
    with pytest.raises(KeyError):
        await events_of(staged, fail=False)
    assert expected == EVENTS
    assert "generator saw the error" not in expected  # a KeyError, not the ValueError it awaits
    assert expected[-1] == "async generator out"
