"""`perp-pool`: the operator, LP and trader command line for perp_pool.

Amounts are typed in human units and converted exactly with the token's decimals (USD sizes and
prices with 6); `--json` prints exactly one JSON document per command (integers in base units;
see perp_pool.cli.output). Program errors print as one line (or `{"error": ...}`), exit code 1.

    perp-pool localnet                     # a local node, a funded wallet, the example pools
    perp-pool faucet --mint <USDC> --amount 10000
    perp-pool pool info main
    perp-pool --json positions list --pool main --verify
    perp-pool lp deposit --pool main --mint <USDC> --amount 100.5
    perp-pool lp deposit --pool main --mint <USDC> --amount 100 --tranche senior
    perp-pool pool stress main --trader-profit 5000 --bad-debt 1000
    perp-pool lp deposit --pool multi --mint SOL --amount 10       # any custody; a pools-config symbol
    perp-pool pool swap multi --in USDC --out SOL --amount 500 --quote-only
    perp-pool lp unlock --pool main
    perp-pool trade open --pool main --market <SOL> --collateral <USDC> --side long --amount 100 --size 1500
    perp-pool trade order place --pool main --market <SOL> --collateral <USDC> --side long --kind sl --trigger 140
    perp-pool oracle set --pool main --mint <SOL> --price 151.25
    perp-pool keeper run --pool main --metrics-port 9100
    perp-pool stress --pool main --paths 10000 --charts stress-charts

One module per command group (localnet, wallet and faucet, pool, lp, trade, oracle, keeper, bot,
config, stress); the plumbing is in support (settings, running, errors: perp_pool.failures says what to do
and picks the exit code), output (JSON), tables (columns that fit 80), queries and summaries (chain
reads), units (human amounts) and long_running (keepers and bots).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perp_pool import config as cli_config
from perp_pool.cli.bot import bot_app
from perp_pool.cli.config import config_app
from perp_pool.cli.keeper import keeper_app, liquidate_command
from perp_pool.cli.localnet import localnet_command
from perp_pool.cli.lp import lp_app
from perp_pool.cli.oracle import oracle_app
from perp_pool.cli.orders import order_app
from perp_pool.cli.pool import pool_app, positions_app
from perp_pool.cli.stress import stress_command
from perp_pool.cli.support import JsonAwareGroup, Settings
from perp_pool.cli.swap import pool_swap_command  # registers `pool swap` and `pool set-weights`
from perp_pool.cli.trade import trade_app
from perp_pool.cli.wallet import faucet_command, wallet_app

__all__ = ["app", "main", "pool_swap_command"]

EPILOG = ("Exit codes: 0 done; 1 refused (a program error, ...); 2 bad input; 3 not found (pool, account, "
          "keypair, ...); 4 not enough SOL or tokens; 5 no node at the RPC URL. Errors are one line; -vv adds "
          "the traceback.")

app = typer.Typer(cls=JsonAwareGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Operate, provide liquidity to and trade on perp_pool pools.", epilog=EPILOG)
app.command("localnet")(localnet_command)
trade_app.add_typer(order_app, name="order")
# The order here is the order of `perp-pool --help`.
for _name, _sub in (("wallet", wallet_app), ("pool", pool_app), ("positions", positions_app), ("lp", lp_app),
                    ("trade", trade_app), ("oracle", oracle_app), ("keeper", keeper_app), ("bot", bot_app),
                    ("config", config_app)):
    app.add_typer(_sub, name=_name)
app.command("faucet")(faucet_command)
app.command("liquidate")(liquidate_command)
app.command("stress")(stress_command)


@app.callback()
def root(
    ctx: typer.Context,
    rpc_url: Annotated[str | None, typer.Option(
        "--rpc-url", "-u", help="JSON-RPC URL or moniker (localhost, devnet, ...). Default: "
        f"$PERP_POOL_RPC_URL, else the config file's json_rpc_url, else {cli_config.DEFAULT_RPC_URL}.")] = None,
    keypair: Annotated[Path | None, typer.Option(
        "--keypair", "-k", help="Wallet keypair file. Default: the config file's keypair_path, "
        f"else {cli_config.DEFAULT_KEYPAIR_PATH}.")] = None,
    config_file: Annotated[Path, typer.Option("--config", help="Config file (YAML).")] = cli_config.DEFAULT_CONFIG_PATH,
    json_output: Annotated[bool, typer.Option("--json", help="Print exactly one JSON document (base units).")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True,
                                         help="-v info logs, -vv debug (stderr).")] = 0,
) -> None:
    ctx.obj = Settings(rpc_url, keypair, config_file, json_output, verbose)


def main() -> None:
    app()
