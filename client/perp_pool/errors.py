"""Program errors as named Python exceptions.

Every failed transaction or simulation becomes a `TransactionFailed`; when the failing program
and its error code are known it is the specific subclass:

- `PerpPoolError` subclasses, one per error of the program, named as in the IDL
  (`errors.StaleOraclePrice`, code 6000 + index);
- `AnchorError` subclasses for Anchor's own checks (`errors.ConstraintSeeds`,
  `errors.AccountOwnedByWrongProgram`, ...);
- `TokenError` subclasses for SPL Token failures (`errors.TokenInsufficientFunds`, ...);
- `InstructionFailed` for runtime errors that carry no code (`MissingRequiredSignature`, ...),
  with the runtime's name in `.kind`.

The named classes are written out in `perp_pool._errors_generated` (by scripts/gen-py-errors.py,
from the committed IDL, Anchor's error table and SPL Token's) and re-exported here, so IDEs and
type checkers see them; tests/test_errors_generated.py fails if that module disagrees with the IDL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from anchorpy.error import AccountDoesNotExistError
from anchorpy.error import LangErrorMessage as LangErrorMessage  # no longer used here; still importable from here
from solders.pubkey import Pubkey
from solders.transaction_status import (
    InstructionErrorCustom,
    TransactionErrorInstructionError,
)

from perp_pool.constants import PROGRAM_ID
from perp_pool.idl import idl_dict as idl_dict  # no longer used here; still importable from here

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")

_FAILED = re.compile(r"^Program (\w+) failed: (.*)$")


class TransactionFailed(Exception):
    """A transaction or simulation that failed. `logs` are the program logs, when known."""

    code: int | None = None
    msg: str = "transaction failed"

    def __init__(self, detail: str | None = None, *, logs: list[str] | None = None, err: Any = None,
                 program_id: Pubkey | None = None, instruction_index: int | None = None):
        self.logs = logs or []
        self.err = err
        self.program_id = program_id
        self.instruction_index = instruction_index
        text = detail or self.msg
        if self.code is not None:
            text = f"{type(self).__name__} ({self.code}): {text}"
        super().__init__(text)


class PerpPoolError(TransactionFailed):
    """An error the perp_pool program returned (codes from 6000, as in the IDL)."""


class AnchorError(TransactionFailed):
    """An error Anchor's generated checks returned on behalf of perp_pool (codes below 6000)."""


class TokenError(TransactionFailed):
    """An error the SPL Token program returned in a CPI."""


class AccountNotFound(AccountDoesNotExistError):
    """A program account the client was asked to fetch does not exist (closed, never created)."""


class InstructionFailed(TransactionFailed):
    """A runtime instruction error without a custom code; `kind` names it."""

    kind: str = ""


# The generated classes subclass the bases above, so they are imported once those exist.
from perp_pool._errors_generated import *  # noqa: E402,F401,F403  (one class per error; see its __all__)
from perp_pool._errors_generated import ANCHOR_ERRORS, PROGRAM_ERRORS, TOKEN_ERRORS  # noqa: E402


def _failing_program(logs: list[str]) -> Pubkey | None:
    """The innermost program that failed: the first `Program X failed:` line."""
    for line in logs:
        m = _FAILED.match(line)
        if m:
            try:
                return Pubkey.from_string(m.group(1))
            except ValueError:
                return None
    return None


def translate(err: Any, logs: list[str] | None, program_id: Pubkey = PROGRAM_ID) -> TransactionFailed:
    """Turn a solders `TransactionError` and its logs into the most specific exception."""
    logs = list(logs or [])
    failing = _failing_program(logs)
    if isinstance(err, TransactionErrorInstructionError):
        index = err.index
        inner = err.err
        if isinstance(inner, InstructionErrorCustom):
            code = inner.code
            table: Mapping[int, type[TransactionFailed]] = {}
            if failing == TOKEN_PROGRAM_ID:
                table = TOKEN_ERRORS
            elif failing is None or failing == program_id:
                table = PROGRAM_ERRORS if code >= 6000 else ANCHOR_ERRORS
            cls = table.get(code)
            if cls is not None:
                return cls(logs=logs, err=err, program_id=failing, instruction_index=index)
            return TransactionFailed(f"custom program error {code} from {failing}", logs=logs, err=err,
                                     program_id=failing, instruction_index=index)
        kind = str(inner).split(".")[-1]
        exc = InstructionFailed(f"instruction {index} failed: {kind}", logs=logs, err=err,
                                program_id=failing, instruction_index=index)
        exc.kind = kind
        return exc
    return TransactionFailed(f"transaction failed: {err}", logs=logs, err=err, program_id=failing)


def error_class(name: str) -> type[TransactionFailed]:
    """The exception class called `name` (for code that gets names from configuration)."""
    cls = globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, TransactionFailed)):
        raise KeyError(name)
    return cls
