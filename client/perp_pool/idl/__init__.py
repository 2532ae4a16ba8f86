"""The committed Anchor IDL (legacy format), generated from the program source by scripts/gen-idl.sh."""

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from anchorpy import Idl


def idl_json() -> str:
    return resources.files(__package__).joinpath("perp_pool.json").read_text()


@lru_cache(maxsize=1)
def idl_dict() -> dict[str, Any]:
    idl: dict[str, Any] = json.loads(idl_json())
    return idl


@lru_cache(maxsize=1)
def load_idl() -> Idl:
    return Idl.from_json(idl_json())
