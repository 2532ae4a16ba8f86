"""Creating what a `DeploySpec` describes, idempotently.

Each step checks the chain first: the program's global config, each pool, its senior tranche,
each mint the config creates, each custody and its first oracle price are created only when
missing. A pool's senior tranche (`[pools.tranches]`) is added right after the pool, before any
LP is issued (the program refuses it afterwards: a pool that already has LP reports `differs`). What exists is
compared with the config: differences are reported (`status: "differs"`) and, with `update=True`,
a custody's oracle, fees, pricing and borrow rate are rewritten with `set_custody_config`, a
stake pool's ladder and junior share with `set_stake_pool_config` and a senior tranche's terms
with `set_tranche_config`, and a custody's weight rule (`[pools.custodies.weights]`, set with
`set_custody_weights` after the custody is created) is compared and rewritten the same way
(a pool's LP cooldown, its tranches' existence, a custody's `is_stable`
and a stake pool's reward custody are fixed at creation). A custom oracle's price is
written from `initial_price` when it has none, or when it is stale and the wallet is its
authority, so a fresh deployment is ready to trade.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from anchorpy.error import AccountDoesNotExistError
from solana.rpc.commitment import Confirmed
from solders.pubkey import Pubkey

from perp_pool.client import OracleKind, PerpPoolClient, WeightConfig
from perp_pool.client.idl_types import oracle_kind
from perp_pool.client.multi_asset import weight_config
from perp_pool.clock import node_unix_time
from perp_pool.constants import PRICE_DECIMALS
from perp_pool.deploy.spec import CustodySpec, DeploySpec, PoolSpec, StakingSpec
from perp_pool.math.fixed import Rounding
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.tranche import Tranche
from perp_pool.tokens import create_mint, fetch_mint

__all__ = ["DeployError", "DeployedCustody", "DeployedPool", "Step", "deploy"]

PRICE_EXPO = -PRICE_DECIMALS  # prices are written in the program's own units


class DeployError(Exception):
    """An expected failure of a deployment, named (NotAdmin, MintNotFound, ...)."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


@dataclass(frozen=True)
class Step:
    """One thing the deployment checked: `status` is created | exists | differs | updated."""

    step: str
    status: str
    fields: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            return v if isinstance(v, (int, bool)) or v is None else str(v)

        return {"step": self.step, "status": self.status, **{k: plain(v) for k, v in self.fields.items()}}

    def text(self) -> str:
        detail = " ".join(f"{k}={v}" for k, v in self.fields.items() if not isinstance(v, dict))
        differs = self.fields.get("config_differs")
        if isinstance(differs, dict):
            detail += " differs: " + ", ".join(f"{k} on chain {a} config {b}" for k, (a, b) in differs.items())
        return f"{self.step:<24} {self.status:<8} {detail}".rstrip()


@dataclass
class DeployedCustody:
    symbol: str
    mint: Pubkey
    custody: Pubkey
    decimals: int
    is_stable: bool
    tradeable: bool
    mint_authority: Pubkey | None
    price: int | None  # the custom oracle's price after the deployment (PRICE_DECIMALS), if any


@dataclass
class DeployedPool:
    name: str
    address: Pubkey
    lp_mint: Pubkey  # the junior tranche's of a tranched pool
    lp_cooldown_sec: int
    custodies: list[DeployedCustody]
    stake_pool: Pubkey | None = None
    senior_lp_mint: Pubkey | None = None  # a tranched pool's senior LP mint


Reporter = Callable[[Step], None]


async def _exists(client: PerpPoolClient, address: Pubkey) -> bool:
    return (await client.connection.get_account_info(address, commitment=Confirmed)).value is not None


async def deploy(spec: DeploySpec, client: PerpPoolClient, *, update: bool = False,
                 report: Reporter = lambda step: None) -> list[DeployedPool]:
    """Deploys every pool of `spec` with `client`'s wallet as the admin; returns what is deployed."""
    wallet = client.wallet.pubkey()
    if await _exists(client, client.perpetuals_address):
        admin = (await client.fetch_perpetuals()).admin
        if admin != wallet:
            raise DeployError("NotAdmin", f"perp_pool on this node is administered by {admin}, not by this wallet "
                              f"({wallet}): deploy with the admin's keypair (--keypair)")
        report(Step("initialize", "exists", {"perpetuals": client.perpetuals_address, "admin": admin}))
    else:
        await client.initialize()
        report(Step("initialize", "created", {"perpetuals": client.perpetuals_address, "admin": wallet}))
    return [await _pool(client, p, update, report) for p in spec.pools]


async def _pool(client: PerpPoolClient, spec: PoolSpec, update: bool, report: Reporter) -> DeployedPool:
    pool = client.pool_address(spec.name)
    if await _exists(client, pool):
        existing = (await client.fetch_pool(pool)).lp_cooldown_sec
        differs = {"lp_cooldown_sec": (existing, spec.lp_cooldown_sec)} if existing != spec.lp_cooldown_sec else {}
        report(Step("add_pool", "differs" if differs else "exists",
                    {"pool": pool, "name": spec.name, **({"config_differs": differs} if differs else {})}))
        lp_cooldown_sec = existing
    else:
        await client.add_pool(spec.name, lp_cooldown_sec=spec.lp_cooldown_sec)
        report(Step("add_pool", "created", {"pool": pool, "name": spec.name,
                                            "lp_cooldown_sec": spec.lp_cooldown_sec}))
        lp_cooldown_sec = spec.lp_cooldown_sec
    senior_lp_mint = await _tranches(client, pool, spec, update, report)
    custodies = [await _custody(client, pool, c, update, report) for c in spec.custodies]
    listed = set((await client.fetch_pool(pool)).custodies)
    extra = listed - {c.custody for c in custodies}
    if extra:
        report(Step("pool_custodies", "differs", {"pool": pool, "not_in_config": sorted(map(str, extra))}))
    stake_pool = None
    if spec.staking is not None:
        reward = next(c for c in custodies if c.symbol == spec.staking.reward_symbol)
        stake_pool = await _stake_pool(client, pool, spec.staking, reward.custody, update, report)
        if senior_lp_mint is not None:
            await _senior_stake_vault(client, pool, senior_lp_mint, report)
    return DeployedPool(spec.name, pool, client.lp_mint_address(pool), lp_cooldown_sec, custodies, stake_pool,
                        senior_lp_mint)


async def _senior_stake_vault(client: PerpPoolClient, pool: Pubkey, senior_lp_mint: Pubkey,
                              report: Reporter) -> None:
    """Opens the stake pool's senior slot of a tranched pool (`add_stake_vault`), so senior LP can
    be locked and the stake pool's junior share applies; reported as existing when it is open."""
    onchain = await client.fetch_stake_pool(pool)
    fields_: dict[str, Any] = {"stake_pool": client.stake_pool_address(pool), "lp_mint": senior_lp_mint}
    if onchain.vaults[1] != Pubkey.default():
        report(Step("add_stake_vault", "exists", fields_))
        return
    await client.add_stake_vault(pool, senior_lp_mint)
    report(Step("add_stake_vault", "created", fields_))


async def _stake_pool(client: PerpPoolClient, pool: Pubkey, spec: StakingSpec, reward_custody: Pubkey, update: bool,
                      report: Reporter) -> Pubkey:
    address = client.stake_pool_address(pool)
    fields_: dict[str, Any] = {"stake_pool": address, "reward_custody": reward_custody}
    if not await _exists(client, address):
        await client.init_stake_pool(pool, reward_custody, ladder=spec.ladder, junior_share_bps=spec.junior_share_bps)
        report(Step("init_stake_pool", "created", {**fields_, "tiers": len(spec.ladder),
                                                   "junior_share_bps": spec.junior_share_bps}))
        return address
    onchain = await client.fetch_stake_pool(pool)
    ladder = [(t.duration_days, t.multiplier_bps) for t in onchain.ladder[:onchain.tier_count]]
    wanted = [(t.duration_days, t.multiplier_bps) for t in spec.ladder]
    differs: dict[str, tuple[Any, Any]] = {}
    if ladder != wanted:
        differs["tiers"] = (ladder, wanted)
    if onchain.split.junior_share_bps != spec.junior_share_bps:
        differs["junior_share_bps"] = (onchain.split.junior_share_bps, spec.junior_share_bps)
    fixed = {"reward_custody": (onchain.reward_custody, reward_custody)} if onchain.reward_custody != reward_custody \
        else {}
    if differs and update:
        await client.set_stake_pool_config(pool, ladder=spec.ladder, junior_share_bps=spec.junior_share_bps)
        report(Step("set_stake_pool_config", "updated", {**fields_, "config_differs": {**differs, **fixed}}))
    else:
        all_differs = {**differs, **fixed}
        report(Step("init_stake_pool", "differs" if all_differs else "exists",
                    {**fields_, **({"config_differs": all_differs} if all_differs else {})}))
    return address


async def _tranches(client: PerpPoolClient, pool: Pubkey, spec: PoolSpec, update: bool,
                    report: Reporter) -> Pubkey | None:
    """Adds the config's senior tranche to a pool that has issued no LP yet, compares an existing
    one's terms (rewritten with `update`); returns the senior LP mint of a tranched pool."""
    onchain = await client.fetch_pool(pool)
    senior_mint = client.lp_mint_address(pool, Tranche.SENIOR)
    tranched = onchain.senior.mint != Pubkey.default()
    want = spec.tranches
    fields_: dict[str, Any] = {"pool": pool, "name": spec.name}
    if want is None:
        if tranched:  # a tranche cannot be removed: reported
            report(Step("add_senior_tranche", "differs", {**fields_, "senior_lp_mint": senior_mint,
                                                          "config_differs": {"tranches": ("senior", "none")}}))
        return senior_mint if tranched else None
    terms = {"rate_bps": want.rate_bps, "max_senior_junior_ratio_bps": want.max_senior_junior_ratio_bps,
             "senior_deposit_ratio_bps": want.senior_deposit_ratio_bps, "max_senior_usd": want.max_senior_usd}
    if not tranched:
        lp_supply = int((await client.connection.get_token_supply(onchain.lp_token_mint, Confirmed)).value.amount)
        if lp_supply or onchain.dead_lp_supply:
            report(Step("add_senior_tranche", "differs", {
                **fields_, "config_differs": {"tranches": ("none", "senior")},
                "reason": "the pool has issued LP: a senior tranche is only added before its first deposit"}))
            return None
        await client.add_senior_tranche(pool, **terms)
        report(Step("add_senior_tranche", "created", {**fields_, "senior_lp_mint": senior_mint, **terms}))
        return senior_mint
    have = {"rate_bps": onchain.senior.rate_bps,
            "max_senior_junior_ratio_bps": onchain.senior.max_senior_junior_ratio_bps,
            "senior_deposit_ratio_bps": onchain.senior.senior_deposit_ratio_bps,
            "max_senior_usd": onchain.senior.max_senior_usd}
    differs = {f"tranches.{k}": (have[k], v) for k, v in terms.items() if have[k] != v}
    if differs and update:
        await client.set_tranche_config(pool, **terms)
        report(Step("set_tranche_config", "updated", {**fields_, "config_differs": differs}))
    else:
        report(Step("add_senior_tranche", "differs" if differs else "exists",
                    {**fields_, "senior_lp_mint": senior_mint, **({"config_differs": differs} if differs else {})}))
    return senior_mint


async def _mint(client: PerpPoolClient, spec: CustodySpec, report: Reporter) -> tuple[int, Pubkey | None]:
    """(decimals, mint authority) of the custody's mint, creating it when the config has its keypair."""
    mint = spec.mint
    try:
        info = await fetch_mint(client.connection, mint.address)
    except ValueError as exc:
        raise DeployError("NotAMint", f"{spec.key}: {exc}") from None
    if info is None:
        if mint.keypair is None:
            raise DeployError("MintNotFound", f"{spec.key}.mint: no mint at {mint.address} on this node (use "
                              "`mint_keypair` to create a test mint)")
        decimals = mint.decimals if mint.decimals is not None else 6
        await create_mint(client.transport, decimals, mint=mint.keypair)
        report(Step("mint", "created", {"symbol": spec.symbol, "mint": mint.address, "decimals": decimals,
                                        "mint_authority": client.wallet.pubkey()}))
        return decimals, client.wallet.pubkey()
    differs = {"decimals": (info.decimals, mint.decimals)} if mint.decimals not in (None, info.decimals) else {}
    report(Step("mint", "differs" if differs else "exists",
                {"symbol": spec.symbol, "mint": mint.address, "mint_authority": info.mint_authority,
                 **({"config_differs": differs} if differs else {})}))
    return info.decimals, info.mint_authority


def _oracle_differs(client: PerpPoolClient, onchain: Any, spec: CustodySpec) -> dict[str, tuple[Any, Any]]:
    o = spec.oracle
    wanted: dict[str, Any] = {
        "oracle.type": OracleKind(o.oracle_type).value,
        "oracle.authority": o.oracle_authority or client.wallet.pubkey(),
        "oracle.max_price_error_bps": o.max_price_error_bps,
        "oracle.max_price_age_sec": o.max_price_age_sec,
    }
    have: dict[str, Any] = {
        "oracle.type": oracle_kind(onchain.oracle.oracle_type).value,
        "oracle.authority": onchain.oracle.oracle_authority,
        "oracle.max_price_error_bps": onchain.oracle.max_price_error_bps,
        "oracle.max_price_age_sec": onchain.oracle.max_price_age_sec,
    }
    if OracleKind(o.oracle_type) is OracleKind.PYTH:
        wanted.update({"oracle.account": o.oracle_account, "oracle.feed_id": o.feed_id.hex()})
        have.update({"oracle.account": onchain.oracle.oracle_account,
                     "oracle.feed_id": bytes(onchain.oracle.feed_id).hex()})
    return {k: (have[k], v) for k, v in wanted.items() if have[k] != v}


def _differs(client: PerpPoolClient, onchain: Any, spec: CustodySpec) -> dict[str, tuple[Any, Any]]:
    """Every parameter whose value on chain is not the config's: {key: (on chain, config)}."""
    out = _oracle_differs(client, onchain, spec)
    for section, config in (("fees", spec.fees), ("pricing", spec.pricing), ("borrow_rate", spec.borrow_rate)):
        have = getattr(onchain, section)
        for f in dataclasses.fields(config):
            if getattr(have, f.name) != getattr(config, f.name):
                out[f"{section}.{f.name}"] = (getattr(have, f.name), getattr(config, f.name))
    if onchain.is_stable != spec.is_stable:
        out["is_stable"] = (onchain.is_stable, spec.is_stable)
    return out


async def _custody(client: PerpPoolClient, pool: Pubkey, spec: CustodySpec, update: bool,
                   report: Reporter) -> DeployedCustody:
    decimals, mint_authority = await _mint(client, spec, report)
    mint = spec.mint.address
    custody = client.custody_address(pool, mint)
    fields_: dict[str, Any] = {"symbol": spec.symbol, "custody": custody, "mint": mint}
    if await _exists(client, custody):
        onchain = await client.fetch_custody(custody)
        differs = _differs(client, onchain, spec)
        if differs and update and set(differs) != {"is_stable"}:
            await client.set_custody_config(pool, custody, oracle=spec.oracle, fees=spec.fees, pricing=spec.pricing,
                                            borrow_rate=spec.borrow_rate)
            report(Step("set_custody_config", "updated", {**fields_, "config_differs": differs}))
        else:
            report(Step("add_custody", "differs" if differs else "exists",
                        {**fields_, **({"config_differs": differs} if differs else {})}))
    else:
        await client.add_custody(pool, mint, oracle=spec.oracle, fees=spec.fees, pricing=spec.pricing,
                                 borrow_rate=spec.borrow_rate, is_stable=spec.is_stable)
        report(Step("add_custody", "created", {**fields_, "is_stable": spec.is_stable,
                                               "tradeable": spec.tradeable}))
    await _weights(client, pool, custody, spec, update, report)
    price = await _oracle_price(client, custody, spec, report)
    return DeployedCustody(spec.symbol, mint, custody, decimals, spec.is_stable, spec.tradeable, mint_authority,
                           price)


async def _weights(client: PerpPoolClient, pool: Pubkey, custody: Pubkey, spec: CustodySpec, update: bool,
                   report: Reporter) -> None:
    """Sets the custody's weight rule from the config; compares an existing one (rewritten with
    `update`). A custody with no rule on chain nor in the config reports nothing."""
    onchain = weight_config((await client.fetch_custody(custody)).weights)
    wanted = spec.weights
    if not (onchain.has_rule or wanted.has_rule):
        return
    fields_: dict[str, Any] = {"symbol": spec.symbol, "custody": custody}
    differs = {f"weights.{f.name}": (getattr(onchain, f.name), getattr(wanted, f.name))
               for f in dataclasses.fields(WeightConfig) if getattr(onchain, f.name) != getattr(wanted, f.name)}
    if not differs:
        report(Step("set_custody_weights", "exists", fields_))
    elif not onchain.has_rule:
        await client.set_custody_weights(pool, custody, wanted)
        report(Step("set_custody_weights", "created", {**fields_, **dataclasses.asdict(wanted)}))
    elif update:
        await client.set_custody_weights(pool, custody, wanted)
        report(Step("set_custody_weights", "updated", {**fields_, "config_differs": differs}))
    else:
        report(Step("set_custody_weights", "differs", {**fields_, "config_differs": differs}))


async def _oracle_price(client: PerpPoolClient, custody: Pubkey, spec: CustodySpec,
                        report: Reporter) -> int | None:
    """Writes `initial_price` into a custom oracle that has no price, or a stale one the wallet may
    write; returns the oracle's price (PRICE_DECIMALS) afterwards, None for Pyth or no price."""
    if OracleKind(spec.oracle.oracle_type) is not OracleKind.CUSTOM:
        return None
    address = client.custom_oracle_address(custody)
    now = await node_unix_time(client.connection)
    try:
        oracle = await client.fetch_custom_oracle(address)
    except AccountDoesNotExistError:
        oracle = None
    authority = spec.oracle.oracle_authority or client.wallet.pubkey()
    if oracle is not None:
        stale = now - oracle.publish_time > spec.oracle.max_price_age_sec
        can_write = authority == client.wallet.pubkey()
        if not (stale and can_write and spec.initial_price is not None):
            report(Step("set_custom_oracle_price", "exists", {"symbol": spec.symbol, "oracle": address,
                                                              "stale": stale}))
            return OraclePrice(oracle.price, oracle.expo).scale_to_price_decimals(Rounding.FLOOR)
    if spec.initial_price is None:
        return None
    if authority != client.wallet.pubkey():
        report(Step("set_custom_oracle_price", "skipped", {"symbol": spec.symbol, "oracle": address,
                                                           "reason": f"the oracle authority is {authority}"}))
        return None
    ema = spec.initial_ema if spec.initial_ema is not None else spec.initial_price
    await client.set_custom_oracle_price(custody, price=spec.initial_price, expo=PRICE_EXPO, conf=spec.initial_conf,
                                         ema=ema, publish_time=now)
    report(Step("set_custom_oracle_price", "created" if oracle is None else "updated",
                {"symbol": spec.symbol, "oracle": address, "price": spec.initial_price}))
    return spec.initial_price
