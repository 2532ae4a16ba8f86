"""`lp deposit`, `lp withdraw`, `lp unlock`: providing and withdrawing liquidity, in either tranche
of a tranched pool (`--tranche junior|senior`; junior, the only LP of a pool without tranches, by
default)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from perp_pool.cli.options import DEFAULT_SLIPPAGE_BPS, PoolName, TrancheChoice, TrancheOption
from perp_pool.cli.output import Report, summarize
from perp_pool.cli.queries import (
    ata,
    create_ata_ix,
    mint_decimals,
    parse_pubkey,
    require_token_account,
    resolve_custody,
    resolve_pool,
    tranche_lp_mint,
    unix_now,
)
from perp_pool.cli.support import CliError, run
from perp_pool.cli.units import parse_units
from perp_pool.client import PerpPoolClient, min_out_after_slippage
from perp_pool.constants import BPS_POWER, LP_DECIMALS

log = logging.getLogger("perp_pool.cli")

lp_app = typer.Typer(no_args_is_help=True, help="Provide or withdraw liquidity.")

DepositSlippageBps = Annotated[int, typer.Option("--slippage-bps", min=0, max=BPS_POWER - 1,
                                                 help="Accept this much less LP than the quote, in BPS.")]
WithdrawSlippageBps = Annotated[int, typer.Option("--slippage-bps", min=0, max=BPS_POWER - 1,
                                                  help="Accept this many fewer tokens than the quote, in BPS.")]


@lp_app.command("deposit")
def lp_deposit_command(
    ctx: typer.Context,
    pool_name: PoolName,
    mint: Annotated[str, typer.Option("--mint", help="Mint of the custody to deposit into.")],
    amount_text: Annotated[str, typer.Option("--amount", help="Tokens to deposit (human units, e.g. 100.5).")],
    slippage_bps: DepositSlippageBps = DEFAULT_SLIPPAGE_BPS,
    min_lp_out: Annotated[str | None, typer.Option("--min-lp-out", help="Explicit minimum LP out (human units); "
                                                   "overrides --slippage-bps.")] = None,
    tranche_choice: TrancheChoice = TrancheOption.junior,
) -> None:
    """Deposit tokens from the wallet's token account into a tranche (--tranche, default junior);
    its LP tokens go to the wallet's LP token account of that tranche's mint (created if missing),
    which stays frozen for the pool's LP cooldown (see `lp unlock`). The minimum LP out is the
    program's quote (the deposit simulated now) less the slippage. A senior deposit must leave
    senior NAV within the pool's coverage limit (CoverageLimitExceeded)."""

    async def action(client: PerpPoolClient) -> Report:
        mint_key = parse_pubkey(mint, "mint")
        pool = await resolve_pool(client, pool_name)
        tranche = tranche_choice.tranche
        lp_mint = tranche_lp_mint(pool, tranche)
        custody = await resolve_custody(client, pool, mint_key)
        decimals = await mint_decimals(client, mint_key)
        amount_in = parse_units(amount_text, decimals, what="amount")
        funding = await require_token_account(client, mint_key, "funding")
        lp_account = ata(client.wallet.pubkey(), lp_mint)
        create_lp_account = create_ata_ix(client, lp_mint)
        quote = await client.quote_add_liquidity(pool.address, custody.address, amount_in=amount_in,
                                                 funding_account=funding, lp_token_account=lp_account,
                                                 before=[create_lp_account], tranche=tranche)
        min_lp = (parse_units(min_lp_out, LP_DECIMALS, what="minimum LP out", allow_zero=True)
                  if min_lp_out is not None else min_out_after_slippage(quote.lp_amount_out, slippage_bps))
        result = await client.add_liquidity(pool.address, custody.address, amount_in=amount_in,
                                            min_lp_amount_out=min_lp, funding_account=funding,
                                            lp_token_account=lp_account, before=[create_lp_account],
                                            tranche=tranche)
        return summarize(result, "LiquidityAdded", pool=pool.address, custody=custody.address,
                         tranche=tranche.value, lp_token_account=lp_account,
                         quote_lp_amount_out=quote.lp_amount_out, min_lp_amount_out=min_lp).report(decimals)

    run(ctx, action)


@lp_app.command("withdraw")
def lp_withdraw_command(
    ctx: typer.Context,
    pool_name: PoolName,
    mint: Annotated[str, typer.Option("--mint", help="Mint of the custody to withdraw from.")],
    lp_amount_text: Annotated[str, typer.Option("--lp-amount", help="LP tokens to redeem (human units).")],
    slippage_bps: WithdrawSlippageBps = DEFAULT_SLIPPAGE_BPS,
    min_out: Annotated[str | None, typer.Option("--min-out", help="Explicit minimum tokens out (human units); "
                                                "overrides --slippage-bps.")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="If the LP is still in its deposit cooldown, wait for the "
                                       "cooldown to end, then withdraw.")] = False,
    tranche_choice: TrancheChoice = TrancheOption.junior,
) -> None:
    """Redeem LP tokens of a tranche (--tranche, default junior) for the custody's tokens (to the
    wallet's token account, created if missing). LP still in its deposit cooldown cannot be
    redeemed (LiquidityCooldownActive). The minimum out is the program's quote (the withdrawal
    simulated now) less the slippage. A junior withdrawal must leave senior NAV within the pool's
    coverage limit (CoverageLimitExceeded)."""

    async def action(client: PerpPoolClient) -> Report:
        mint_key = parse_pubkey(mint, "mint")
        pool = await resolve_pool(client, pool_name)
        tranche = tranche_choice.tranche
        lp_mint = tranche_lp_mint(pool, tranche)
        custody = await resolve_custody(client, pool, mint_key)
        lp_amount = parse_units(lp_amount_text, await mint_decimals(client, lp_mint), what="LP amount")
        decimals = await mint_decimals(client, mint_key)
        lp_account = await require_token_account(client, lp_mint, f"{tranche.value} LP")
        if wait:
            await wait_for_cooldown(client, lp_account)
        receiving = ata(client.wallet.pubkey(), mint_key)
        create_receiving = create_ata_ix(client, mint_key)
        quote = await client.quote_remove_liquidity(pool.address, custody.address, lp_amount_in=lp_amount,
                                                    receiving_account=receiving, lp_token_account=lp_account,
                                                    before=[create_receiving], tranche=tranche)
        min_amount = (parse_units(min_out, decimals, what="minimum out", allow_zero=True)
                      if min_out is not None else min_out_after_slippage(quote.amount_out, slippage_bps))
        result = await client.remove_liquidity(pool.address, custody.address, lp_amount_in=lp_amount,
                                               min_amount_out=min_amount, receiving_account=receiving,
                                               lp_token_account=lp_account, before=[create_receiving],
                                               tranche=tranche)
        return summarize(result, "LiquidityRemoved", pool=pool.address, custody=custody.address,
                         tranche=tranche.value, receiving_account=receiving, quote_amount_out=quote.amount_out,
                         min_amount_out=min_amount).report(decimals)

    run(ctx, action)


async def wait_for_cooldown(client: PerpPoolClient, lp_account: Pubkey) -> None:
    """Returns once the node's clock has reached the LP account's unlock time and its deposit's slot
    has passed (what the program checks), saying on stderr how long it waits."""
    cooldown = await client.fetch_lp_cooldown(lp_account)
    if cooldown is None:
        return
    now = await unix_now(client)
    if now < cooldown.unlock_time:
        log.warning("the LP is in its deposit cooldown for %s s more: waiting", cooldown.unlock_time - now)
    while now < cooldown.unlock_time or (await client.connection.get_slot(Confirmed)).value <= cooldown.deposit_slot:
        await asyncio.sleep(min(1.0, max(0.1, cooldown.unlock_time - now)))
        now = await unix_now(client)


@lp_app.command("unlock")
def lp_unlock_command(
    ctx: typer.Context,
    pool_name: PoolName,
    owner: Annotated[str | None, typer.Option("--owner", help="Unlock this wallet's LP token account (default: "
                                              "the CLI wallet's); anyone may send it.")] = None,
    tranche_choice: TrancheChoice = TrancheOption.junior,
) -> None:
    """Thaw an LP token account (of the tranche's mint, default junior) whose deposit cooldown is
    over, so its LP can be transferred (a withdrawal thaws by itself). Fails with
    LiquidityCooldownActive while the cooldown runs."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        tranche = tranche_choice.tranche
        owner_key = parse_pubkey(owner, "owner") if owner else client.wallet.pubkey()
        lp_account = ata(owner_key, tranche_lp_mint(pool, tranche))
        cooldown = await client.fetch_lp_cooldown(lp_account)
        if cooldown is None:
            raise CliError("NothingToUnlock", f"no deposit was ever made into {lp_account}")
        result = await client.unlock_lp(pool.address, lp_account, tranche=tranche)
        return summarize(result, "LpUnlocked", unlock_time=cooldown.unlock_time,
                         deposit_slot=cooldown.deposit_slot).report(None)

    run(ctx, action)
