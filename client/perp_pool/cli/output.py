"""Printing a command's result or error: rich tables for people, exactly one JSON document on
stdout with `--json`.

JSON conventions: amounts are integers in base units (token amounts in the mint's decimals, every
`*_usd` in USD_DECIMALS, prices in PRICE_DECIMALS, rates in RATE_DECIMALS, leverage in BPS);
errors are `{"error": name, "code": n | null, "message": text}` with a non-zero exit code (1 for
failures, 2 for bad input).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from solders.pubkey import Pubkey

from perp_pool.cli.units import format_price, format_rate_percent, format_units, format_usd
from perp_pool.constants import LP_DECIMALS, QUANTITY_DECIMALS


@dataclass
class Report:
    """What a command produced: `data` is the JSON document; `render` prints it for people."""

    data: dict[str, Any]
    render: Callable[[Console], None] | None = None


def console() -> Console:
    # Bound to the current sys.stdout at call time (test runners swap it).
    return Console(file=sys.stdout, highlight=False, soft_wrap=False)


def error_console() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def emit_error(json_output: bool, name: str, code: int | None, message: str) -> None:
    if json_output:
        sys.stdout.write(json.dumps({"error": name, "code": code, "message": message}) + "\n")
    else:
        suffix = f" ({code})" if code is not None else ""
        for line in message.splitlines() or [""]:  # several problems (a config's): one line each
            error_console().print(f"[bold red]error[/]: {escape(name)}{suffix}: {escape(line)}", markup=True,
                                  highlight=False)


def emit(json_output: bool, report: Report) -> None:
    if json_output:
        sys.stdout.write(json.dumps(report.data, sort_keys=False) + "\n")
    elif report.render is not None:
        report.render(console())
    else:
        render_mapping(console(), report.data)


# ---- values to JSON and to text ---------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """anchorpy-decoded accounts/events (dataclasses, enum variants, Pubkeys) -> plain JSON."""
    if isinstance(value, Pubkey):
        return str(value)
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, (bytes, bytearray)):
        return list(value)
    variant_fields = getattr(type(value), "__attrs_attrs__", None)
    if variant_fields is not None:  # a borsh enum variant (sumtypes / attrs): Side.Long(), OracleType.Custom()
        name = type(value).__name__.rstrip("_").lower()
        if not variant_fields:
            return name
        return {"kind": name, **{f.name: jsonable(getattr(value, f.name)) for f in variant_fields}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {f.name: jsonable(getattr(value, f.name)) for f in fields}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


_LP_FIELDS = {"lp_amount_out", "lp_amount_in", "lp_supply", "dead_lp_amount", "dead_lp_supply", "lp_balance",
              "quote_lp_amount_out", "min_lp_amount_out"}
_QUANTITY_FIELDS = {"quantity", "quantity_delta"}  # position size in the traded token
_PRICE_FIELDS = {"price", "entry_price", "exit_price", "quote_price", "price_limit", "ema", "conf",
                 "liquidation_price", "spot", "min", "max"}
_RAW_FIELDS = {"slot", "time", "publish_time", "price_exponent", "expo", "cumulative_interest", "decimals",
               "open_time", "update_time", "custody_count", "unlock_time", "deposit_slot", "lp_cooldown_sec",
               "lp_cooldown_remaining_sec", "lock_end", "lock_time", "week", "tier", "reward_index",
               "pulled_routed", "lock_remaining_sec", "weighted_remaining_lock_sec"}


_ORACLE_READING_FIELDS = {"price", "conf", "ema"}  # raw oracle fields: scaled by the reading's own expo


def format_field(name: str, value: Any, token_decimals: int | None, expo: int | None = None) -> str:
    """Display text for one field, by the unit its name implies (see the module docstring). `expo`:
    the exponent of the oracle reading the field belongs to (an event or account with an `expo`),
    which then scales `price`, `conf` and `ema` instead of PRICE_DECIMALS."""
    if not isinstance(value, int) or isinstance(value, bool) or name in _RAW_FIELDS:
        return str(value)
    if expo is not None and name in _ORACLE_READING_FIELDS and expo <= 0:
        return format_units(value, -expo, group=True)
    if name in _LP_FIELDS:
        return format_units(value, LP_DECIMALS, group=True)
    if name in _QUANTITY_FIELDS:
        return format_units(value, QUANTITY_DECIMALS, group=True)
    if name.endswith("_usd") or name == "usd":
        return format_usd(value)
    if name in _PRICE_FIELDS or name.endswith("_price"):
        return format_price(value)
    if name in ("utilization", "borrow_rate"):
        return format_rate_percent(value) + ("/h" if name == "borrow_rate" else "")
    if token_decimals is not None and not name.endswith("_bps"):
        return format_units(value, token_decimals, group=True)
    return str(value)


def render_mapping(out: Console, data: dict[str, Any], *, title: str | None = None,
                   token_decimals: int | None = None) -> None:
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    expo = data.get("expo")
    expo = expo if isinstance(expo, int) and not isinstance(expo, bool) else None
    for key, value in data.items():
        if isinstance(value, dict):
            continue
        table.add_row(key, format_field(key, value, token_decimals, expo))
    out.print(table)
    for key, value in data.items():
        if isinstance(value, dict):
            render_mapping(out, value, title=key, token_decimals=token_decimals)


def short(key: str | Pubkey, width: int = 4) -> str:
    text = str(key)
    return text if len(text) <= 2 * width + 1 else f"{text[:width]}…{text[-width:]}"


# ---- transactions -----------------------------------------------------------------------------


@dataclass
class TxSummary:
    """A landed transaction and the one event that says what it did."""

    signature: str
    slot: int
    event: str
    data: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def report(self, token_decimals: int | None) -> Report:
        doc = {"signature": self.signature, "slot": self.slot, **self.extra, "event": self.event, "data": self.data}

        def render(out: Console) -> None:
            out.print(f"[bold green]{self.event}[/]  tx {self.signature} (slot {self.slot})", soft_wrap=True)
            top = {k: v for k, v in self.extra.items() if not isinstance(v, dict) and self.data.get(k) != v}
            if top:
                render_mapping(out, top, token_decimals=token_decimals)
            render_mapping(out, self.data, token_decimals=token_decimals)

        return Report(doc, render)


def summarize(result: Any, event: str, **extra: Any) -> TxSummary:
    """`result` is a transport.TxResult; `event` names the event to report."""
    return TxSummary(str(result.signature), result.slot, event, jsonable(result.event(event).data),
                     {k: jsonable(v) for k, v in extra.items()})
