"""What konfig computes once per revision and shares: typed slots, one per concern.

A ``Repository`` is one revision, and much of what konfig derives from it is
the same for every stack: the merge of a shared layer chain, a model's
compiled renderer, the dependency graph, the file digests of cache keys. Each
is remembered in the revision's ``Memo``, under a ``Slot`` that the module
owning the value declares next to the code that fills it::

    _CHECKERS: Slot[Checker] = Slot("kubernetes checker")

    c = repo.memo.get(_CHECKERS)
    if c is None:
        c = repo.memo.put(_CHECKERS, Checker(repo))

A slot is its own key (two modules cannot collide on a name) and carries the
type of its value, so readers need no casts; ``of`` gives a slot's container,
made by the slot's ``make`` on first use (``Slot("merges", dict)``). The memo
lives as long as its revision: a ``Repository.with_changes`` overlay or
another commit has a memo of its own, so nothing computed from one revision's
files is read for another's.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Slot(Generic[T]):
    """A typed key of ``Memo``; ``make`` builds its value when ``Memo.of`` first asks for it."""

    __slots__ = ("name", "make")

    def __init__(self, name: str, make: Callable[[], T] | None = None) -> None:
        self.name = name
        self.make = make

    def __repr__(self) -> str:
        return f"Slot({self.name!r})"


class Memo:
    """One revision's shared results, by ``Slot``."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Slot[Any], Any] = {}

    def get(self, slot: Slot[T]) -> T | None:
        """The slot's value, or None when nothing was put there yet."""
        return self._values.get(slot)  # type: ignore[no-any-return]

    def put(self, slot: Slot[T], value: T) -> T:
        self._values[slot] = value
        return value

    def of(self, slot: Slot[T]) -> T:
        """The slot's value, made by ``slot.make`` on first use (a container to fill)."""
        try:
            return self._values[slot]  # type: ignore[no-any-return]
        except KeyError:
            if slot.make is None:
                raise TypeError(f"{slot!r} has no make: use get/put") from None
            value = self._values[slot] = slot.make()
            return value  # type: ignore[no-any-return]

    def __contains__(self, slot: Slot[Any]) -> bool:
        return slot in self._values
