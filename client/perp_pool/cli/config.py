"""`config get` and `config set`: the CLI config file (like the Solana CLI's)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from perp_pool import config as cli_config
from perp_pool.cli.output import Report
from perp_pool.cli.support import CliError, Settings, run_offline, usage_error

config_app = typer.Typer(no_args_is_help=True, help="The CLI config file (like the Solana CLI's).")


@config_app.command("get")
def config_get_command(ctx: typer.Context) -> None:
    """Show the config file's values and the settings in effect (and where they come from)."""
    settings: Settings = ctx.obj

    def action() -> Report:
        cfg = settings.config()
        url, url_source = settings.rpc_url()
        keypair, keypair_source = settings.keypair_path()
        data = {"config_file": str(cfg.path), "exists": cfg.exists, "json_rpc_url": cfg.json_rpc_url,
                "keypair_path": cfg.keypair_path, "rpc_url": url, "rpc_url_source": url_source,
                "keypair": str(keypair), "keypair_source": keypair_source}
        return Report(data)

    run_offline(ctx, action)


@config_app.command("set")
def config_set_command(
    ctx: typer.Context,
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", "-u", help="JSON-RPC URL or moniker.")] = None,
    keypair: Annotated[Path | None, typer.Option("--keypair", "-k", help="Wallet keypair file.")] = None,
) -> None:
    """Write json_rpc_url and/or keypair_path into the config file (other lines are kept)."""
    settings: Settings = ctx.obj

    def action() -> Report:
        if rpc_url is None and keypair is None:
            raise usage_error("NothingToSet", "pass --rpc-url and/or --keypair")
        updates: dict[str, str] = {}
        if rpc_url is not None:
            updates[cli_config.RPC_URL_KEY] = cli_config.resolve_rpc_url(rpc_url)
        if keypair is not None:
            updates[cli_config.KEYPAIR_KEY] = str(keypair.expanduser().resolve())
        try:
            cfg = cli_config.set_values(settings.config_path, updates)
        except cli_config.ConfigError as exc:
            raise CliError("InvalidConfig", str(exc)) from None
        return Report({"config_file": str(cfg.path), "json_rpc_url": cfg.json_rpc_url,
                       "keypair_path": cfg.keypair_path})

    run_offline(ctx, action)
