"""`lp deposit`, `lp withdraw`, `lp unlock`: providing and withdrawing liquidity, in either tranche
of a tranched pool (`--tranche junior|senior`; junior, the only LP of a pool without tranches, by
default); `lp lock`, `lp unlock --amount`, `lp claim`, `lp stakes`: LP lock-ups with yield boosts
(docs/design.md "Lock-ups")."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import typer
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from perp_pool.cli.options import DEFAULT_SLIPPAGE_BPS, PoolName, TrancheChoice, TrancheOption
from perp_pool.cli.output import Report, short, summarize
from perp_pool.cli.queries import (
    PoolRef,
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
from perp_pool.cli.support import CliError, not_found, run, usage_error
from perp_pool.cli.symbols import mint_of
from perp_pool.cli.tables import print_wide, table
from perp_pool.cli.units import format_multiplier, format_units, parse_units
from perp_pool.client import PerpPoolClient, StakeView, min_out_after_slippage
from perp_pool.constants import BPS_POWER, LP_DECIMALS
from perp_pool.errors import AccountNotFound
from perp_pool.tokens import token_balance

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
    mint: Annotated[str, typer.Option("--mint", help="Mint of the custody to deposit into (any custody: stable or "
                                      "volatile), or its symbol in the pools config (USDC, SOL, ...).")],
    amount_text: Annotated[str, typer.Option("--amount", help="Tokens to deposit (human units, e.g. 100.5).")],
    slippage_bps: DepositSlippageBps = DEFAULT_SLIPPAGE_BPS,
    min_lp_out: Annotated[str | None, typer.Option("--min-lp-out", help="Explicit minimum LP out (human units); "
                                                   "overrides --slippage-bps.")] = None,
    tranche_choice: TrancheChoice = TrancheOption.junior,
) -> None:
    """Deposit tokens of any custody of the pool (--mint: a stable or a volatile asset) from the
    wallet's token account into a tranche (--tranche, default junior);
    its LP tokens go to the wallet's LP token account of that tranche's mint (created if missing),
    which stays frozen for the pool's LP cooldown (see `lp unlock`). The minimum LP out is the
    program's quote (the deposit simulated now) less the slippage. A senior deposit must leave
    senior NAV within the pool's coverage limit (CoverageLimitExceeded). In a multi-asset pool the
    fee rises when the deposit moves the custody's weight away from its target and falls when it
    moves it toward it (fee_bps); past the custody's max weight it is refused
    (TokenWeightOutOfRange)."""

    async def action(client: PerpPoolClient) -> Report:
        mint_key = mint_of(mint, pool_name)
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
    mint: Annotated[str, typer.Option("--mint", help="Mint of the custody to withdraw from (any custody), or its "
                                      "symbol in the pools config (USDC, SOL, ...).")],
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
    coverage limit (CoverageLimitExceeded). In a multi-asset pool the fee follows the custody's
    weight as a deposit's does: a redemption that takes it further below its target (even under its
    min weight) pays the weight tax, and is never refused for it."""

    async def action(client: PerpPoolClient) -> Report:
        mint_key = mint_of(mint, pool_name)
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
    amount_text: Annotated[str | None, typer.Option("--amount", help="Take this much LP (human units, or 'all') out "
                                                    "of the wallet's stake, whose lock must have ended.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Without --amount: thaw this wallet's LP token account "
                                              "(default: the CLI wallet's); anyone may send it.")] = None,
    tranche_choice: TrancheChoice = TrancheOption.junior,
) -> None:
    """With --amount: unlock staked LP of the tranche (back to the wallet's LP token account) once
    its lock has ended (StakeLocked before). Without: thaw an LP token account (of the tranche's
    mint) whose deposit cooldown is over, so its LP can be transferred (a withdrawal thaws by
    itself); LiquidityCooldownActive while it runs."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        tranche = tranche_choice.tranche
        if amount_text is not None:
            if owner is not None:
                raise usage_error("InvalidOption", "--owner thaws an LP account; a stake is unlocked by its owner")
            return await _unlock_stake(client, pool, amount_text, tranche_lp_mint(pool, tranche))
        owner_key = parse_pubkey(owner, "owner") if owner else client.wallet.pubkey()
        lp_account = ata(owner_key, tranche_lp_mint(pool, tranche))
        cooldown = await client.fetch_lp_cooldown(lp_account)
        if cooldown is None:
            raise CliError("NothingToUnlock", f"no deposit was ever made into {lp_account}")
        result = await client.unlock_lp(pool.address, lp_account, tranche=tranche)
        return summarize(result, "LpUnlocked", unlock_time=cooldown.unlock_time,
                         deposit_slot=cooldown.deposit_slot).report(None)

    run(ctx, action)


async def _own_stake(client: PerpPoolClient, pool: PoolRef, lp_mint: Pubkey) -> StakeView:
    try:
        await client.fetch_stake_pool(pool.address)
    except AccountNotFound:
        raise not_found("StakePoolNotFound", f"pool {pool.name!r} has no stake pool") from None
    address = client.stake_address(pool.address, lp_mint)
    try:
        return await client.get_stake_state(address)
    except AccountNotFound:
        raise not_found("StakeNotFound", f"the wallet has no stake of LP mint {lp_mint} in pool {pool.name!r} "
                        f"(lock some: `perp-pool lp lock --pool {pool.name} --amount N --tier T`)") from None


async def _unlock_stake(client: PerpPoolClient, pool: PoolRef, amount_text: str, lp_mint: Pubkey) -> Report:
    stake = await _own_stake(client, pool, lp_mint)
    amount = stake.amount if amount_text == "all" else parse_units(amount_text, LP_DECIMALS, what="LP amount")
    lp_account = ata(client.wallet.pubkey(), lp_mint)
    await client.send([create_ata_ix(client, lp_mint)])
    result = await client.unlock_lp_stake(pool.address, amount=amount, lp_token_account=lp_account, lp_mint=lp_mint)
    return summarize(result, "LpStakeUnlocked", pool=pool.address, lock_end=stake.lock_end).report(LP_DECIMALS)


@lp_app.command("lock")
def lp_lock_command(
    ctx: typer.Context,
    pool_name: PoolName,
    amount_text: Annotated[str, typer.Option("--amount", help="LP to lock (human units; 'all': everything the wallet "
                                             "holds; 0: extend or relock what is staked).")],
    tier: Annotated[int, typer.Option("--tier", min=0, help="Index in the stake pool's lock ladder "
                                      "(`perp-pool pool info` lists it).")],
    tranche_choice: TrancheChoice = TrancheOption.junior,
) -> None:
    """Lock LP in the wallet's stake for a tier of the pool's ladder: its weight (amount x the tier's
    multiplier) earns the stakers' share of trading fees until the lock ends, then 1x; the LP can be
    unlocked from the lock's end (a week boundary) on. Adding to a running lock keeps the later end
    and may not lower its tier (LockShortened). An LP account whose deposit cooldown is over is
    thawed first; LP still in its cooldown cannot be locked (LiquidityCooldownActive)."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        lp_mint = tranche_lp_mint(pool, tranche_choice.tranche)
        lp_account = await require_token_account(client, lp_mint, "LP")
        amount = (await _lp_balance(client, lp_account) if amount_text == "all"
                  else parse_units(amount_text, LP_DECIMALS, what="LP amount", allow_zero=True))
        result = await client.lock_lp(pool.address, amount=amount, tier=tier, lp_token_account=lp_account,
                                      lp_mint=lp_mint)
        return summarize(result, "LpLocked", pool=pool.address).report(LP_DECIMALS)

    run(ctx, action)


async def _lp_balance(client: PerpPoolClient, account: Pubkey) -> int:
    return await token_balance(client.connection, account)


@lp_app.command("claim")
def lp_claim_command(ctx: typer.Context, pool_name: PoolName,
                     tranche_choice: TrancheChoice = TrancheOption.junior) -> None:
    """Claim everything the wallet's stake has earned, to its token account of the reward mint
    (created if missing). ZeroAmount when there is nothing to claim."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        lp_mint = tranche_lp_mint(pool, tranche_choice.tranche)
        await _own_stake(client, pool, lp_mint)
        reward_custody = (await client.fetch_stake_pool(pool.address)).reward_custody
        mint = (await client.fetch_custody(reward_custody)).mint
        receiving = ata(client.wallet.pubkey(), mint)
        result = await client.claim_stake_rewards(pool.address, receiving_account=receiving, lp_mint=lp_mint,
                                                  before=[create_ata_ix(client, mint)])
        return summarize(result, "StakeRewardsClaimed", pool=pool.address).report(await mint_decimals(client, mint))

    run(ctx, action)


@lp_app.command("stakes")
def lp_stakes_command(
    ctx: typer.Context,
    pool_name: PoolName,
    owner: Annotated[str | None, typer.Option("--owner", help="Whose stakes (default: the wallet's).")] = None,
) -> None:
    """An owner's stakes in a pool, each settled now (the program's view): LP staked, tier and
    multiplier, lock end, weight, rewards claimable now and claimed so far."""

    async def action(client: PerpPoolClient) -> Report:
        pool = await resolve_pool(client, pool_name)
        owner_key: Pubkey = parse_pubkey(owner, "owner") if owner else client.wallet.pubkey()
        try:
            stake_pool = await client.fetch_stake_pool(pool.address)
        except AccountNotFound:
            raise not_found("StakePoolNotFound", f"pool {pool.name!r} has no stake pool") from None
        reward_decimals = (await client.fetch_custody(stake_pool.reward_custody)).decimals
        stakes = await client.get_stakes(owner=owner_key, pool=pool.address)
        now = await unix_now(client)
        rows: list[dict[str, Any]] = [
            {"stake": str(s.address), "lp_mint": str(s.lp_mint), "tranche": s.tranche, "amount": s.amount,
             "tier": s.tier, "multiplier_bps": s.multiplier_bps, "lock_end": s.lock_end,
             "lock_remaining_sec": max(s.lock_end - now, 0), "unlockable": s.unlockable, "weight": s.weight,
             "boost_weight": s.boost_weight, "earned": s.earned, "claimed": s.claimed}
            for s in stakes]

        def render(out: Any) -> None:
            t = table(f"{len(rows)} stake(s) of {short(owner_key)} in {pool.name}",
                      [("tranche", "left"), ("LP", "right"), ("tier", "right"), ("mult", "right"),
                       ("lock left", "right"), ("weight", "right"), ("earned", "right"), ("claimed", "right")])
            for r in rows:
                left = "unlocked" if r["unlockable"] else f"{r['lock_remaining_sec'] / 86_400:.1f} d"
                t.add_row(r["tranche"], format_units(r["amount"], LP_DECIMALS, group=True), str(r["tier"]),
                          format_multiplier(r["multiplier_bps"]), left,
                          format_units(r["weight"], LP_DECIMALS, group=True),
                          format_units(r["earned"], reward_decimals, group=True),
                          format_units(r["claimed"], reward_decimals, group=True))
            print_wide(out, t)

        return Report({"command": "lp stakes", "pool": str(pool.address), "owner": str(owner_key), "clock": now,
                       "reward_decimals": reward_decimals, "stakes": rows}, render)

    run(ctx, action)
