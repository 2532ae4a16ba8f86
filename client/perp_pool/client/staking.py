"""`StakingClient`: LP lock-ups with yield boosts (docs/design.md "Lock-ups"): the stake pool's
and stakes' addresses and reads, builders, senders and views of init / add vault / config /
lock / unlock / claim / update, and an owner's stakes with what they could claim now.

The stake pool is the PDA `[b"stake_pool", pool]`; each tranche slot's staked LP sits in
`[b"stake_vault", stake_pool, lp_mint]`; a stake is `[b"stake", stake_pool, lp_mint, owner]`.
Every instruction takes the LP mint of the tranche it concerns (default: the pool's LP mint, the
junior tranche: `Pool::lp_mint_tranche` on chain is what maps a mint to its slot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from based58 import b58encode
from solana.rpc.commitment import Confirmed
from solana.rpc.types import MemcmpOpts
from solders.instruction import Instruction
from solders.pubkey import Pubkey
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from spl.token.constants import TOKEN_PROGRAM_ID

from perp_pool import errors, pda
from perp_pool.client.idl_types import ACCOUNT_DISCRIMINATOR_SIZE, account_discriminator
from perp_pool.client.orders import OrderClient
from perp_pool.clock import node_slot_and_time
from perp_pool.math.staking import LockTier
from perp_pool.tokens import parse_token_account
from perp_pool.transport import TxResult

__all__ = ["STAKE_DISCRIMINATOR", "STAKE_OWNER_OFFSET", "STAKE_POOL_OFFSET", "StakeView", "StakingClient",
           "tranche_name"]

STAKE_DISCRIMINATOR = account_discriminator("Stake")
# Stake (borsh after the discriminator): owner, stake_pool, lp_mint, ...
STAKE_OWNER_OFFSET = ACCOUNT_DISCRIMINATOR_SIZE
STAKE_POOL_OFFSET = STAKE_OWNER_OFFSET + 32


def tranche_name(tranche: Any) -> str:
    """anchorpy's decoded `Tranche` value -> "junior" | "senior"."""
    return type(tranche).__name__.lower()


@dataclass(frozen=True)
class StakeView:
    """A stake with what it could claim now (settled in a simulation of `get_stake_state`)."""

    address: Pubkey
    owner: Pubkey
    stake_pool: Pubkey
    lp_mint: Pubkey
    tranche: str  # "junior" | "senior"
    amount: int  # LP base units staked
    tier: int
    multiplier_bps: int
    lock_end: int  # unix seconds, a week boundary (0: no lock)
    unlockable: bool
    weight: int
    boost_weight: int
    earned: int  # reward tokens claimable now
    claimed: int  # reward tokens claimed so far


class StakingClient(OrderClient):
    """LP staking for this wallet (the default owner, or the admin for the set-up)."""

    # ---- addresses and reads -----------------------------------------------------------------

    def stake_pool_address(self, pool: Pubkey) -> Pubkey:
        return pda.get_stake_pool_address(pool, self.program_id)[0]

    def stake_vault_address(self, pool: Pubkey, lp_mint: Pubkey | None = None) -> Pubkey:
        return pda.get_stake_vault_address(self.stake_pool_address(pool), lp_mint or self.lp_mint_address(pool),
                                           self.program_id)[0]

    def stake_address(self, pool: Pubkey, lp_mint: Pubkey | None = None, owner: Pubkey | None = None) -> Pubkey:
        return pda.get_stake_address(self.stake_pool_address(pool), lp_mint or self.lp_mint_address(pool),
                                     owner or self.wallet.pubkey(), self.program_id)[0]

    async def fetch_stake_pool(self, pool: Pubkey) -> Any:
        """The pool's `StakePool` (anchorpy-decoded); AccountNotFound if the pool has none."""
        return await self.fetch("StakePool", self.stake_pool_address(pool))

    async def fetch_stake(self, stake: Pubkey) -> Any:
        return await self.fetch("Stake", stake)

    async def find_stakes(self, *, owner: Pubkey | None = None, pool: Pubkey | None = None) -> list[tuple[Pubkey, Any]]:
        """Every Stake account matching the filters, as (address, decoded account)."""
        filters: list[Any] = [MemcmpOpts(offset=0, bytes=b58encode(STAKE_DISCRIMINATOR).decode())]
        if owner is not None:
            filters.append(MemcmpOpts(offset=STAKE_OWNER_OFFSET, bytes=str(owner)))
        if pool is not None:
            filters.append(MemcmpOpts(offset=STAKE_POOL_OFFSET, bytes=str(self.stake_pool_address(pool))))
        resp = await self.connection.get_program_accounts(self.program_id, commitment=Confirmed, encoding="base64",
                                                          filters=filters)
        coder = self.program.account["Stake"].coder
        found = [(a.pubkey, coder.accounts.decode(bytes(a.account.data))) for a in resp.value]
        return sorted(found, key=lambda f: (bytes(f[1].stake_pool), bytes(f[1].lp_mint), bytes(f[1].owner)))

    # ---- builders ----------------------------------------------------------------------------

    def _tiers(self, ladder: Sequence[LockTier]) -> list[Any]:
        return [self._type("LockTier", duration_days=t.duration_days, multiplier_bps=t.multiplier_bps)
                for t in ladder]

    def _stake_pool_accounts(self, pool: Pubkey, reward_custody: Pubkey, lp_mint: Pubkey | None = None,
                             owner: Pubkey | None = None) -> dict[str, Pubkey]:
        lp_mint = lp_mint or self.lp_mint_address(pool)
        owner = owner or self.wallet.pubkey()
        return {
            "admin": self.wallet.pubkey(),
            "owner": owner,
            "perpetuals": self.perpetuals_address,
            "transfer_authority": self.transfer_authority_address,
            "pool": pool,
            "reward_custody": reward_custody,
            "stake_pool": self.stake_pool_address(pool),
            "lp_token_mint": lp_mint,
            "stake_vault": self.stake_vault_address(pool, lp_mint),
            "stake": self.stake_address(pool, lp_mint, owner),
            "system_program": SYSTEM_PROGRAM_ID,
            "token_program": TOKEN_PROGRAM_ID,
        }

    async def _reward_custody(self, pool: Pubkey) -> Pubkey:
        return (await self.fetch_stake_pool(pool)).reward_custody  # type: ignore[no-any-return]

    def build_init_stake_pool_ix(self, pool: Pubkey, reward_custody: Pubkey, *, ladder: Sequence[LockTier],
                                 junior_share_bps: int, overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Admin: the stake pool of `pool`, paid by `reward_custody`'s stake rewards (a stable custody)."""
        accounts = self._stake_pool_accounts(pool, reward_custody)
        params = self._type("InitStakePoolParams", ladder=self._tiers(ladder), junior_share_bps=junior_share_bps)
        return self._ix("init_stake_pool", self._only("initStakePool", accounts, overrides), params)

    async def build_add_stake_vault_ix(self, pool: Pubkey, lp_mint: Pubkey,
                                       overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Admin: opens the slot of the tranche whose LP mint is `lp_mint` (the senior one)."""
        accounts = self._stake_pool_accounts(pool, await self._reward_custody(pool), lp_mint)
        return self._ix("add_stake_vault", self._only("addStakeVault", accounts, overrides))

    async def build_set_stake_pool_config_ix(self, pool: Pubkey, *, ladder: Sequence[LockTier], junior_share_bps: int,
                                             overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = self._stake_pool_accounts(pool, await self._reward_custody(pool))
        params = self._type("SetStakePoolConfigParams", ladder=self._tiers(ladder), junior_share_bps=junior_share_bps)
        return self._ix("set_stake_pool_config", self._only("setStakePoolConfig", accounts, overrides), params)

    async def build_lock_lp_ix(self, pool: Pubkey, *, amount: int, tier: int, lp_token_account: Pubkey,
                               lp_mint: Pubkey | None = None, owner: Pubkey | None = None,
                               overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Locks `amount` LP (0: extends what is staked) from `lp_token_account` at ladder `tier`."""
        accounts = self._stake_pool_accounts(pool, await self._reward_custody(pool), lp_mint, owner)
        accounts["lp_token_account"] = lp_token_account
        params = self._type("LockLpParams", amount=amount, tier=tier)
        return self._ix("lock_lp", self._only("lockLp", accounts, overrides), params)

    async def build_unlock_lp_stake_ix(self, pool: Pubkey, *, amount: int, lp_token_account: Pubkey,
                                       lp_mint: Pubkey | None = None, owner: Pubkey | None = None,
                                       overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Takes `amount` LP of an ended lock back to `lp_token_account` (the owner's)."""
        accounts = self._stake_pool_accounts(pool, await self._reward_custody(pool), lp_mint, owner)
        accounts["lp_token_account"] = lp_token_account
        params = self._type("UnlockLpStakeParams", amount=amount)
        return self._ix("unlock_lp_stake", self._only("unlockLpStake", accounts, overrides), params)

    async def build_claim_stake_rewards_ix(self, pool: Pubkey, *, receiving_account: Pubkey,
                                           lp_mint: Pubkey | None = None, owner: Pubkey | None = None,
                                           overrides: dict[str, Pubkey] | None = None) -> Instruction:
        """Pays what the stake earned to `receiving_account` (a token account of the reward mint)."""
        reward_custody = await self._reward_custody(pool)
        accounts = self._stake_pool_accounts(pool, reward_custody, lp_mint, owner)
        accounts["receiving_account"] = receiving_account
        accounts["reward_custody_token_account"] = (await self.fetch_custody(reward_custody)).token_account
        return self._ix("claim_stake_rewards", self._only("claimStakeRewards", accounts, overrides))

    async def build_update_stake_pool_ix(self, pool: Pubkey,
                                         overrides: dict[str, Pubkey] | None = None) -> Instruction:
        accounts = self._stake_pool_accounts(pool, await self._reward_custody(pool))
        return self._ix("update_stake_pool", self._only("updateStakePool", accounts, overrides))

    async def thaw_if_ready(self, pool: Pubkey, lp_token_account: Pubkey) -> list[Instruction]:
        """`[unlock_lp]` when the LP account is frozen by a deposit cooldown that is over (so a lock in
        the same transaction can move its LP), else `[]`; LiquidityCooldownActive while it runs."""
        info = (await self.connection.get_account_info(lp_token_account, commitment=Confirmed)).value
        if info is None or not parse_token_account(bytes(info.data)).frozen:
            return []
        cooldown = await self.fetch_lp_cooldown(lp_token_account)
        if cooldown is None:
            return []
        slot, now = await node_slot_and_time(self.connection)
        if now < cooldown.unlock_time or slot <= cooldown.deposit_slot:
            raise errors.LiquidityCooldownActive(
                f"the LP is in its deposit cooldown until {cooldown.unlock_time} (unix)")
        return [self.build_unlock_lp_ix(pool, lp_token_account)]

    # ---- senders -----------------------------------------------------------------------------

    async def init_stake_pool(self, pool: Pubkey, reward_custody: Pubkey, *, ladder: Sequence[LockTier],
                              junior_share_bps: int) -> TxResult:
        return await self.transport.send([self.build_init_stake_pool_ix(
            pool, reward_custody, ladder=ladder, junior_share_bps=junior_share_bps)])

    async def add_stake_vault(self, pool: Pubkey, lp_mint: Pubkey) -> TxResult:
        return await self.transport.send([await self.build_add_stake_vault_ix(pool, lp_mint)])

    async def set_stake_pool_config(self, pool: Pubkey, *, ladder: Sequence[LockTier],
                                    junior_share_bps: int) -> TxResult:
        return await self.transport.send([await self.build_set_stake_pool_config_ix(
            pool, ladder=ladder, junior_share_bps=junior_share_bps)])

    async def lock_lp(self, pool: Pubkey, *, amount: int, tier: int, lp_token_account: Pubkey,
                      lp_mint: Pubkey | None = None, thaw: bool = True) -> TxResult:
        """Locks LP; with `thaw`, an LP account whose deposit cooldown is over is thawed first (same
        transaction)."""
        before = await self.thaw_if_ready(pool, lp_token_account) if thaw else []
        ix = await self.build_lock_lp_ix(pool, amount=amount, tier=tier, lp_token_account=lp_token_account,
                                         lp_mint=lp_mint)
        return await self.transport.send([*before, ix])

    async def unlock_lp_stake(self, pool: Pubkey, *, amount: int, lp_token_account: Pubkey,
                              lp_mint: Pubkey | None = None) -> TxResult:
        return await self.transport.send([await self.build_unlock_lp_stake_ix(
            pool, amount=amount, lp_token_account=lp_token_account, lp_mint=lp_mint)])

    async def claim_stake_rewards(self, pool: Pubkey, *, receiving_account: Pubkey, lp_mint: Pubkey | None = None,
                                  before: Sequence[Instruction] = ()) -> TxResult:
        ix = await self.build_claim_stake_rewards_ix(pool, receiving_account=receiving_account, lp_mint=lp_mint)
        return await self.transport.send([*before, ix])

    async def update_stake_pool(self, pool: Pubkey) -> TxResult:
        return await self.transport.send([await self.build_update_stake_pool_ix(pool)])

    # ---- views -------------------------------------------------------------------------------

    async def get_stake_pool_state(self, pool: Pubkey, lp_mint: Pubkey | None = None) -> Any:
        """One tranche slot after an update to now (`StakeTrancheState`: staked / locked amounts and
        shares of the LP supply, weighted remaining lock time, total weight, pending routed)."""
        accounts = self._stake_pool_accounts(pool, await self._reward_custody(pool), lp_mint)
        data = await self._view("get_stake_pool_state", self._only("getStakePoolState", accounts, None))
        return self._decode("StakeTrancheState", data)

    async def get_stake_state(self, stake: Pubkey, *, account: Any | None = None) -> StakeView:
        """A stake settled now: its amount, weight, lock end and what it could claim."""
        s = account if account is not None else await self.fetch_stake(stake)
        stake_pool = await self.fetch("StakePool", s.stake_pool)
        accounts = {"pool": stake_pool.pool, "reward_custody": stake_pool.reward_custody,
                    "stake_pool": s.stake_pool, "stake": stake}
        state = self._decode("StakeState", await self._view("get_stake_state", accounts))
        return StakeView(stake, s.owner, s.stake_pool, s.lp_mint, tranche_name(state.tranche), state.amount,
                         state.tier, state.multiplier_bps, state.lock_end, state.unlockable, state.weight,
                         state.boost_weight, state.earned, s.claimed)

    async def get_stakes(self, *, owner: Pubkey | None = None, pool: Pubkey | None = None) -> list[StakeView]:
        """The stakes matching the filters, each settled now."""
        return [await self.get_stake_state(address, account=account)
                for address, account in await self.find_stakes(owner=owner, pool=pool)]
