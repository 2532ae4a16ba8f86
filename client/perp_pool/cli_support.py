"""The CLI's plumbing: settings from options and the config file, running one async action per
command, and printing its result or its error — rich tables for people, exactly one JSON document
on stdout with `--json`.

JSON conventions: amounts are integers in base units (token amounts in the mint's decimals, every
`*_usd` in USD_DECIMALS, prices in PRICE_DECIMALS, rates in RATE_DECIMALS, leverage in BPS);
errors are `{"error": name, "code": n | null, "message": text}` with a non-zero exit code (1 for
failures, 2 for bad input).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, Sequence

import httpx
import typer
from anchorpy.error import AccountDoesNotExistError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from solana.exceptions import SolanaRpcException
from solana.rpc.core import RPCException
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from typer.core import TyperGroup

from perp_pool import config as cli_config
from perp_pool import errors
from perp_pool.cli_units import AmountError, format_price, format_rate_percent, format_units, format_usd
from perp_pool.client import PerpPoolClient, load_keypair
from perp_pool.constants import LP_DECIMALS, QUANTITY_DECIMALS

try:  # typer >= 0.20 vendors click; older typer uses click itself
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover
    from click.exceptions import ClickException  # type: ignore[no-redef]

log = logging.getLogger("perp_pool.cli")

EXIT_FAILURE = 1
EXIT_USAGE = 2
JSON_FLAG = "--json"


class CliError(Exception):
    """A failure the CLI reports by name (bad input, missing account, ...)."""

    def __init__(self, name: str, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.name = name
        self.message = message
        self.exit_code = exit_code


def usage_error(name: str, message: str) -> CliError:
    return CliError(name, message, EXIT_USAGE)


@dataclass
class Settings:
    """Global options, resolved against the config file lazily (a broken config file only matters
    to commands that need it)."""

    rpc_url_option: str | None
    keypair_option: Path | None
    config_path: Path
    json_output: bool
    verbose: int = 0

    def config(self) -> cli_config.CliConfig:
        try:
            return cli_config.load(self.config_path)
        except cli_config.ConfigError as exc:
            raise CliError("InvalidConfig", str(exc)) from exc

    def rpc_url(self) -> tuple[str, str]:
        """(url, where it came from: option | config | default)."""
        if self.rpc_url_option:
            return cli_config.resolve_rpc_url(self.rpc_url_option), "option"
        configured = self.config().json_rpc_url
        if configured:
            return cli_config.resolve_rpc_url(configured), "config"
        return cli_config.DEFAULT_RPC_URL, "default"

    def keypair_path(self) -> tuple[Path, str]:
        if self.keypair_option:
            return self.keypair_option.expanduser(), "option"
        configured = self.config().keypair_path
        if configured:
            return Path(configured).expanduser(), "config"
        return cli_config.DEFAULT_KEYPAIR_PATH.expanduser(), "default"

    def wallet(self) -> Keypair:
        path, source = self.keypair_path()
        try:
            return load_keypair(path)
        except FileNotFoundError:
            raise CliError("KeypairNotFound", f"no keypair file at {path} (from {source}); pass --keypair or "
                           "run `perp-pool config set --keypair PATH`") from None
        except (OSError, ValueError, TypeError) as exc:
            raise CliError("InvalidKeypair", f"cannot read keypair {path}: {exc}") from None


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


# ---- running a command ------------------------------------------------------------------------


def run(ctx: typer.Context, action: Callable[[PerpPoolClient], Awaitable[Report]]) -> None:
    """Connects with the configured wallet, runs `action`, prints its report or its error."""
    settings: Settings = ctx.obj

    async def main() -> Report:
        url, _ = settings.rpc_url()
        client = PerpPoolClient.connect(url, settings.wallet())
        try:
            return await action(client)
        finally:
            await client.close()

    report_or_fail(settings, main)


def run_offline(ctx: typer.Context, action: Callable[[], Report]) -> None:
    """A command that needs no node (config)."""
    settings: Settings = ctx.obj

    async def main() -> Report:
        return action()

    report_or_fail(settings, main)


def report_or_fail(settings: Settings, main: Callable[[], Awaitable[Report]]) -> None:
    try:
        with logging_to_stderr(settings.verbose):
            report = asyncio.run(main())
    except Exception as exc:  # every failure becomes one line / one JSON document
        name, code, message, exit_code = describe_error(exc)
        if name == "ConnectionError":
            message = f"cannot reach the node at {settings.rpc_url()[0]}: {message}"
        log.debug("command failed", exc_info=exc)
        logs = getattr(exc, "logs", None)
        if logs and settings.verbose:
            for line in logs:
                log.info("program log: %s", line)
        emit_error(settings.json_output, name, code, message)
        raise typer.Exit(exit_code) from None
    emit(settings, report)


def describe_error(exc: BaseException) -> tuple[str, int | None, str, int]:
    """(name, code, message, exit code) of any failure."""
    if isinstance(exc, CliError):
        return exc.name, None, exc.message, exc.exit_code
    if isinstance(exc, AmountError):
        return "InvalidAmount", None, str(exc), EXIT_USAGE
    if isinstance(exc, errors.InstructionFailed):
        return exc.kind or "InstructionFailed", None, str(exc), EXIT_FAILURE
    if isinstance(exc, errors.TransactionFailed):
        if exc.code is not None:
            return type(exc).__name__, exc.code, exc.msg, EXIT_FAILURE
        return type(exc).__name__, None, str(exc), EXIT_FAILURE
    if isinstance(exc, AccountDoesNotExistError):
        return "AccountNotFound", None, str(exc), EXIT_FAILURE
    if isinstance(exc, SolanaRpcException) and exc.__cause__ is not None:
        exc = exc.__cause__  # solana-py wraps the transport error
    if isinstance(exc, (httpx.HTTPError, ConnectionError)):
        return "ConnectionError", None, f"{type(exc).__name__}: {exc}", EXIT_FAILURE
    if isinstance(exc, (RPCException, SolanaRpcException)):
        return "RpcError", None, str(exc) or type(exc).__name__, EXIT_FAILURE
    return type(exc).__name__, None, str(exc) or type(exc).__name__, EXIT_FAILURE


def emit_error(json_output: bool, name: str, code: int | None, message: str) -> None:
    if json_output:
        sys.stdout.write(json.dumps({"error": name, "code": code, "message": message}) + "\n")
    else:
        suffix = f" ({code})" if code is not None else ""
        error_console().print(f"[bold red]error[/]: {escape(name)}{suffix}: {escape(message)}", markup=True,
                              highlight=False)


def emit(settings: Settings, report: Report) -> None:
    if settings.json_output:
        sys.stdout.write(json.dumps(report.data, sort_keys=False) + "\n")
    elif report.render is not None:
        report.render(console())
    else:
        render_mapping(console(), report.data)


def hoist_json_flag(args: Sequence[str]) -> list[str]:
    """`perp-pool pool info X --json` works like `perp-pool --json pool info X`."""
    args = list(args)
    if JSON_FLAG in args[1:]:
        args = [JSON_FLAG] + [a for a in args if a != JSON_FLAG]
    return args


class JsonAwareGroup(TyperGroup):
    """The root command: with `--json`, even usage errors are one JSON document on stdout."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        args = hoist_json_flag(sys.argv[1:] if args is None else args)
        if JSON_FLAG not in args:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            # Non-standalone: a `typer.Exit(n)` comes back as the return value n.
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickException as exc:
            emit_error(True, "UsageError", None, exc.format_message())
            rv = exc.exit_code or EXIT_USAGE
        except typer.Abort:
            emit_error(True, "Aborted", None, "aborted")
            rv = EXIT_FAILURE
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


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
               "lp_cooldown_remaining_sec"}


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
            out.print(f"[bold green]{self.event}[/]  tx {self.signature} (slot {self.slot})")
            top = {k: v for k, v in self.extra.items() if not isinstance(v, dict) and self.data.get(k) != v}
            if top:
                render_mapping(out, top, token_decimals=token_decimals)
            render_mapping(out, self.data, token_decimals=token_decimals)

        return Report(doc, render)


def summarize(result: Any, event: str, **extra: Any) -> TxSummary:
    """`result` is a transport.TxResult; `event` names the event to report."""
    return TxSummary(str(result.signature), result.slot, event, jsonable(result.event(event).data),
                     {k: jsonable(v) for k, v in extra.items()})


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (test runners swap it per invocation)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


@contextlib.contextmanager
def logging_to_stderr(verbose: int) -> Iterator[None]:
    """While a command runs, logs of the `perp_pool` package (CLI, client, keepers) go to stderr:
    info with -v, debug with -vv (without -v only warnings, through logging's default). Scoped, so
    running the CLI in-process leaves the host's logging as it was."""
    if verbose <= 0:
        yield
        return
    package = logging.getLogger("perp_pool")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    previous = package.level
    package.addHandler(handler)
    package.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    try:
        yield
    finally:
        package.removeHandler(handler)
        package.setLevel(previous)
