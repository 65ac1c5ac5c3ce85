"""Frozen records that are quick to build: a hot path (an append, a roster read) builds
thousands of them."""

from __future__ import annotations

import dataclasses


def stored_through_slots(cls: type) -> type:
    """Give the frozen, slotted dataclass ``cls`` an ``__init__`` that stores each field through
    its slot's descriptor instead of through ``object.__setattr__`` by name, as the generated
    one does: the same parameters, defaults and values, and instances just as frozen, in about
    half the time. Apply it above ``@dataclass(frozen=True, slots=True)``; only plain
    positional fields (no ``init=False``, ``kw_only`` or ``default_factory``), and no
    ``__post_init__`` (which the stored fields would skip), are taken."""
    fields = dataclasses.fields(cls)
    if not cls.__dataclass_params__.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: only a frozen, slotted dataclass is stored through slots")
    if any(not f.init or f.kw_only or f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"{cls.__name__}: only plain positional fields are stored through slots")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: a __post_init__ would be skipped by the stored fields")
    generated = cls.__init__
    names = [f.name for f in fields]
    namespace = {f"_set_{name}": cls.__dict__[name].__set__ for name in names}
    lines = "".join(f"    _set_{name}(self, {name})\n" for name in names)
    exec(f"def __init__(self, {', '.join(names)}):\n{lines}", namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__defaults__ = generated.__defaults__
    init.__annotations__ = generated.__annotations__
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init
    return cls
