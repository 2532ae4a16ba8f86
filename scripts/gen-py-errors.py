#!/usr/bin/env python3
"""Generates client/perp_pool/_errors_generated.py: one exception class per error the client can
name, written out so IDEs and type checkers see them (perp_pool.errors re-exports them).

    scripts/gen-py-errors.py           regenerate the module
    scripts/gen-py-errors.py --check   exit 1 with a diff if the committed module is stale

Three tables, in this order (class names must be unique across them):

- the program's errors, from the committed IDL (client/perp_pool/idl/perp_pool.json): class
  `<name>` (base `PerpPoolError`), code and message as in the IDL (the name when it has no `msg`);
- Anchor's own error codes (`ANCHOR_LANG_ERRORS` below, base `AnchorError`);
- SPL Token's errors (`SPL_TOKEN_ERRORS` below, base `TokenError`): class `Token<name>`, the code
  is the index, the message the name.

Standard library only, so it runs before (and without) the client's virtualenv. The Anchor table is
written here rather than read from anchorpy at generation time for the same reason; it is anchorpy
0.21's `LangErrorMessage` (names, codes and messages), and tests/test_errors_generated.py fails if
the two ever disagree.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

REPO_ROOT = Path(__file__).resolve().parent.parent
IDL_PATH = REPO_ROOT / "client" / "perp_pool" / "idl" / "perp_pool.json"
OUTPUT_PATH = REPO_ROOT / "client" / "perp_pool" / "_errors_generated.py"
SCRIPT_NAME = "scripts/gen-py-errors.py"

# Anchor's error codes and messages, as anchorpy 0.21 knows them (`anchorpy.error.LangErrorMessage`).
ANCHOR_LANG_ERRORS: tuple[tuple[str, int, str], ...] = (
    # Instructions.
    ("InstructionMissing", 100, "8 byte instruction identifier not provided"),
    ("InstructionFallbackNotFound", 101, "Fallback functions are not supported"),
    ("InstructionDidNotDeserialize", 102, "The program could not deserialize the given instruction"),
    ("InstructionDidNotSerialize", 103, "The program could not serialize the given instruction"),
    # IDL instructions.
    ("IdlInstructionStub", 1000, "The program was compiled without idl instructions"),
    ("IdlInstructionInvalidProgram", 1001, "The transaction was given an invalid program for the IDL instruction"),
    # Constraints.
    ("ConstraintMut", 2000, "A mut constraint was violated"),
    ("ConstraintHasOne", 2001, "A has_one constraint was violated"),
    ("ConstraintSigner", 2002, "A signer constraint was violated"),
    ("ConstraintRaw", 2003, "A raw constraint was violated"),
    ("ConstraintOwner", 2004, "An owner constraint was violated"),
    ("ConstraintRentExempt", 2005, "A rent exempt constraint was violated"),
    ("ConstraintSeeds", 2006, "A seeds constraint was violated"),
    ("ConstraintExecutable", 2007, "An executable constraint was violated"),
    ("ConstraintState", 2008, "A state constraint was violated"),
    ("ConstraintAssociated", 2009, "An associated constraint was violated"),
    ("ConstraintAssociatedInit", 2010, "An associated init constraint was violated"),
    ("ConstraintClose", 2011, "A close constraint was violated"),
    ("ConstraintAddress", 2012, "An address constraint was violated"),
    ("ConstraintZero", 2013, "Expected zero account discriminant"),
    ("ConstraintTokenMint", 2014, "A token mint constraint was violated"),
    ("ConstraintTokenOwner", 2015, "A token owner constraint was violated"),
    ("ConstraintMintMintAuthority", 2016, "A mint mint authority constraint was violated"),
    ("ConstraintMintFreezeAuthority", 2017, "A mint freeze authority constraint was violated"),
    ("ConstraintMintDecimals", 2018, "A mint decimals constraint was violated"),
    ("ConstraintSpace", 2019, "A space constraint was violated"),
    # Require.
    ("RequireViolated", 2500, "A require expression was violated"),
    ("RequireEqViolated", 2501, "A require_eq expression was violated"),
    ("RequireKeysEqViolated", 2502, "A require_keys_eq expression was violated"),
    ("RequireNeqViolated", 2503, "A require_neq expression was violated"),
    ("RequireKeysNeqViolated", 2504, "A require_keys_neq expression was violated"),
    ("RequireGtViolated", 2505, "A require_gt expression was violated"),
    ("RequireGteViolated", 2506, "A require_gte expression was violated"),
    # Accounts.
    ("AccountDiscriminatorAlreadySet", 3000, "The account discriminator was already set on this account"),
    ("AccountDiscriminatorNotFound", 3001, "No 8 byte discriminator was found on the account"),
    ("AccountDiscriminatorMismatch", 3002, "8 byte discriminator did not match what was expected"),
    ("AccountDidNotDeserialize", 3003, "Failed to deserialize the account"),
    ("AccountDidNotSerialize", 3004, "Failed to serialize the account"),
    ("AccountNotEnoughKeys", 3005, "Not enough account keys given to the instruction"),
    ("AccountNotMutable", 3006, "The given account is not mutable"),
    ("AccountOwnedByWrongProgram", 3007, "The given account is owned by a different program than expected"),
    ("InvalidProgramId", 3008, "Program ID was not as expected"),
    ("InvalidProgramExecutable", 3009, "Program account is not executable"),
    ("AccountNotSigner", 3010, "The given account did not sign"),
    ("AccountNotSystemOwned", 3011, "The given account is not owned by the system program"),
    ("AccountNotInitialized", 3012, "The program expected this account to be already initialized"),
    ("AccountNotProgramData", 3013, "The given account is not a program data account"),
    ("AccountNotAssociatedTokenAccount", 3014, "The given account is not the associated token account"),
    ("AccountSysvarMismatch", 3015, "The given public key does not match the required sysvar"),
    # State.
    ("StateInvalidAddress", 4000, "The given state account does not have the correct address"),
    # Misc.
    ("Deprecated", 5000, "The API being used is deprecated and should no longer be used"),
)

# spl-token 4 `TokenError`, in declaration order (its code is the index).
SPL_TOKEN_ERRORS: tuple[str, ...] = (
    "NotRentExempt", "InsufficientFunds", "InvalidMint", "MintMismatch", "OwnerMismatch",
    "FixedSupply", "AlreadyInUse", "InvalidNumberOfProvidedSigners", "InvalidNumberOfRequiredSigners",
    "UninitializedState", "NativeNotSupported", "NonNativeHasBalance", "InvalidInstruction",
    "InvalidState", "Overflow", "AuthorityTypeNotSupported", "MintCannotFreeze", "AccountFrozen",
    "MintDecimalsMismatch", "NonNativeNotSupported",
)

# Names perp_pool.errors defines by hand (plus what it imports); a generated class must not shadow one.
RESERVED_NAMES = frozenset({
    "TransactionFailed", "PerpPoolError", "AnchorError", "TokenError", "AccountNotFound", "InstructionFailed",
    "AccountDoesNotExistError", "PROGRAM_ERRORS", "ANCHOR_ERRORS", "TOKEN_ERRORS", "TOKEN_PROGRAM_ID",
    "PROGRAM_ID", "translate", "error_class", "Pubkey", "Any", "Optional", "LangErrorMessage",
    "InstructionErrorCustom", "TransactionErrorInstructionError", "idl_dict", "annotations", "re",
})


class ErrorDef(NamedTuple):
    name: str  # the class name
    base: str  # PerpPoolError | AnchorError | TokenError
    code: int
    msg: str


def error_defs(idl: dict[str, Any]) -> list[ErrorDef]:
    """Every generated class, in module order; raises ValueError on a duplicate or reserved name."""
    defs = [ErrorDef(e["name"], "PerpPoolError", e["code"], e.get("msg", e["name"])) for e in idl.get("errors", [])]
    defs += [ErrorDef(name, "AnchorError", code, msg) for name, code, msg in ANCHOR_LANG_ERRORS]
    defs += [ErrorDef("Token" + name, "TokenError", i, name) for i, name in enumerate(SPL_TOKEN_ERRORS)]
    seen: set[str] = set()
    for d in defs:
        if not d.name.isidentifier() or d.name.startswith("_"):
            raise ValueError(f"error name {d.name!r} is not a public Python identifier")
        if d.name in seen or d.name in RESERVED_NAMES:
            raise ValueError(f"error name {d.name} defined twice")
        seen.add(d.name)
    return defs


def _literal(text: str) -> str:
    """A double-quoted Python string literal for `text`."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        literal = '"' + literal[1:-1] + '"'  # repr chose single quotes: the text has none
    return literal


def _docstring(text: str) -> str:
    if text and '"' not in text and "\\" not in text and text.isprintable():
        return f'"""{text}"""'
    return _literal(text)


def _table(name: str, base: str, defs: Iterable[ErrorDef]) -> list[str]:
    lines = [f"{name}: dict[int, type[{base}]] = {{"]
    lines += [f"    {d.code}: {d.name}," for d in defs if d.base == base]
    return lines + ["}"]


def render(idl: dict[str, Any]) -> str:
    """The module's text for this IDL."""
    defs = error_defs(idl)
    out = [
        f"# generated by {SCRIPT_NAME} from client/perp_pool/idl/perp_pool.json, do not edit.",
        f"# Regenerate with `{SCRIPT_NAME}`; tests/test_errors_generated.py fails when this file is stale.",
        '"""Named exceptions for every program, Anchor and SPL Token error (import them from',
        '`perp_pool.errors`, which defines their base classes and re-exports these)."""',
        "",
        "from __future__ import annotations",
        "",
        "from perp_pool.errors import AnchorError, PerpPoolError, TokenError",
        "",
        "__all__ = [",
        *[f'    "{d.name}",' for d in defs],
        '    "ANCHOR_ERRORS",',
        '    "PROGRAM_ERRORS",',
        '    "TOKEN_ERRORS",',
        "]",
    ]
    sections = {"PerpPoolError": "# ---- perp_pool program errors (the IDL) ----",
                "AnchorError": "# ---- Anchor's own errors ----",
                "TokenError": "# ---- SPL Token errors ----"}
    current = ""
    for d in defs:
        if d.base != current:
            current = d.base
            out += ["", "", sections[current]]
        out += [
            "",
            "",
            f"class {d.name}({d.base}):",
            f"    {_docstring(d.msg)}",
            "",
            '    __module__ = "perp_pool.errors"',
            f"    code = {d.code}",
            f"    msg = {_literal(d.msg)}",
        ]
    out += ["", ""]
    out += _table("PROGRAM_ERRORS", "PerpPoolError", defs) + [""]
    out += _table("ANCHOR_ERRORS", "AnchorError", defs) + [""]
    out += _table("TOKEN_ERRORS", "TokenError", defs)
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff if the committed module is stale")
    parser.add_argument("--idl", type=Path, default=IDL_PATH, help="the IDL (default: the committed one)")
    parser.add_argument("--output", type=Path, default=OUTPUT_PATH, help="the module to write or check")
    args = parser.parse_args(argv)
    wanted = render(json.loads(args.idl.read_text()))
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current == wanted:
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True),
                                                   str(args.output), "regenerated"))
        print(f"gen-py-errors: {args.output} is stale: run {SCRIPT_NAME}", file=sys.stderr)
        return 1
    args.output.write_text(wanted)
    print(f"gen-py-errors: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
