"""Expected failures as one line saying what happened and what to do, with an exit code.

Shared by the `perp-pool` CLI (commands, keepers, bots, `localnet`) and migrations/deploy.py, so
the same failure reads the same everywhere:

    exit 1  FAILED       the program or the node refused (program errors, a refused airdrop)
    exit 2  USAGE        bad input: an option, an amount, a config file
    exit 3  NOT_FOUND    a pool, custody, position, mint, token account or keypair file is missing
    exit 4  NO_FUNDS     the wallet lacks the SOL or tokens the transaction needs
    exit 5  UNREACHABLE  no node answers at the RPC URL

Tracebacks are for `-vv` only: callers log them at debug level.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

import httpx
from anchorpy.error import AccountDoesNotExistError
from solana.exceptions import SolanaRpcException
from solana.rpc.core import RPCException
from solders.pubkey import Pubkey
from solders.transaction_status import (
    InstructionErrorCustom,
    TransactionErrorFieldless,
    TransactionErrorInstructionError,
    TransactionErrorInsufficientFundsForRent,
)

from perp_pool import errors
from perp_pool.constants import BPS_POWER, MAX_SENIOR_JUNIOR_RATIO_BPS, MAX_SENIOR_RATE_BPS

__all__ = ["EXIT_FAILED", "EXIT_NOT_FOUND", "EXIT_NO_FUNDS", "EXIT_UNREACHABLE", "EXIT_USAGE", "Failure",
           "WalletHasNoSol", "describe", "is_local_url", "no_sol", "unreachable"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_NO_FUNDS = 4
EXIT_UNREACHABLE = 5

SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
SYSTEM_INSUFFICIENT_LAMPORTS = 1  # SystemError::ResultWithNegativeLamports ("Transfer: insufficient lamports")

# What to do about the program errors a user meets first (the program's own message says what).
PROGRAM_ERROR_HINTS = {
    "StaleOraclePrice": "publish a fresh price (`perp-pool oracle set --pool POOL --mint MINT --price USD`, as the "
                        "oracle authority), or wait for the oracle pusher",
    "OracleFutureTimestamp": "the oracle's publish time is ahead of the node's clock: publish again",
    "OraclePriceConfidenceTooLow": "publish a price with a narrower --conf",
    "LiquidityCooldownActive": "wait until the cooldown ends (`perp-pool lp withdraw ... --wait` waits for you)",
    "WithdrawalInDepositSlot": "wait one slot after the pool's last deposit and try again",
    "SlippageExceeded": "the quote moved: try again, or accept more with --slippage-bps",
    "PriceSlippage": "the price moved past your limit: try again, or accept more with --slippage-bps",
    "MaxLeverageExceeded": "lower --size or add collateral (--amount)",
    "MinLeverageNotMet": "raise --size or use less collateral (--amount)",
    "MaxPositionSizeExceeded": "open a smaller position (--size)",
    "MaxUtilizationExceeded": "the pool has too little free liquidity for this size: open less, or deposit first",
    "MaxTotalLockedExceeded": "the collateral custody's lending cap is reached: open less",
    "InsufficientLiquidity": "the custody has too few unlocked tokens: withdraw less",
    "InsufficientCollateral": "add collateral, or take out less",
    "PositionHealthy": "the position is above its maintenance margin at the current price: nothing to liquidate",
    "InstructionNotAllowed": "the admin has paused this instruction (permissions)",
    "Unauthorized": "sign with the admin's keypair (--keypair)",
    "InvalidOracleAuthority": "sign with the custody's oracle authority (--keypair)",
    "EmptyPool": "deposit liquidity first (`perp-pool lp deposit`)",
    "NoExposureChange": "the size is too small for the price: use a larger --size",
    # LP tranches: what the LP or the admin can do about each refusal.
    "CoverageLimitExceeded": "the senior tranche may be at most the pool's coverage limit times the junior NAV "
                             "(`perp-pool pool info POOL` shows both): deposit less into the senior tranche, "
                             "withdraw less junior LP, or wait for more junior capital",
    "JuniorTrancheWipedOut": "losses have used up the junior tranche, so junior LP has no price until the pool "
                             "recovers (`perp-pool pool info POOL`); senior LP can still be withdrawn",
    "TrancheSetupNotAllowed": "a senior tranche can only be added to a pool that has none and has issued no LP "
                              "yet: create a new pool with one (deploy config: [pools.tranches])",
    "InvalidTrancheConfig": f"the senior rate must be at most {MAX_SENIOR_RATE_BPS} bps a year and the coverage "
                            f"limit 1 to {MAX_SENIOR_JUNIOR_RATIO_BPS} bps "
                            f"({MAX_SENIOR_JUNIOR_RATIO_BPS // BPS_POWER}x), on a pool that has a senior tranche",
}


class WalletHasNoSol(Exception):
    """Raised before sending anything when the wallet cannot pay a single fee."""


@dataclass(frozen=True)
class Failure:
    """One expected failure: `name` (a program error's name, or ours), the line to print, the exit code."""

    name: str
    message: str
    exit_code: int = EXIT_FAILED
    code: int | None = None  # the program's error code, if any


def is_local_url(url: str | None) -> bool:
    host = urlparse(url or "").hostname or ""
    return host in ("127.0.0.1", "localhost", "::1", "0.0.0.0")


def _cluster_hint(url: str | None, keypair: str | None) -> str:
    cli = f"perp-pool --keypair {keypair}" if keypair else "perp-pool"
    if is_local_url(url):
        return f"run `{cli} wallet airdrop 10`"
    host = urlparse(url or "").hostname or ""
    if "mainnet" in host:
        return "send it some SOL"
    return f"run `{cli} wallet airdrop 1` (or use https://faucet.solana.com)"


def no_sol(wallet: Pubkey | None, url: str | None, *, some: bool = False, keypair: str | None = None) -> Failure:
    """`keypair`: the wallet's keypair file when it is not the CLI's default (named in the hint)."""
    who = f"the wallet {wallet}" if wallet else "the wallet"
    what = "does not have enough SOL for this transaction" if some else "has no SOL to pay for transactions"
    return Failure("NoSol" if not some else "NotEnoughSol", f"{who} {what}: {_cluster_hint(url, keypair)}",
                   EXIT_NO_FUNDS)


def unreachable(url: str | None, detail: str = "") -> Failure:
    tail = f" ({detail})" if detail else ""
    if is_local_url(url):
        todo = "start one with `perp-pool localnet` (or `make localnet`), or pass --rpc-url"
    else:
        todo = "check the URL (--rpc-url) and your network"
    return Failure("NodeUnreachable", f"cannot reach a node at {url}{tail}: {todo}", EXIT_UNREACHABLE)


def _transaction_failure(exc: errors.TransactionFailed, wallet: Pubkey | None, url: str | None,
                         keypair: str | None) -> Failure:
    err = exc.err
    if err == TransactionErrorFieldless.AccountNotFound:  # the fee payer has never held lamports
        return no_sol(wallet, url, keypair=keypair)
    if err == TransactionErrorFieldless.InsufficientFundsForFee or isinstance(
            err, TransactionErrorInsufficientFundsForRent):
        return no_sol(wallet, url, some=True, keypair=keypair)
    if exc.program_id == SYSTEM_PROGRAM_ID and _custom_code(err) == SYSTEM_INSUFFICIENT_LAMPORTS:
        return no_sol(wallet, url, some=True, keypair=keypair)
    name = type(exc).__name__
    if isinstance(exc, errors.TokenError):
        if name == "TokenInsufficientFunds":
            return Failure("NotEnoughTokens", "the token account holds fewer tokens than this moves: check with "
                           "`perp-pool wallet balance --mint MINT` (test tokens: `perp-pool faucet`)", EXIT_NO_FUNDS,
                           exc.code)
        if name == "TokenAccountFrozen":
            return Failure(name, "a token account is frozen (LP in its deposit cooldown?): wait for the cooldown, "
                           "then `perp-pool lp unlock`", EXIT_FAILED, exc.code)
    if isinstance(exc, errors.InstructionFailed):
        return Failure(exc.kind or "InstructionFailed", str(exc), EXIT_FAILED)
    if exc.code is not None:
        hint = PROGRAM_ERROR_HINTS.get(name)
        if name == "AccountNotInitialized":
            hint = "an account it needs does not exist yet (a token account?)"
        return Failure(name, f"{exc.msg}{': ' + hint if hint else ''}", EXIT_FAILED, exc.code)
    return Failure(name, str(exc), EXIT_FAILED)


def _custom_code(err: object) -> int | None:
    """The custom code of an instruction error (`InstructionErrorCustom`), else None."""
    if isinstance(err, TransactionErrorInstructionError) and isinstance(err.err, InstructionErrorCustom):
        code: int = err.err.code
        return code
    return None


def describe(exc: BaseException, *, wallet: Pubkey | None = None, url: str | None = None,
             keypair: str | None = None) -> Failure:
    """Any failure -> (name, one line saying what to do, exit code); `wallet`, `url` and `keypair`
    (the wallet's file, when not the CLI's default) make the line concrete."""
    if isinstance(exc, WalletHasNoSol):
        return no_sol(wallet, url, keypair=keypair)
    if isinstance(exc, errors.TransactionFailed):
        return _transaction_failure(exc, wallet, url, keypair)
    if isinstance(exc, AccountDoesNotExistError):
        return Failure("AccountNotFound", str(exc), EXIT_NOT_FOUND)
    if isinstance(exc, SolanaRpcException) and exc.__cause__ is not None:
        exc = exc.__cause__  # solana-py wraps the transport error
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, ConnectionError)):
        return unreachable(url, type(exc).__name__)
    if isinstance(exc, httpx.HTTPError):
        return Failure("RpcError", f"the node at {url} failed: {type(exc).__name__}: {exc}", EXIT_FAILED)
    if isinstance(exc, (RPCException, SolanaRpcException)):
        return Failure("RpcError", _rpc_message(exc), EXIT_FAILED)
    return Failure(type(exc).__name__, str(exc) or type(exc).__name__, EXIT_FAILED)


def _rpc_message(exc: Exception) -> str:
    """An RPC error's own message (solders wraps it in a struct whose repr spans lines)."""
    info = exc.args[0] if exc.args else None
    message = getattr(info, "message", None)
    text = message if isinstance(message, str) else (str(exc) or type(exc).__name__)
    return " ".join(text.split())
