"""``raises_exactly``: an error of exactly one class with exactly one message.

``pytest.raises(InputError)`` also passes for any subclass, and for the same
class raised elsewhere with another message; a mutant that turns one check
into another (or drops a message) then survives. The mutation tests use this
instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def raises_exactly(cls: type[BaseException], message: str) -> Iterator[None]:
    """Expect ``cls`` itself (not a subclass) whose ``str()`` is ``message``."""
    with pytest.raises(cls) as info:
        yield
    assert type(info.value) is cls, f"raised {type(info.value).__name__}, not {cls.__name__}"
    assert str(info.value) == message
