"""Access-control cases contributed by each feature, collected into the matrix in
tests/test_access_control.py.

Each module here defines:
- ``CASES``: a list of ``tests.access_cases.base.Case``;
- ``def ids(world: World) -> dict[str, Any]``: called inside an app context before each matrix test,
  it creates what the cases need (through the real operations, committing) and returns the values
  for the placeholders the cases use (``{pledge_id}``, …). Placeholder names must be unique across
  modules; prefix them with the feature.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def feature_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
        if info.name != "base"
    ]
