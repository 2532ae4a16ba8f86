"""What a stress run needs: the pool (its collateral custody, the traded market, its tranches), the
trader population, the price model and the run's shape. Plain frozen dataclasses in the program's
own integer units (tokens in base units, USD in USD_DECIMALS, prices in PRICE_DECIMALS, BPS, hourly
rates in RATE_DECIMALS); the model's own knobs (volatility, distributions) are floats.

`load_config` reads them from a TOML file (examples/stress.example.toml); the CLI builds
`PoolParams` from chain accounts with `pool_params_from_accounts`.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from perp_pool.constants import PRICE_DECIMALS, PRICE_POWER, USD_POWER
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.skew import SkewParams, skew_params_valid
from perp_pool.math.trade import CollateralCustody, Market, MarketSkew

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DAY_SECONDS = 86_400

# The stable collateral custody is priced at exactly 1 USD for the whole run.
ONE_USD = OraclePrice(PRICE_POWER, -PRICE_DECIMALS)


@dataclass(frozen=True)
class CollateralParams:
    """The stable custody LPs deposit into and positions post collateral in (1 USD a token)."""

    decimals: int = 6
    owned: int = 2_000_000 * USD_POWER  # tokens the LPs own
    locked: int = 0
    insurance_fund: int = 20_000 * USD_POWER
    max_utilization: int = 900_000_000
    max_total_locked_usd: int = 0
    protocol_share_bps: int = 2_000
    insurance_share_bps: int = 1_000
    staker_share_bps: int = 1_000
    base_rate: int = 0  # borrow rate, RATE_DECIMALS per hour
    slope1: int = 80_000
    slope2: int = 120_000
    optimal_utilization: int = 800_000_000

    def custody(self, owned: int | None = None, locked: int | None = None,
                price: OraclePrice = ONE_USD) -> CollateralCustody:
        """The custody as a trade sees it, at `price` (min = max: spot = EMA, confidence 0)."""
        return CollateralCustody(self.decimals, price, price, self.owned if owned is None else owned,
                                 self.locked if locked is None else locked, max_utilization=self.max_utilization,
                                 max_total_locked_usd=self.max_total_locked_usd,
                                 protocol_share_bps=self.protocol_share_bps,
                                 insurance_share_bps=self.insurance_share_bps,
                                 staker_share_bps=self.staker_share_bps,
                                 optimal_utilization=self.optimal_utilization)


@dataclass(frozen=True)
class MarketParams:
    """The traded custody: its price at t0, spreads and the trade parameters `Market` carries. `lp_tokens`:
    tokens of this asset the LPs hold in its custody (a multi-asset pool), valued at the path's price."""

    symbol: str = "SOL"
    decimals: int = 9
    price: int = 150 * PRICE_POWER
    spread_long_bps: int = 10
    spread_short_bps: int = 10
    min_initial_leverage_bps: int = 10_000
    max_initial_leverage_bps: int = 500_000
    max_leverage_bps: int = 1_000_000
    max_payoff_mult_bps: int = 10_000
    max_position_size_usd: int = 1_000_000 * USD_POWER
    open_position_bps: int = 10
    close_position_bps: int = 10
    liquidation_bps: int = 50
    liquidator_reward_bps: int = 20
    lp_tokens: int = 0
    # This custody as the collateral custody of asset-backed longs (its lending side): tokens locked
    # at t0 (of lp_tokens), its insurance fund (tokens), caps, fee shares and borrow-rate curve.
    locked: int = 0
    insurance_fund: int = 0
    max_utilization: int = 900_000_000
    max_total_locked_usd: int = 0
    protocol_share_bps: int = 2_000
    insurance_share_bps: int = 1_000
    staker_share_bps: int = 1_000
    base_rate: int = 0
    slope1: int = 80_000
    slope2: int = 120_000
    optimal_utilization: int = 800_000_000
    # The skew premium and exposure caps (`custody.skew`, types::SkewParams; all 0: none).
    skew_scale_aum_bps: int = 0
    fee_premium_max_bps: int = 0
    fee_discount_max_bps: int = 0
    borrow_premium_max_rate: int = 0  # RATE_DECIMALS per hour
    max_net_exposure_usd: int = 0
    max_net_exposure_aum_bps: int = 0

    def lending(self) -> CollateralParams:
        """The custody's lending side as `CollateralParams` (owned = the LPs' tokens)."""
        return CollateralParams(self.decimals, self.lp_tokens, self.locked, self.insurance_fund, self.max_utilization,
                                self.max_total_locked_usd, self.protocol_share_bps, self.insurance_share_bps,
                                self.staker_share_bps, self.base_rate, self.slope1, self.slope2,
                                self.optimal_utilization)

    def oracle(self, price: int) -> OraclePrice:
        return OraclePrice(price, -PRICE_DECIMALS)

    def skew(self) -> SkewParams:
        return SkewParams(self.skew_scale_aum_bps, self.fee_premium_max_bps, self.fee_discount_max_bps,
                          self.borrow_premium_max_rate, self.max_net_exposure_usd, self.max_net_exposure_aum_bps)

    def market(self, net_usd: int = 0, aum_usd: int = 0) -> Market:
        """The trade math's `Market`, its skew priced at `net_usd` (long - short OI) and `aum_usd`."""
        return Market(self.min_initial_leverage_bps, self.max_initial_leverage_bps, self.max_leverage_bps,
                      self.max_payoff_mult_bps, self.max_position_size_usd, self.open_position_bps,
                      self.close_position_bps, self.liquidation_bps, self.liquidator_reward_bps,
                      MarketSkew(self.skew(), net_usd, aum_usd))


@dataclass(frozen=True)
class TrancheParams:
    """A tranched pool's senior tranche at t0: its LP supply, index (SENIOR_INDEX_DECIMALS) and rate."""

    senior_supply: int
    senior_index: int
    rate_bps: int


@dataclass(frozen=True)
class ExistingPosition:
    """A position already open in the pool (read from chain): the simulator settles it like the
    ones it opens. `snapshot`: its interest snapshot minus the custody's index at t0 (<= 0)."""

    long: bool
    quantity: int
    size_usd: int
    collateral_amount: int
    locked_amount: int
    snapshot: int
    premium_snapshot: int = 0  # its skew premium snapshot minus its side's premium index at t0 (<= 0)
    asset_backed: bool = False  # a long whose collateral custody is the traded one (its snapshot: that index)


@dataclass(frozen=True)
class PoolParams:
    """`positions`: the pool's open positions at t0 (their locks are in `collateral.locked` already).
    `aum_usd`: the pool's cached AUM (`pool.aum_usd`) the skew premium and the AUM cap read, held for
    the run like the program holds it between refreshes; None: the LPs' value at t0 (owned stable
    tokens plus their tokens of the traded asset at the t0 price)."""

    name: str = "demo"
    aum_usd: int | None = None
    collateral: CollateralParams = CollateralParams()
    market: MarketParams = MarketParams()
    tranches: TrancheParams | None = TrancheParams(senior_supply=600_000 * USD_POWER, senior_index=10**12,
                                                   rate_bps=500)
    positions: tuple[ExistingPosition, ...] = ()


@dataclass(frozen=True)
class TraderParams:
    """The population opened at t0. Leverage is log-normal with mean `leverage_mean` (x) and log-sd
    `leverage_sigma`, clipped into the market's initial leverage band; sizes log-normal (median USD,
    log-sd), clipped to the market's max size; a `stop_loss_share` of them places a stop-loss
    `stop_distance` (fraction of the price) away, if the program would accept it there."""

    count: int = 1_000
    long_share: float = 0.5
    leverage_mean: float = 10.0
    leverage_sigma: float = 0.6
    size_median_usd: float = 600.0
    size_sigma: float = 1.0
    stop_loss_share: float = 0.3
    stop_distance: float = 0.05
    asset_backed_share: float = 0.0  # of the longs: collateral (and lock, payout) in the traded token


@dataclass(frozen=True)
class PathParams:
    """GBM with Merton jumps (annualised drift and volatility, jumps a year, log-jump mean and sd), or
    `bootstrap`: log returns per step drawn with replacement from a CSV's (see paths.load_returns)."""

    drift: float = 0.0
    vol: float = 0.8
    jump_intensity: float = 10.0
    jump_mean: float = -0.03
    jump_std: float = 0.06
    bootstrap: tuple[float, ...] = ()


@dataclass(frozen=True)
class RunParams:
    paths: int = 10_000
    horizon_sec: int = DAY_SECONDS
    step_sec: int = 60
    keeper_delay_steps: int = 1
    seed: int = 7
    batch_paths: int = 500

    @property
    def steps(self) -> int:
        return self.horizon_sec // self.step_sec


@dataclass(frozen=True)
class StressConfig:
    pool: PoolParams = PoolParams()
    traders: TraderParams = TraderParams()
    price: PathParams = PathParams()
    run: RunParams = RunParams()


def _price(value: Any, key: str) -> int:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{key}: not a price: {value!r}") from None
    scaled = d * PRICE_POWER
    if scaled != scaled.to_integral_value() or scaled <= 0:
        raise ValueError(f"{key}: a positive price with at most {PRICE_DECIMALS} decimals, got {value!r}")
    return int(scaled)


def _apply(obj: Any, table: dict[str, Any], where: str) -> Any:
    names = {f.name: f for f in dataclasses.fields(obj)}
    updates: dict[str, Any] = {}
    for key, value in table.items():
        if key not in names:
            raise ValueError(f"{where}.{key}: unknown key (known: {', '.join(sorted(names))})")
        current = getattr(obj, key)
        if key == "price" and isinstance(obj, MarketParams):
            updates[key] = _price(value, f"{where}.{key}")
        elif isinstance(current, bool) or isinstance(value, bool):
            raise ValueError(f"{where}.{key}: unexpected boolean")
        elif isinstance(current, int) and not isinstance(value, int):
            raise ValueError(f"{where}.{key}: an integer in the program's units, got {value!r}")
        elif isinstance(current, float):
            if not isinstance(value, (int, float)):
                raise ValueError(f"{where}.{key}: a number, got {value!r}")
            updates[key] = float(value)
        else:
            updates[key] = value
        if key not in updates:
            updates[key] = value
    return replace(obj, **updates)


def load_config(path: Path, base: StressConfig | None = None) -> StressConfig:
    """A TOML file of `[pool]`, `[pool.collateral]`, `[pool.market]`, `[pool.tranches]` (or
    `tranches = false`), `[traders]`, `[price]` and `[run]` tables; anything left out keeps `base`'s
    (the defaults). ValueError naming the key on a bad entry."""
    data = tomllib.loads(path.read_text())
    cfg = base or StressConfig()
    unknown = set(data) - {"pool", "traders", "price", "run"}
    if unknown:
        raise ValueError(f"unknown tables: {', '.join(sorted(unknown))} (known: pool, traders, price, run)")
    pool_t = dict(data.get("pool", {}))
    pool = cfg.pool
    if "name" in pool_t:
        pool = replace(pool, name=str(pool_t.pop("name")))
    if "aum_usd" in pool_t:
        aum = pool_t.pop("aum_usd")
        if isinstance(aum, bool) or not isinstance(aum, int) or aum < 0:
            raise ValueError(f"pool.aum_usd: a USD amount (USD_DECIMALS), got {aum!r}")
        pool = replace(pool, aum_usd=aum)
    if "collateral" in pool_t:
        pool = replace(pool, collateral=_apply(pool.collateral, pool_t.pop("collateral"), "pool.collateral"))
    if "market" in pool_t:
        pool = replace(pool, market=_apply(pool.market, pool_t.pop("market"), "pool.market"))
    if "tranches" in pool_t:
        tranches = pool_t.pop("tranches")
        if tranches is False:
            pool = replace(pool, tranches=None)
        else:
            base_t = pool.tranches or TrancheParams(0, 10**12, 0)
            pool = replace(pool, tranches=_apply(base_t, tranches, "pool.tranches"))
    if pool_t:
        raise ValueError(f"pool.{next(iter(pool_t))}: unknown key")
    traders = _apply(cfg.traders, data.get("traders", {}), "traders")
    price_t = dict(data.get("price", {}))
    if "bootstrap_csv" in price_t:
        from perp_pool.risk.paths import load_returns

        csv = Path(str(price_t.pop("bootstrap_csv")))
        price_t["bootstrap"] = tuple(load_returns(csv if csv.is_absolute() else path.parent / csv))
    price = _apply(cfg.price, price_t, "price")
    run = _apply(cfg.run, data.get("run", {}), "run")
    out = StressConfig(pool, traders, price, run)
    validate(out)
    return out


def validate(cfg: StressConfig) -> None:
    r, t, p = cfg.run, cfg.traders, cfg.price
    problems = []
    if r.paths < 1:
        problems.append("run.paths: at least 1")
    if r.step_sec < 1 or r.horizon_sec < r.step_sec:
        problems.append("run.step_sec / horizon_sec: a step of at least 1 s, a horizon of at least one step")
    if r.keeper_delay_steps < 0:
        problems.append("run.keeper_delay_steps: 0 or more")
    if r.batch_paths < 1:
        problems.append("run.batch_paths: at least 1")
    if t.count < 1:
        problems.append("traders.count: at least 1")
    if not 0 <= t.long_share <= 1 or not 0 <= t.stop_loss_share <= 1 or not 0 <= t.asset_backed_share <= 1:
        problems.append("traders.long_share / stop_loss_share / asset_backed_share: between 0 and 1")
    if t.leverage_mean < 1 or t.size_median_usd <= 0 or not 0 < t.stop_distance < 1:
        problems.append("traders: leverage_mean >= 1, size_median_usd > 0, 0 < stop_distance < 1")
    if p.vol < 0 or p.jump_intensity < 0 or p.jump_std < 0:
        problems.append("price: vol, jump_intensity and jump_std are not negative")
    if not skew_params_valid(cfg.pool.market.skew()):
        problems.append("pool.market skew: the program's bounds (set_skew_config, InvalidSkewConfig): no premium "
                        "without skew_scale_aum_bps, scale <= 100000, fee premium + discount <= 10000, borrow "
                        "premium <= RATE_POWER, max_net_exposure_aum_bps <= 1000000")
    if problems:
        raise ValueError("\n".join(problems))


def pool_params_from_accounts(name: str, collateral: Any, market: Any, market_price: int,
                              tranche_state: Any | None, aum_usd: int | None = None) -> PoolParams:
    """PoolParams from anchorpy-decoded Custody accounts (the stable collateral custody and the
    traded one), the market's oracle price now (PRICE_DECIMALS), the pool's `get_tranche_state`
    (None: no tranches) and its cached AUM (`pool.aum_usd`; None: the LPs' value at t0)."""
    c, cp, cf, cb = collateral, collateral.pricing, collateral.fees, collateral.borrow_rate
    m, mp, mf, mb = market, market.pricing, market.fees, market.borrow_rate
    skew = SkewParams.from_account(m.skew) if getattr(m, "skew", None) is not None else SkewParams()
    tranches = None
    if tranche_state is not None and getattr(tranche_state, "tranched", False):
        tranches = TrancheParams(tranche_state.senior_supply, tranche_state.senior_index,
                                 tranche_state.senior_rate_bps)
    return PoolParams(
        name=name, aum_usd=aum_usd,
        collateral=CollateralParams(
            decimals=c.decimals, owned=c.assets.owned, locked=c.assets.locked, insurance_fund=c.assets.insurance_fund,
            max_utilization=cp.max_utilization, max_total_locked_usd=cp.max_total_locked_usd,
            protocol_share_bps=cf.protocol_share_bps, insurance_share_bps=cf.insurance_share_bps,
            staker_share_bps=cf.staker_share_bps, base_rate=cb.base_rate, slope1=cb.slope1, slope2=cb.slope2,
            optimal_utilization=cb.optimal_utilization),
        market=MarketParams(
            symbol=str(m.mint), decimals=m.decimals, price=market_price,
            spread_long_bps=mp.trade_spread_long_bps, spread_short_bps=mp.trade_spread_short_bps,
            min_initial_leverage_bps=mp.min_initial_leverage_bps, max_initial_leverage_bps=mp.max_initial_leverage_bps,
            max_leverage_bps=mp.max_leverage_bps, max_payoff_mult_bps=mp.max_payoff_mult_bps,
            max_position_size_usd=mp.max_position_size_usd, open_position_bps=mf.open_position_bps,
            close_position_bps=mf.close_position_bps, liquidation_bps=mf.liquidation_bps,
            liquidator_reward_bps=mf.liquidator_reward_bps, lp_tokens=m.assets.owned,
            locked=m.assets.locked, insurance_fund=m.assets.insurance_fund, max_utilization=mp.max_utilization,
            max_total_locked_usd=mp.max_total_locked_usd, protocol_share_bps=mf.protocol_share_bps,
            insurance_share_bps=mf.insurance_share_bps, staker_share_bps=mf.staker_share_bps,
            base_rate=mb.base_rate, slope1=mb.slope1, slope2=mb.slope2, optimal_utilization=mb.optimal_utilization,
            skew_scale_aum_bps=skew.scale_aum_bps, fee_premium_max_bps=skew.fee_premium_max_bps,
            fee_discount_max_bps=skew.fee_discount_max_bps, borrow_premium_max_rate=skew.borrow_premium_max_rate,
            max_net_exposure_usd=skew.max_net_exposure_usd, max_net_exposure_aum_bps=skew.max_net_exposure_aum_bps),
        tranches=tranches,
    )


__all__ = ["CollateralParams", "DAY_SECONDS", "ExistingPosition", "MarketParams", "ONE_USD", "PathParams",
           "PoolParams", "RunParams", "StressConfig", "TraderParams", "TrancheParams", "load_config",
           "pool_params_from_accounts", "validate"]
