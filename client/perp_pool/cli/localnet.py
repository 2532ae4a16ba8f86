"""`perp-pool localnet`: a local node with the program, a funded wallet and ready-to-trade pools, in
the foreground until Ctrl-C (like `solana-test-validator` / `anchor localnet`).

It serves on the port of the RPC URL the other commands use (--rpc-url, PERP_POOL_RPC_URL, the
config file, else http://127.0.0.1:8899), so they find it without options; creates the wallet's
keypair file if there is none and airdrops it SOL; deploys a pools config (migrations/
pools.example.toml by default: a USDC liquidity custody and SOL and BTC markets, with the wallet as
admin, oracle authority and mint authority of the test mints, prices written at deploy); prints
what to use next; and stops the node on Ctrl-C or SIGTERM.

The node keeps its chain in `--ledger` (default .perp-localnet/: the node's `ledger/` and its log),
so a stopped node continues where it stopped (the deploy is idempotent); `--reset` starts afresh.
PubSub is served on the RPC port + 1, as solana-test-validator does.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any
from urllib.parse import urlparse

import httpx
import typer
from rich.console import Console

from perp_pool import deploy as deployment
from perp_pool.cli.output import Report, emit, emit_error, error_console
from perp_pool.cli.support import CliError, Settings, describe_error, logging_to_stderr, not_found, usage_error
from perp_pool.cli.tables import column
from perp_pool.cli.units import format_units, parse_units
from perp_pool.cli.wallet import SOL_DECIMALS, write_new_keypair
from perp_pool.client import PerpPoolClient
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.localnet import LocalNode, find_binary

log = logging.getLogger("perp_pool.cli")

EXAMPLE_CONFIG = Path("migrations") / "pools.example.toml"
DEFAULT_LEDGER = Path(".perp-localnet")
LOCAL_HOSTS = ("127.0.0.1", "localhost")


def default_pools_config() -> Path | None:
    """migrations/pools.example.toml of the checkout we run from (the working directory or one above
    it, else the one this package is installed from in editable mode)."""
    for start in (Path.cwd(), Path(__file__).resolve()):
        for parent in (start, *start.parents):
            if (parent / EXAMPLE_CONFIG).is_file():
                return parent / EXAMPLE_CONFIG
    return None


def local_port(url: str) -> int:
    parsed = urlparse(url)
    if parsed.scheme != "http" or parsed.hostname not in LOCAL_HOSTS:
        raise usage_error("NotALocalUrl", f"the local node serves http on 127.0.0.1, but the RPC URL is {url}: "
                          "pass --rpc-url http://127.0.0.1:PORT (or unset PERP_POOL_RPC_URL / the config's)")
    return parsed.port or 80


def check_port_free(url: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return
        except OSError:
            pass
    try:
        healthy = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getHealth"}, timeout=2).json()
    except (httpx.HTTPError, ValueError):
        healthy = None
    if healthy:
        raise CliError("NodeAlreadyRunning", f"a node is already running at {url}: use it, stop it (Ctrl-C in its "
                       "terminal), or start another with --rpc-url http://127.0.0.1:OTHER_PORT")
    raise CliError("PortInUse", f"port {port} is in use by another program: choose another with "
                   "--rpc-url http://127.0.0.1:OTHER_PORT")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def localnet_command(
    ctx: typer.Context,
    pools: Annotated[Path | None, typer.Option("--pools", help="Pools config (TOML) to deploy. Default: "
                                               "migrations/pools.example.toml.")] = None,
    no_deploy: Annotated[bool, typer.Option("--no-deploy", help="Deploy nothing: a bare node and a funded "
                                            "wallet.")] = False,
    sol_text: Annotated[str, typer.Option("--sol", help="SOL to airdrop to the wallet.")] = "100",
    slot_ms: Annotated[int, typer.Option("--slot-ms", min=10, help="Slot duration in milliseconds.")] = 400,
    ledger: Annotated[Path, typer.Option("--ledger", help="Directory for the node's chain (ledger/) and log: a "
                                         "restart continues from it.")] = DEFAULT_LEDGER,
    reset: Annotated[bool, typer.Option("--reset", help="Start the chain afresh (delete the ledger's "
                                        "state).")] = False,
) -> None:
    """Start a local node in the foreground with a funded wallet and the example pools deployed;
    Ctrl-C stops it."""
    settings: Settings = ctx.obj
    node: LocalNode | None = None
    status = error_console()
    exit_code = 0
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        with logging_to_stderr(settings.verbose):
            node, report = _start(settings, status, pools, no_deploy, sol_text, slot_ms, ledger, reset)
            emit(settings.json_output, report)
            sys.stdout.flush()
            while node.proc is not None and node.proc.poll() is None:
                time.sleep(0.2)
            code = node.proc.returncode if node.proc is not None else None
            raise CliError("NodeExited", f"perp-localnet exited by itself (code {code}): see {node.log_path}")
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        name, code, message, exit_code = describe_error(exc, settings)
        with logging_to_stderr(settings.verbose):
            log.debug("localnet failed", exc_info=exc)  # the traceback: -vv only
        emit_error(settings.json_output, name, code, message)
    finally:
        signal.signal(signal.SIGTERM, previous)
        if node is not None:
            node.stop()
            status.print(f"perp-localnet stopped (its chain is kept in {ledger / 'ledger'}; --reset starts "
                         "afresh)", markup=False)
    raise typer.Exit(exit_code)


def _start(settings: Settings, status: Console, pools: Path | None, no_deploy: bool, sol_text: str, slot_ms: int,
           ledger: Path, reset: bool) -> tuple[LocalNode, Report]:
    url, url_source = settings.rpc_url()
    port = local_port(url)
    lamports = parse_units(sol_text, SOL_DECIMALS, what="SOL amount")
    spec = None
    if not no_deploy:
        config = pools or default_pools_config()
        if config is None:
            raise not_found("PoolsConfigNotFound", f"no {EXAMPLE_CONFIG} here or above: run from the repository, "
                            "or pass --pools CONFIG (or --no-deploy)")
        try:
            spec = deployment.load(config)
        except deployment.SpecError as exc:
            raise usage_error("InvalidPoolsConfig", "\n".join(f"{exc.source}: {p}" for p in exc.problems)) from None
    check_port_free(url, port)
    try:
        binary = find_binary()
    except FileNotFoundError:
        binary = None
    if binary is None or not binary.is_file():
        where = f" (PERP_LOCALNET_BIN is {binary}, which does not exist)" if binary is not None else ""
        raise not_found("NodeNotBuilt", f"perp-localnet is not built{where}: run `make build`, or set "
                        "PERP_LOCALNET_BIN to the binary")
    keypair_path, _ = settings.keypair_path()
    created = False
    if not keypair_path.exists():
        write_new_keypair(keypair_path)
        created = True
    wallet = settings.wallet()
    ledger.mkdir(parents=True, exist_ok=True)
    log_path = ledger / "perp-localnet.log"
    status.print(f"starting perp-localnet on {url} (log: {log_path})", markup=False)
    chain = ledger / "ledger"
    node = LocalNode(slot_ms=slot_ms, port=port, log_path=log_path, pubsub_port=port + 1,
                     extra_args=["--ledger", str(chain), *(["--reset"] if reset else [])])
    try:
        node.start()
    except (RuntimeError, TimeoutError) as exc:
        raise CliError("NodeFailed", f"{exc}: see {log_path}") from None
    try:
        pools_deployed, balance = asyncio.run(_fund_and_deploy(node.url, wallet, lamports, spec, settings, status))
    except BaseException:
        node.stop()
        raise
    data: dict[str, Any] = {
        "rpc_url": url, "wallet": str(wallet.pubkey()), "keypair": str(keypair_path), "wallet_created": created,
        "lamports": balance, "node_log": str(log_path), "persistent": True, "ledger": str(chain),
        "websocket_url": node.ws_url,
        "pools": [_pool_json(p) for p in pools_deployed],
    }
    flag = f" --rpc-url {url}" if url_source == "option" else ""
    return node, Report(data, lambda out: _render(out, data, pools_deployed, flag))


async def _fund_and_deploy(url: str, wallet: Any, lamports: int, spec: deployment.DeploySpec | None,
                           settings: Settings, status: Console) -> tuple[list[deployment.DeployedPool], int]:
    client = PerpPoolClient.connect(url, wallet)
    try:
        signature = (await client.connection.request_airdrop(wallet.pubkey(), lamports)).value
        await client.connection.confirm_transaction(signature, sleep_seconds=0.1)
        deployed: list[deployment.DeployedPool] = []
        if spec is not None:
            status.print(f"deploying {spec.source}", markup=False)

            def step(s: deployment.Step) -> None:
                if settings.verbose:
                    status.print("  " + s.text(), markup=False, highlight=False)

            deployed = await deployment.deploy(spec, client, report=step)
        balance = (await client.connection.get_balance(wallet.pubkey())).value
        return deployed, balance
    finally:
        await client.close()


def _pool_json(p: deployment.DeployedPool) -> dict[str, Any]:
    return {"name": p.name, "address": str(p.address), "lp_mint": str(p.lp_mint), "lp_cooldown_sec": p.lp_cooldown_sec,
            "senior_lp_mint": str(p.senior_lp_mint) if p.senior_lp_mint else None,
            "custodies": [{"symbol": c.symbol, "mint": str(c.mint), "custody": str(c.custody), "decimals": c.decimals,
                           "is_stable": c.is_stable, "tradeable": c.tradeable, "price": c.price}
                          for c in p.custodies]}


def _render(out: Console, data: dict[str, Any], pools: list[deployment.DeployedPool], flag: str) -> None:
    def line(text: str = "") -> None:
        out.print(text, markup=False, highlight=False, soft_wrap=True)

    line("perp-localnet is running: Ctrl-C stops it")
    line(f"  RPC URL   {data['rpc_url']}")
    line(f"  wallet    {data['wallet']}")
    line(f"  keypair   {data['keypair']} ({'created' if data['wallet_created'] else 'existing'})")
    line(f"  balance   {format_units(data['lamports'], SOL_DECIMALS, group=True)} SOL")
    line(f"  node log  {data['node_log']}")
    line(f"  websocket {data['websocket_url']}")
    line(f"  ledger    {data['ledger']} (kept: a restart continues from it)")
    for p in pools:
        line()
        line(f"pool {p.name}: {p.address} (LP cooldown {p.lp_cooldown_sec} s)")
        if p.senior_lp_mint:
            line(f"  tranched: senior LP mint {p.senior_lp_mint}")
        prices = column([c.price for c in p.custodies], PRICE_DECIMALS, max_places=4, missing="-")
        width = max(len(c.symbol) for c in p.custodies)
        price_width = max(len(x) for x in prices)
        for c, price in zip(p.custodies, prices, strict=True):
            kind = "stable" if c.is_stable else ("market" if c.tradeable else "asset")
            line(f"  {c.symbol:<{width}}  {c.mint}  {kind:<6}  {price:>{price_width}} USD")
    line()
    line("The wallet is the admin, the oracle authority and the test mints' authority.")
    stable = next((c for p in pools for c in p.custodies if c.is_stable), None)
    market = next((c for p in pools for c in p.custodies if c.tradeable and not c.is_stable), None)
    if stable is None or market is None:
        line(f"Next, in another terminal: perp-pool{flag} wallet balance")
        return
    names = {c.symbol: c.mint for c in pools[0].custodies if c.symbol.isidentifier()}
    line("Next, in another terminal:")
    for symbol, mint in names.items():
        line(f"  export {symbol.upper()}={mint}")
    usdc = f"${stable.symbol.upper()}" if stable.symbol in names else str(stable.mint)
    sol = f"${market.symbol.upper()}" if market.symbol in names else str(market.mint)
    pool = pools[0].name
    line(f"  perp-pool{flag} faucet --mint {usdc} --amount 10000")
    line(f"  perp-pool{flag} lp deposit --pool {pool} --mint {usdc} --amount 5000")
    line(f"  perp-pool{flag} trade open --pool {pool} --market {sol} --collateral {usdc} \\")
    line("      --side long --amount 100 --size 1000")
    line(f"  perp-pool{flag} pool info {pool}")
    line("README.md, \"Getting started\", goes on to a liquidation and a withdrawal.")
