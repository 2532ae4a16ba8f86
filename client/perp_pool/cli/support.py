"""The CLI's plumbing: settings from options and the config file, running one async action per
command and turning its result or its error into output (perp_pool.cli.output) and an exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from solders.keypair import Keypair
from solders.pubkey import Pubkey

# typer documents `Typer(cls=...)` as taking "a subtype of `TyperGroup`" (the reference of
# typer.Typer), and typer.core is a public module: this is the supported way to customise the root.
from typer.core import TyperGroup

from perp_pool import config as cli_config
from perp_pool import failures
from perp_pool.cli.output import Report, emit, emit_error
from perp_pool.cli.units import AmountError
from perp_pool.client import PerpPoolClient, load_keypair

# What the parser raises for bad usage when not in standalone mode. typer 0.28+ exports its base
# publicly; older releases only have click's ClickException (vendored, privately, since 0.26). The
# type checker sees the typer the lint environment installs (0.28+), so only the first branch.
if TYPE_CHECKING:
    from typer import TyperException as ParserError
else:
    try:
        from typer import TyperException as ParserError
    except ImportError:  # pragma: no cover
        try:
            from typer._click.exceptions import ClickException as ParserError
        except ImportError:
            from click.exceptions import ClickException as ParserError

log = logging.getLogger("perp_pool.cli")

EXIT_FAILURE = failures.EXIT_FAILED
EXIT_USAGE = failures.EXIT_USAGE
EXIT_NOT_FOUND = failures.EXIT_NOT_FOUND
JSON_FLAG = "--json"
# The node every command talks to when --rpc-url is not given (before the config file's).
RPC_URL_ENV = "PERP_POOL_RPC_URL"


class CliError(Exception):
    """A failure the CLI reports by name (bad input, missing account, ...)."""

    def __init__(self, name: str, message: str, exit_code: int = EXIT_FAILURE):
        super().__init__(message)
        self.name = name
        self.message = message
        self.exit_code = exit_code


def usage_error(name: str, message: str) -> CliError:
    return CliError(name, message, EXIT_USAGE)


def not_found(name: str, message: str) -> CliError:
    return CliError(name, message, EXIT_NOT_FOUND)


@dataclass
class Settings:
    """Global options, resolved against the environment and the config file lazily (a broken
    config file only matters to commands that need it)."""

    rpc_url_option: str | None
    keypair_option: Path | None
    config_path: Path
    json_output: bool
    verbose: int = 0
    wallet_pubkey: Pubkey | None = None  # once a command loaded the wallet: named in its errors

    def config(self) -> cli_config.CliConfig:
        try:
            return cli_config.load(self.config_path)
        except cli_config.ConfigError as exc:
            raise CliError("InvalidConfig", str(exc), EXIT_USAGE) from exc

    def rpc_url(self) -> tuple[str, str]:
        """(url, where it came from: option | env | config | default)."""
        if self.rpc_url_option:
            return cli_config.resolve_rpc_url(self.rpc_url_option), "option"
        if os.environ.get(RPC_URL_ENV):
            return cli_config.resolve_rpc_url(os.environ[RPC_URL_ENV]), "env"
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
            keypair = load_keypair(path)
        except FileNotFoundError:
            raise not_found("KeypairNotFound", f"no keypair file at {path} (from {source}): create one with "
                            "`perp-pool wallet new` (or `perp-pool localnet`), or pass --keypair") from None
        except (OSError, ValueError, TypeError) as exc:
            raise CliError("InvalidKeypair", f"cannot read keypair {path}: {exc}", EXIT_USAGE) from None
        self.wallet_pubkey = keypair.pubkey()
        return keypair


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


def report_or_fail(settings: Settings, main: Callable[[], Coroutine[Any, Any, Report]]) -> None:
    try:
        with logging_to_stderr(settings.verbose):
            report = asyncio.run(main())
    except KeyboardInterrupt:
        emit_error(settings.json_output, "Interrupted", None, "interrupted (Ctrl-C)")
        raise typer.Exit(130) from None
    except Exception as exc:  # every failure becomes one line / one JSON document
        name, code, message, exit_code = describe_error(exc, settings)
        with logging_to_stderr(settings.verbose):
            log.debug("command failed", exc_info=exc)  # the traceback: -vv only
            logs = getattr(exc, "logs", None)
            if logs and settings.verbose:
                for line in logs:
                    log.info("program log: %s", line)
        emit_error(settings.json_output, name, code, message)
        raise typer.Exit(exit_code) from None
    emit(settings.json_output, report)


def describe_error(exc: BaseException, settings: Settings | None = None) -> tuple[str, int | None, str, int]:
    """(name, code, message, exit code) of any failure: the CLI's own, else perp_pool.failures'."""
    if isinstance(exc, CliError):
        return exc.name, None, exc.message, exc.exit_code
    if isinstance(exc, AmountError):
        return "InvalidAmount", None, str(exc), EXIT_USAGE
    url = None
    if settings is not None:
        with contextlib.suppress(CliError):
            url = settings.rpc_url()[0]
    keypair = str(settings.keypair_option) if settings is not None and settings.keypair_option else None
    f = failures.describe(exc, wallet=settings.wallet_pubkey if settings else None, url=url, keypair=keypair)
    return f.name, f.code, f.message, f.exit_code


def hoist_json_flag(args: Sequence[str]) -> list[str]:
    """`perp-pool pool info X --json` works like `perp-pool --json pool info X`."""
    args = list(args)
    if JSON_FLAG in args[1:]:
        args = [JSON_FLAG] + [a for a in args if a != JSON_FLAG]
    return args


class JsonAwareGroup(TyperGroup):
    """The root command: with `--json`, even usage errors are one JSON document on stdout."""

    # [override]: click's later parameters (windows_expand_args) pass through, untouched, in
    # **extra, so this signature holds for every click version typer>=0.12 may bring.
    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        args = hoist_json_flag(sys.argv[1:] if args is None else args)
        if JSON_FLAG not in args:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            # Non-standalone: a `typer.Exit(n)` comes back as the return value n.
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ParserError as exc:
            emit_error(True, "UsageError", None, exc.format_message())
            rv = exc.exit_code or EXIT_USAGE
        except typer.Abort:
            emit_error(True, "Aborted", None, "aborted")
            rv = EXIT_FAILURE
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


# StreamHandler[TextIO] only subscripts at runtime from Python 3.11 (requires-python is 3.10).
class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time (test runners swap it per invocation)."""

    @property
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
