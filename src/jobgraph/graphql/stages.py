"""The schema's extensions at each stage of a request (operation, parsing, validation,
execution), with each extension class's hooks found once, when the schema is built, and
each stage's hooks for the extensions a request runs paired once per sequence of classes
(``HookTable``).

Strawberry's runner looks every hook up again for every stage of every request and wraps
each in a context manager made for the occasion (``contextlib.contextmanager`` with its
``update_wrapper``): a measurable share of a kept search page (``python -m bench
--profile``). Here a request enters the same hooks, in the same order and with the same
exit semantics (an exit stack's; a hook sees an error but cannot swallow it), driving the
hooks' generators itself, with no context manager or exit stack made per hook and
request; a stage no extension hooks into costs nothing."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

STAGES = ("on_operation", "on_parse", "on_validate", "on_execute")


# How a hook runs: a generator or an async generator is entered up to its yield and left
# after it; a plain or async function runs on entering only.
GENERATOR, ASYNC_GENERATOR, CALL, AWAIT = "generator", "async generator", "call", "await"


@dataclass(frozen=True)
class Hook:
    function: Callable[[SchemaExtension], Any]
    kind: str


Hooks = Mapping[str, Hook]


def hooks_of(extension_class: type[SchemaExtension]) -> Hooks:
    """The stages an extension class hooks into, each with its function and how it runs
    (Strawberry's forms: a generator, an async generator, or a plain or async function
    run on entering)."""
    found = {}
    for stage in STAGES:
        function = getattr(extension_class, stage)
        if function is getattr(SchemaExtension, stage):
            continue
        if inspect.isasyncgenfunction(function):
            found[stage] = Hook(function, ASYNC_GENERATOR)
        elif inspect.isgeneratorfunction(function):
            found[stage] = Hook(function, GENERATOR)
        elif inspect.iscoroutinefunction(function):
            found[stage] = Hook(function, AWAIT)
        else:
            found[stage] = Hook(function, CALL)
    return MappingProxyType(found)


# The hooks of one stage, in order: each one's function, how it runs, and the position of
# its extension in a request's.
StagePlan = tuple[tuple[Callable[[SchemaExtension], Any], str, int], ...]


class HookTable(Mapping[type, Hooks]):
    """Each extension class's hooks, and the hooks of each stage for each sequence of
    extension classes a request runs (the same on every request of a schema): worked out
    once, so that entering a stage only pairs the hooks with the request's extensions."""

    def __init__(self, hooks: Mapping[type, Hooks]) -> None:
        self._hooks = hooks
        self._plans: dict[tuple[type, ...], dict[str, StagePlan]] = {}

    def __getitem__(self, kind: type) -> Hooks:
        return self._hooks[kind]

    def __iter__(self) -> Iterator[type]:
        return iter(self._hooks)

    def __len__(self) -> int:
        return len(self._hooks)

    def plan(self, classes: tuple[type, ...]) -> dict[str, StagePlan]:
        """Each stage's hooks for extensions of these classes, in this order (an extension
        the schema was not built with is looked up here)."""
        found = self._plans.get(classes)
        if found is None:
            known = [self._hooks.get(kind) or hooks_of(kind) for kind in classes]
            found = {
                stage: tuple(
                    (hooks[stage].function, hooks[stage].kind, position)
                    for position, hooks in enumerate(known)
                    if stage in hooks
                )
                for stage in STAGES
            }
            if len(self._plans) < _MOST_PLANS:  # a schema runs one sequence, tests a few
                self._plans[classes] = found
        return found


_MOST_PLANS = 64


def hook_table(extensions: Any) -> HookTable:
    """Each extension class's hooks, for a schema's configured extensions (classes,
    factories or, deprecated, instances)."""
    classes = [type(e) if isinstance(e, SchemaExtension) else e for e in extensions]
    return HookTable(
        MappingProxyType(
            {
                c: hooks_of(c)
                for c in classes
                if isinstance(c, type) and issubclass(c, SchemaExtension)
            }
        )
    )


class _Stage:
    """One stage of one request: its extensions' hooks entered in order on the way in and
    left in reverse on the way out, with the semantics of the context managers Strawberry
    makes of them and of an exit stack (a hook sees the error of the stage or of a hook
    left before it; a hook that stops after seeing it hides it from the hooks left after
    it; the stage's own error is raised in the end whatever they do, a new one instead of
    it), driving the generators directly: no context manager or exit stack per hook."""

    __slots__ = ("entered", "extensions", "plan")

    def __init__(self, plan: StagePlan, extensions: list[SchemaExtension]) -> None:
        self.plan = plan
        self.extensions = extensions
        # The generators entered, in order, each with whether it is an async one.
        self.entered: list[tuple[Any, bool]] = []

    async def __aenter__(self) -> None:
        extensions = self.extensions
        try:
            for function, kind, position in self.plan:
                if kind is AWAIT:
                    await function(extensions[position])
                elif kind is GENERATOR:
                    running = function(extensions[position])
                    next(running)
                    self.entered.append((running, False))
                elif kind is ASYNC_GENERATOR:
                    running = function(extensions[position])
                    await running.__anext__()
                    self.entered.append((running, True))
                else:
                    function(extensions[position])
        except BaseException as error:  # the hooks entered so far are left, seeing it
            await self.__aexit__(type(error), error, error.__traceback__)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        seen = exc
        while self.entered:
            running, is_async = self.entered.pop()
            try:
                if seen is None:
                    await running.__anext__() if is_async else next(running)
                else:
                    await running.athrow(seen) if is_async else running.throw(seen)
                raise RuntimeError(f"the extension hook {running!r} did not stop")
            except (StopIteration, StopAsyncIteration):
                seen = None  # left normally, or it stopped after seeing the error
            except BaseException as raised:
                seen = raised
        if seen is not None and seen is not exc:
            raise seen

    def __enter__(self) -> None:
        for _function, kind, position in self.plan:
            if kind in (ASYNC_GENERATOR, AWAIT):
                raise RuntimeError(
                    f"SchemaExtension hook {self.extensions[position]} cannot run in "
                    "synchronous execution."
                )
        try:
            for function, kind, position in self.plan:
                if kind is GENERATOR:
                    running = function(self.extensions[position])
                    next(running)
                    self.entered.append((running, False))
                else:
                    function(self.extensions[position])
        except BaseException as error:
            self.__exit__(type(error), error, error.__traceback__)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        seen = exc
        while self.entered:
            running, _is_async = self.entered.pop()
            try:
                next(running) if seen is None else running.throw(seen)
                raise RuntimeError(f"the extension hook {running!r} did not stop")
            except StopIteration:
                seen = None
            except BaseException as raised:
                seen = raised
        if seen is not None and seen is not exc:
            raise seen


class _NoHooks:
    """A stage no extension hooks into: entered and left at no cost, shared."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_exception: object) -> None:
        return None

    def __enter__(self) -> None:
        return None

    def __exit__(self, *_exception: object) -> None:
        return None


_NO_HOOKS = _NoHooks()


class StagedExtensionsRunner(SchemaExtensionsRunner):
    def __init__(
        self,
        execution_context: ExecutionContext,
        extensions: list[SchemaExtension],
        table: HookTable,
    ) -> None:
        super().__init__(execution_context, extensions)
        self.plan = table.plan(tuple(type(extension) for extension in extensions))

    def _stage(self, name: str) -> _Stage | _NoHooks:
        plan = self.plan[name]
        return _Stage(plan, self.extensions) if plan else _NO_HOOKS

    def operation(self) -> Any:
        return self._stage("on_operation")

    def parsing(self) -> Any:
        return self._stage("on_parse")

    def validation(self) -> Any:
        return self._stage("on_validate")

    def executing(self) -> Any:
        return self._stage("on_execute")
