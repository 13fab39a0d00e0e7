"""An area's public face: the names the rest of the application may use, each loaded from its
module when first asked for.

The areas import one another's modules (a claim reads a person, an agent's reach files a
claim), so a face that loaded its modules up front would pull half the store into a circle at
import time; a face that loads on first use never does. Inside the store, modules import one
another's modules, never a face.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def exports(package: str, where: Mapping[str, str]) -> Callable[[str], object]:
    """The module ``__getattr__`` of ``package``: each name of ``where`` from its module there."""

    def face(name: str) -> object:
        module = where.get(name)
        if module is None:
            # also how ``from package import submodule`` learns to import the submodule
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return face
