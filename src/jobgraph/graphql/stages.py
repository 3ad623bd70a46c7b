"""The schema's extensions at each stage of a request (operation, parsing, validation,
execution), with each extension class's hooks found once, when the schema is built.

Strawberry's runner looks every hook up again for every stage of every request and wraps
each in a context manager made for the occasion (``contextlib.contextmanager`` with its
``update_wrapper``): a measurable share of a kept search page (``python -m bench
--profile``). Here a request enters the same hooks, in the same order and with the same
exit semantics (an exit stack; a hook sees an error but cannot swallow it), through
wrappers made once per class; a stage no extension hooks into costs nothing."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from types import MappingProxyType, TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

STAGES = ("on_operation", "on_parse", "on_validate", "on_execute")


@dataclass(frozen=True)
class Hook:
    enter: Callable[[SchemaExtension], Any]  # a (sync or async) context manager's factory
    is_async: bool


Hooks = Mapping[str, Hook]


def hooks_of(extension_class: type[SchemaExtension]) -> Hooks:
    """The stages an extension class hooks into, each with its context manager's factory
    (Strawberry's forms: a generator, an async generator, or a plain or async function
    run on entering)."""
    found = {}
    for stage in STAGES:
        function = getattr(extension_class, stage)
        if function is getattr(SchemaExtension, stage):
            continue
        if inspect.isasyncgenfunction(function):
            found[stage] = Hook(asynccontextmanager(function), is_async=True)
        elif inspect.isgeneratorfunction(function):
            found[stage] = Hook(contextmanager(function), is_async=False)
        elif inspect.iscoroutinefunction(function):
            found[stage] = Hook(asynccontextmanager(_awaited(function)), is_async=True)
        else:
            found[stage] = Hook(contextmanager(_called(function)), is_async=False)
    return MappingProxyType(found)


def _awaited(function: Callable[..., Any]) -> Callable[[SchemaExtension], AsyncIterator[None]]:
    async def hook(extension: SchemaExtension) -> AsyncIterator[None]:
        await function(extension)
        yield

    return hook


def _called(function: Callable[..., Any]) -> Callable[[SchemaExtension], Iterator[None]]:
    def hook(extension: SchemaExtension) -> Iterator[None]:
        function(extension)
        yield

    return hook


def hook_table(extensions: Any) -> Mapping[type, Hooks]:
    """Each extension class's hooks, for a schema's configured extensions (classes,
    factories or, deprecated, instances)."""
    classes = [type(e) if isinstance(e, SchemaExtension) else e for e in extensions]
    return MappingProxyType(
        {c: hooks_of(c) for c in classes if isinstance(c, type) and issubclass(c, SchemaExtension)}
    )


class _Stage:
    """One stage of one request: its extensions' hooks entered in order on the way in and
    left in reverse on the way out, as Strawberry's context managers do."""

    __slots__ = ("entered", "hooks")

    def __init__(self, hooks: list[tuple[Hook, SchemaExtension]]) -> None:
        self.hooks = hooks
        self.entered: ExitStack | AsyncExitStack | None = None

    async def __aenter__(self) -> None:
        if not self.hooks:
            return
        stack = self.entered = AsyncExitStack()
        for hook, extension in self.hooks:
            if hook.is_async:
                await stack.enter_async_context(hook.enter(extension))
            else:
                stack.enter_context(hook.enter(extension))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # As Strawberry's: a hook may see an error but not swallow it.
        if isinstance(self.entered, AsyncExitStack):
            await self.entered.__aexit__(exc_type, exc, traceback)

    def __enter__(self) -> None:
        if not self.hooks:
            return
        stack = self.entered = ExitStack()
        for hook, extension in self.hooks:
            if hook.is_async:
                raise RuntimeError(
                    f"SchemaExtension hook {extension} cannot run in synchronous execution."
                )
            stack.enter_context(hook.enter(extension))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if isinstance(self.entered, ExitStack):
            self.entered.__exit__(exc_type, exc, traceback)


class StagedExtensionsRunner(SchemaExtensionsRunner):
    def __init__(
        self,
        execution_context: ExecutionContext,
        extensions: list[SchemaExtension],
        table: Mapping[type, Hooks],
    ) -> None:
        super().__init__(execution_context, extensions)
        self.table = table

    def _stage(self, name: str) -> _Stage:
        hooks = []
        for extension in self.extensions:
            kind = type(extension)
            # An extension the schema was not built with (a test's) is looked up here.
            known = self.table.get(kind) or hooks_of(kind)
            hook = known.get(name)
            if hook is not None:
                hooks.append((hook, extension))
        return _Stage(hooks)

    def operation(self) -> Any:
        return self._stage("on_operation")

    def parsing(self) -> Any:
        return self._stage("on_parse")

    def validation(self) -> Any:
        return self._stage("on_validate")

    def executing(self) -> Any:
        return self._stage("on_execute")
