"""What every trading instruction moves, mirroring math/trade.rs: open, increase, decrease / close,
liquidation and collateral removal, as pure functions of integers with the program's errors.

Token conventions (collateral custody tokens): collateral is valued at the custody's MIN price
(floor); USD is turned into tokens at its MAX price, rounded up for what the trader owes (fees,
interest, losses, the lock) and down for what the pool pays (profit, withdrawals).

The inputs are flat: `CollateralCustody` and `Market` carry exactly the custody fields the Rust
functions read (`from_custody` builds them from anchorpy-decoded Custody accounts, like
`Custody::collateral_view` / `Custody::market`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from perp_pool import errors
from perp_pool.constants import BPS_POWER
from perp_pool.math.borrow import utilization
from perp_pool.math.fees import (
    FeeSplit,
    close_position_fee_usd,
    liquidation_fee_usd,
    liquidator_reward_usd,
    open_fee_bps,
    split_fee,
)
from perp_pool.math.fixed import Rounding, mul_div, u64, u128
from perp_pool.math.oracle import OraclePrice
from perp_pool.math.pnl import (
    HealthInputs,
    ProfitAndLoss,
    against_trader_quantity,
    average_entry_price,
    capped_pnl,
    entry_quantity,
    is_liquidatable,
    position_pnl,
)
from perp_pool.math.pricing import Side
from perp_pool.math.skew import (
    SkewFee,
    SkewParams,
    check_net_exposure,
    net_exposure_usd,
    signed_size,
    skew_open_fee,
)


@dataclass(frozen=True)
class CollateralCustody:
    """The collateral (lending) custody as a trade sees it."""

    decimals: int
    min_price: OraclePrice
    max_price: OraclePrice
    owned: int
    locked: int
    max_utilization: int = 0  # pricing.max_utilization (0: unlimited)
    max_total_locked_usd: int = 0  # pricing.max_total_locked_usd (0: unlimited)
    protocol_share_bps: int = 0  # fees.protocol_share_bps
    insurance_share_bps: int = 0  # fees.insurance_share_bps
    staker_share_bps: int = 0  # fees.staker_share_bps
    optimal_utilization: int = 0  # borrow_rate.optimal_utilization

    @classmethod
    def from_custody(cls, custody: Any, min_price: OraclePrice, max_price: OraclePrice) -> CollateralCustody:
        """`Custody::collateral_view` of an anchorpy-decoded Custody account."""
        return cls(custody.decimals, min_price, max_price, custody.assets.owned, custody.assets.locked,
                   max_utilization=custody.pricing.max_utilization,
                   max_total_locked_usd=custody.pricing.max_total_locked_usd,
                   protocol_share_bps=custody.fees.protocol_share_bps,
                   insurance_share_bps=custody.fees.insurance_share_bps,
                   staker_share_bps=custody.fees.staker_share_bps,
                   optimal_utilization=custody.borrow_rate.optimal_utilization)

    def value_usd(self, amount: int) -> int:
        """Collateral value: tokens at the min price, floor."""
        return u64(self.min_price.token_to_usd(amount, self.decimals, Rounding.FLOOR))

    def owed_tokens(self, usd: int) -> int:
        """Tokens the trader owes for `usd` (loss, fee, interest, reward): min price, ceil (review F1)."""
        return u64(self.min_price.usd_to_token(usd, self.decimals, Rounding.CEIL))

    def lock_tokens(self, usd: int) -> int:
        """Tokens locked for a payoff cap of `usd`: max price, ceil."""
        return u64(self.max_price.usd_to_token(usd, self.decimals, Rounding.CEIL))

    def paid_tokens(self, usd: int) -> int:
        """Tokens the pool pays for `usd`: max price, floor."""
        return u64(self.max_price.usd_to_token(usd, self.decimals, Rounding.FLOOR))

    def check_lock(self, extra: int) -> int:
        """Checks that `extra` more locked tokens fit; returns the utilisation after. In order:
        InsufficientLiquidity, MaxUtilizationExceeded, MaxTotalLockedExceeded (a cap of 0 is unlimited)."""
        locked_after = u64(self.locked + extra)
        if locked_after > self.owned:
            raise errors.InsufficientLiquidity()
        utilization_after = utilization(locked_after, self.owned)
        if self.max_utilization != 0 and utilization_after > self.max_utilization:
            raise errors.MaxUtilizationExceeded()
        if self.max_total_locked_usd > 0:
            locked_usd = self.max_price.token_to_usd(locked_after, self.decimals, Rounding.CEIL)
            if locked_usd > self.max_total_locked_usd:
                raise errors.MaxTotalLockedExceeded()
        return utilization_after

    def split(self, fee: int) -> FeeSplit:
        return split_fee(fee, self.protocol_share_bps, self.insurance_share_bps, self.staker_share_bps)


@dataclass(frozen=True)
class MarketSkew:
    """`math::trade::MarketSkew`: what opening and increasing need to price the skew."""

    params: SkewParams = SkewParams()
    net_usd: int = 0  # long OI - short OI before the trade
    aum_usd: int = 0  # the pool's cached AUM


def open_fee_with_skew(side: Side, size_usd: int, utilization_after: int, collateral: CollateralCustody,
                       market: Market) -> SkewFee:
    """`open_fee_with_skew`: the utilisation-scaled open fee with the skew premium or discount."""
    fee_bps = open_fee_bps(market.open_position_bps, utilization_after, collateral.optimal_utilization)
    return skew_open_fee(side, size_usd, fee_bps, market.skew.net_usd, market.skew.aum_usd, market.skew.params)


def check_skew_cap(side: Side, size_usd: int, market: Market) -> None:
    check_net_exposure(market.skew.net_usd, market.skew.net_usd + signed_size(side, size_usd), market.skew.aum_usd,
                       market.skew.params)


@dataclass(frozen=True)
class Market:
    """The traded custody's parameters (the ones the trade math reads)."""

    min_initial_leverage_bps: int
    max_initial_leverage_bps: int
    max_leverage_bps: int
    max_payoff_mult_bps: int
    max_position_size_usd: int  # 0: unlimited
    open_position_bps: int
    close_position_bps: int
    liquidation_bps: int
    liquidator_reward_bps: int
    skew: MarketSkew = MarketSkew()  # the skew premium and caps, the net before the trade, the pool's AUM

    @classmethod
    def from_custody(cls, custody: Any, aum_usd: int = 0) -> Market:
        """`Custody::market` of an anchorpy-decoded Custody account, with the pool's cached AUM
        (`Market::with_aum`)."""
        p, f = custody.pricing, custody.fees
        skew, longs, shorts = (getattr(custody, k, None) for k in ("skew", "long_positions", "short_positions"))
        market_skew = MarketSkew(
            SkewParams.from_account(skew) if skew is not None else SkewParams(),
            net_exposure_usd(longs.size_usd, shorts.size_usd) if longs is not None and shorts is not None else 0,
            aum_usd)
        return cls(p.min_initial_leverage_bps, p.max_initial_leverage_bps, p.max_leverage_bps,
                   p.max_payoff_mult_bps, p.max_position_size_usd, f.open_position_bps, f.close_position_bps,
                   f.liquidation_bps, f.liquidator_reward_bps, market_skew)

    def with_aum(self, aum_usd: int) -> Market:
        return replace(self, skew=replace(self.skew, aum_usd=aum_usd))


@dataclass(frozen=True)
class PositionState:
    """The parts of a position the math needs (`Position::state`)."""

    side: Side
    quantity: int  # QUANTITY_DECIMALS
    size_usd: int
    collateral_amount: int
    locked_amount: int



def proportional_quantity(quantity: int, part: int, whole: int, rounding: Rounding) -> int:
    """`quantity * part / whole` rounded as asked, without the u128 overflow of the plain product
    (math/trade.rs `proportional_quantity`): `a * part + round(b * part / whole)` with
    `quantity = a * whole + b`."""
    if whole == 0:
        raise errors.MathOverflow()
    a, b = divmod(u128(quantity), u64(whole))
    return u128(u128(a * u64(part)) + mul_div(b, part, whole, rounding))

def locked_amount_for(size_usd: int, max_payoff_mult_bps: int, collateral: CollateralCustody) -> int:
    """Tokens to lock for `size_usd`: `ceil(size * max_payoff_mult_bps / BPS)` USD at the max price, ceil."""
    locked_usd = u64(mul_div(size_usd, max_payoff_mult_bps, BPS_POWER, Rounding.CEIL))
    return collateral.lock_tokens(locked_usd)


def health_inputs(position: PositionState, interest_usd: int, collateral: CollateralCustody,
                  market: Market) -> HealthInputs:
    """Health of a position now: collateral and profit cap at the collateral's min price, close fee
    on the whole size, `interest_usd` owed, the market's maintenance leverage."""
    return HealthInputs(
        side=position.side,
        quantity=position.quantity,
        size_usd=position.size_usd,
        collateral_usd=collateral.value_usd(position.collateral_amount),
        max_profit_usd=collateral.value_usd(position.locked_amount),
        close_fee_usd=close_position_fee_usd(position.size_usd, market.close_position_bps),
        interest_usd=interest_usd,
        max_leverage_bps=market.max_leverage_bps,
    )


def within_initial_leverage(position: PositionState, exit_price: int, interest_usd: int,
                            collateral: CollateralCustody, market: Market) -> bool:
    """Within the max INITIAL leverage at `exit_price`, unrealised profit NOT counted:
    `equity = collateral - loss - close fee - interest > 0` and `size * BPS <= equity * max_initial`."""
    health = replace(health_inputs(position, interest_usd, collateral, market), max_profit_usd=0,
                     max_leverage_bps=market.max_initial_leverage_bps)
    return not is_liquidatable(health, exit_price)


def _leverage_within(size_usd: int, collateral_usd: int, max_bps: int) -> bool:
    return size_usd * BPS_POWER <= collateral_usd * max_bps


# ---- open / increase ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenPositionAmounts:
    locked_amount: int  # tokens locked in the collateral custody
    utilization_after: int  # collateral custody utilisation after the lock, RATE_DECIMALS
    fee_usd: int
    fee_amount: int  # fee_usd in tokens (max price, ceil), taken from the deposited collateral
    fee_split: FeeSplit
    collateral_amount: int  # collateral_in - fee_amount
    collateral_usd: int  # collateral_amount at the min price (floor)
    quantity: int  # size in the traded token at the entry price, rounded against the trader
    skew_fee: SkewFee = SkewFee()  # how fee_usd was made: base, skew premium, skew discount


def compute_open_position(side: Side, size_usd: int, entry_price: int, exit_price: int, collateral_in: int,
                          collateral: CollateralCustody, market: Market) -> OpenPositionAmounts:
    """Besides the leverage on collateral, the opened position must be within the max initial
    leverage at `exit_price` (the side's exit price now) with profit not counted, so it is never
    liquidatable at once. Errors, in order: ZeroAmount; NoExposureChange; MaxPositionSizeExceeded;
    NetExposureLimitExceeded; the `check_lock` errors; InsufficientCollateral (fee >= collateral_in);
    MaxLeverageExceeded (leverage on collateral); MaxLeverageExceeded (not within the initial leverage at
    `exit_price`); MinLeverageNotMet."""
    if not (size_usd > 0 and collateral_in > 0):
        raise errors.ZeroAmount()
    quantity = entry_quantity(side, size_usd, entry_price)
    if quantity == 0:
        raise errors.NoExposureChange()
    if market.max_position_size_usd != 0 and size_usd > market.max_position_size_usd:
        raise errors.MaxPositionSizeExceeded()
    check_skew_cap(side, size_usd, market)
    locked_amount = locked_amount_for(size_usd, market.max_payoff_mult_bps, collateral)
    utilization_after = collateral.check_lock(locked_amount)
    skew_fee = open_fee_with_skew(side, size_usd, utilization_after, collateral, market)
    fee_usd = skew_fee.fee_usd
    fee_amount = collateral.owed_tokens(fee_usd)
    if fee_amount >= collateral_in:
        raise errors.InsufficientCollateral()
    collateral_amount = collateral_in - fee_amount
    collateral_usd = collateral.value_usd(collateral_amount)
    if not _leverage_within(size_usd, collateral_usd, market.max_initial_leverage_bps):
        raise errors.MaxLeverageExceeded()
    opened = PositionState(side, quantity, size_usd, collateral_amount, locked_amount)
    if not within_initial_leverage(opened, exit_price, 0, collateral, market):
        raise errors.MaxLeverageExceeded()
    if size_usd * BPS_POWER < collateral_usd * market.min_initial_leverage_bps:
        raise errors.MinLeverageNotMet()
    return OpenPositionAmounts(locked_amount, utilization_after, fee_usd, fee_amount, collateral.split(fee_amount),
                               collateral_amount, collateral_usd, quantity, skew_fee)


@dataclass(frozen=True)
class IncreasePositionAmounts:
    locked_delta: int  # extra tokens locked
    utilization_after: int
    fee_usd: int  # open fee on the added size
    fee_amount: int
    fee_split: FeeSplit
    interest_usd: int  # interest settled (on the size before the increase), USD and tokens
    interest_amount: int
    quantity_delta: int  # quantity added at the entry price, rounded against the trader
    price: int  # the position's average entry after the increase (informational)
    quantity: int
    size_usd: int
    collateral_amount: int
    collateral_usd: int
    locked_amount: int
    skew_fee: SkewFee = SkewFee()  # how fee_usd was made


def compute_increase_position(position: PositionState, size_delta_usd: int, collateral_in: int, entry_price: int,
                              exit_price: int, interest_usd: int, collateral: CollateralCustody,
                              market: Market) -> IncreasePositionAmounts:
    """Errors, in order: ZeroAmount; NoExposureChange; MaxPositionSizeExceeded (new size);
    NetExposureLimitExceeded; the `check_lock` errors; InsufficientCollateral (fee + interest >= collateral
    after the deposit); MaxLeverageExceeded (the position after is not within the initial leverage at `exit_price`)."""
    if size_delta_usd == 0:
        raise errors.ZeroAmount()
    quantity_delta = entry_quantity(position.side, size_delta_usd, entry_price)
    if quantity_delta == 0:
        raise errors.NoExposureChange()
    size_usd = u64(position.size_usd + size_delta_usd)
    if market.max_position_size_usd != 0 and size_usd > market.max_position_size_usd:
        raise errors.MaxPositionSizeExceeded()
    check_skew_cap(position.side, size_delta_usd, market)
    locked_delta = locked_amount_for(size_delta_usd, market.max_payoff_mult_bps, collateral)
    utilization_after = collateral.check_lock(locked_delta)
    skew_fee = open_fee_with_skew(position.side, size_delta_usd, utilization_after, collateral, market)
    fee_usd = skew_fee.fee_usd
    fee_amount = collateral.owed_tokens(fee_usd)
    interest_amount = collateral.owed_tokens(interest_usd)
    total = u64(position.collateral_amount + collateral_in)
    owed = u64(fee_amount + interest_amount)
    if owed >= total:
        raise errors.InsufficientCollateral()
    collateral_amount = total - owed
    collateral_usd = collateral.value_usd(collateral_amount)
    if size_usd * BPS_POWER < collateral_usd * market.min_initial_leverage_bps:
        raise errors.MinLeverageNotMet()  # the open's floor holds after an increase (review F2)

    quantity = u128(position.quantity + quantity_delta)
    price = average_entry_price(position.side, size_usd, quantity)
    locked_amount = u64(position.locked_amount + locked_delta)
    after = PositionState(position.side, quantity, size_usd, collateral_amount, locked_amount)
    if not within_initial_leverage(after, exit_price, 0, collateral, market):
        raise errors.MaxLeverageExceeded()
    return IncreasePositionAmounts(locked_delta, utilization_after, fee_usd, fee_amount, collateral.split(fee_amount),
                                   interest_usd, interest_amount, quantity_delta, price, quantity, size_usd,
                                   collateral_amount, collateral_usd, locked_amount, skew_fee)


# ---- decrease / close / liquidate ----------------------------------------------------------------


@dataclass(frozen=True)
class Waterfall:
    """How a pot of tokens (collateral taken + profit) is paid out, in priority order."""

    lp_paid: int = 0  # loss and interest, to the LPs (first claim)
    fee_paid: int = 0  # close or liquidation fee, split
    reward_paid: int = 0  # liquidator reward (liquidation only), behind the LPs and the fee
    rest: int = 0  # to the owner on a close, to the LPs on a liquidation


def waterfall(pot: int, lp_owed: int, fee: int, reward: int) -> Waterfall:
    """Pays `lp_owed`, then `fee`, then `reward` out of `pot`, each as far as it goes."""
    lp_paid = min(lp_owed, pot)
    left = pot - lp_paid
    fee_paid = min(fee, left)
    left -= fee_paid
    reward_paid = min(reward, left)
    return Waterfall(lp_paid, fee_paid, reward_paid, left - reward_paid)


def liquidation_waterfall(pot: int, lp_owed: int, fee: int, fee_ahead: int, reward: int) -> Waterfall:
    """`lp_owed`, then the part of `fee` up to `fee_ahead` (the close fee), then `reward`, then the
    rest of `fee`, out of `pot` (math/trade.rs `liquidation_waterfall`)."""
    lp_paid = min(lp_owed, pot)
    left = pot - lp_paid
    fee_first = min(fee, fee_ahead, left)
    left -= fee_first
    reward_paid = min(reward, left)
    left -= reward_paid
    fee_last = min(fee - fee_first, left)
    return Waterfall(lp_paid, fee_first + fee_last, reward_paid, left - fee_last)


@dataclass(frozen=True)
class SettlementAmounts:
    """Settlement of a decrease, a close (size_delta = size) or a liquidation (math/trade.rs)."""

    full: bool = False  # the whole position goes (close, liquidation)
    size_delta_usd: int = 0
    locked_delta: int = 0  # all on a full close, else floor(locked * delta / size)
    quantity_delta: int = 0  # all on a full close, else quantity * delta / size against the trader
    pnl: ProfitAndLoss = ProfitAndLoss(0, 0)  # on the size closed, profit capped at the released lock
    fee_usd: int = 0  # close fee (decrease/close) or liquidation fee
    interest_usd: int = 0  # interest settled on the whole size
    reward_usd: int = 0  # liquidator reward (liquidation only)
    profit_amount: int = 0  # max price, floor
    loss_amount: int = 0  # max price, ceil (as are fee, interest, reward)
    fee_amount: int = 0
    interest_amount: int = 0
    reward_amount: int = 0
    paid: Waterfall = Waterfall()
    fee_split: FeeSplit = FeeSplit(0, 0, 0, 0)
    collateral_taken: int = 0  # tokens leaving the position's collateral (and assets.collateral)
    amount_out: int = 0  # tokens sent to the owner (0 on liquidation)
    insurance_draw: int = 0  # unpaid loss + interest covered by the insurance fund
    bad_debt_amount: int = 0  # unpaid loss + interest nobody covered
    bad_debt_usd: int = 0  # (max price, ceil)
    owned_in: int = 0  # assets.owned += owned_in
    owned_out: int = 0  # assets.owned -= owned_out (the profit)
    # The position after a partial decrease (all 0 on a full close / liquidation).
    quantity: int = 0
    size_usd: int = 0
    collateral_amount: int = 0
    collateral_usd: int = 0
    locked_amount: int = 0


def _proportional(amount: int, part: int, whole: int) -> int:
    return u64(mul_div(amount, part, whole, Rounding.FLOOR))


def _shortfall(lp_owed: int, paid: Waterfall, insurance_fund: int, collateral: CollateralCustody) -> dict[str, int]:
    shortfall = lp_owed - paid.lp_paid
    draw = min(shortfall, insurance_fund)
    bad = shortfall - draw
    bad_usd = u64(collateral.max_price.token_to_usd(bad, collateral.decimals, Rounding.CEIL))
    return {"insurance_draw": draw, "bad_debt_amount": bad, "bad_debt_usd": bad_usd}


def compute_decrease_position(position: PositionState, size_delta_usd: int, exit_price: int, interest_usd: int,
                              insurance_fund: int, collateral: CollateralCustody,
                              market: Market) -> SettlementAmounts:
    """Closing `size_delta_usd` of `position` at `exit_price`, settling `interest_usd` and the close
    fee. Errors, in order: ZeroAmount; InvalidPositionState (delta > size); NoExposureChange
    (partial: the quantity given back rounds to 0 or to all of it); InsufficientCollateral
    (partial: the remaining collateral cannot cover what is owed); MaxLeverageExceeded (partial:
    the remaining position would be liquidatable)."""
    if size_delta_usd == 0:
        raise errors.ZeroAmount()
    if size_delta_usd > position.size_usd:
        raise errors.InvalidPositionState()
    full = size_delta_usd == position.size_usd
    if full:
        quantity_delta = position.quantity
        locked_delta, collateral_delta = position.locked_amount, position.collateral_amount
    else:
        quantity_delta = proportional_quantity(position.quantity, size_delta_usd, position.size_usd,
                                               against_trader_quantity(position.side))
        if not 0 < quantity_delta < position.quantity:
            raise errors.NoExposureChange()
        locked_delta = _proportional(position.locked_amount, size_delta_usd, position.size_usd)
        collateral_delta = _proportional(position.collateral_amount, size_delta_usd, position.size_usd)
    pnl = capped_pnl(position.side, quantity_delta, exit_price, size_delta_usd, collateral.value_usd(locked_delta))
    fee_usd = close_position_fee_usd(size_delta_usd, market.close_position_bps)
    profit_amount = collateral.paid_tokens(pnl.profit_usd)
    loss_amount = collateral.owed_tokens(pnl.loss_usd)
    fee_amount = collateral.owed_tokens(fee_usd)
    interest_amount = collateral.owed_tokens(interest_usd)
    lp_owed = u64(loss_amount + interest_amount)
    pot = u64(collateral_delta + profit_amount)
    out: dict[str, Any] = dict(full=full, size_delta_usd=size_delta_usd, locked_delta=locked_delta,
                               quantity_delta=quantity_delta, pnl=pnl, fee_usd=fee_usd, interest_usd=interest_usd,
                               profit_amount=profit_amount, loss_amount=loss_amount, fee_amount=fee_amount,
                               interest_amount=interest_amount)
    if full:
        paid = waterfall(pot, lp_owed, fee_amount, 0)
        out.update(paid=paid, collateral_taken=collateral_delta, amount_out=paid.rest)
        out.update(_shortfall(lp_owed, paid, insurance_fund, collateral))
    else:
        owed = u64(lp_owed + fee_amount)
        extra = max(owed - pot, 0)
        remaining = position.collateral_amount - collateral_delta
        if extra >= remaining:
            raise errors.InsufficientCollateral()
        paid = Waterfall(lp_owed, fee_amount, 0, u64(pot + extra) - owed)
        collateral_amount = position.collateral_amount - (collateral_delta + extra)
        rest = PositionState(position.side, position.quantity - quantity_delta, position.size_usd - size_delta_usd,
                             collateral_amount, position.locked_amount - locked_delta)
        out.update(paid=paid, collateral_taken=u64(collateral_delta + extra), amount_out=paid.rest,
                   quantity=rest.quantity, size_usd=rest.size_usd, collateral_amount=rest.collateral_amount,
                   collateral_usd=collateral.value_usd(rest.collateral_amount), locked_amount=rest.locked_amount)
        # Interest is settled, so the remaining position owes none yet.
        if is_liquidatable(health_inputs(rest, 0, collateral, market), exit_price):
            raise errors.MaxLeverageExceeded()
    paid = out["paid"]
    fee_split = collateral.split(paid.fee_paid)
    out.update(fee_split=fee_split,
               owned_in=u64(u64(paid.lp_paid + fee_split.lp) + out.get("insurance_draw", 0)),
               owned_out=profit_amount)
    return SettlementAmounts(**out)


def compute_liquidation(position: PositionState, exit_price: int, interest_usd: int, insurance_fund: int,
                        collateral: CollateralCustody, market: Market) -> SettlementAmounts:
    """Liquidating `position` at `exit_price`: collateral + capped profit pays loss + interest (LPs),
    then the liquidation fee, then the liquidator's reward; the rest goes to the LPs. Unpaid loss +
    interest draws the insurance fund, the rest is bad debt. PositionHealthy if not liquidatable."""
    health = health_inputs(position, interest_usd, collateral, market)
    if not is_liquidatable(health, exit_price):
        raise errors.PositionHealthy()
    pnl = capped_pnl(position.side, position.quantity, exit_price, position.size_usd, health.max_profit_usd)
    # Never below the close fee (a liquidation must not be a cheaper way out than a close).
    close_fee_usd = close_position_fee_usd(position.size_usd, market.close_position_bps)
    fee_usd = max(liquidation_fee_usd(position.size_usd, market.liquidation_bps), close_fee_usd)
    reward_usd = liquidator_reward_usd(position.size_usd, market.liquidator_reward_bps)
    profit_amount = collateral.paid_tokens(pnl.profit_usd)
    loss_amount = collateral.owed_tokens(pnl.loss_usd)
    fee_amount = collateral.owed_tokens(fee_usd)
    interest_amount = collateral.owed_tokens(interest_usd)
    reward_amount = collateral.owed_tokens(reward_usd)
    lp_owed = u64(loss_amount + interest_amount)
    pot = u64(position.collateral_amount + profit_amount)
    paid = liquidation_waterfall(pot, lp_owed, fee_amount, collateral.owed_tokens(close_fee_usd), reward_amount)
    short = _shortfall(lp_owed, paid, insurance_fund, collateral)
    fee_split = collateral.split(paid.fee_paid)
    owned_in = u64(u64(u64(paid.lp_paid + fee_split.lp) + short["insurance_draw"]) + paid.rest)
    return SettlementAmounts(
        full=True, size_delta_usd=position.size_usd, locked_delta=position.locked_amount,
        quantity_delta=position.quantity, pnl=pnl, fee_usd=fee_usd, interest_usd=interest_usd, reward_usd=reward_usd,
        profit_amount=profit_amount, loss_amount=loss_amount, fee_amount=fee_amount, interest_amount=interest_amount,
        reward_amount=reward_amount, paid=paid, fee_split=fee_split, collateral_taken=position.collateral_amount,
        owned_in=owned_in, owned_out=profit_amount, **short)


def is_capped(position: PositionState, exit_price: int, collateral: CollateralCustody) -> bool:
    """math/trade.rs `is_capped`: the position's UNCAPPED profit at `exit_price` is at least its
    payoff cap valued high (locked tokens at the collateral's MAX price, ceil) and positive."""
    profit = position_pnl(position.side, position.quantity, exit_price, position.size_usd).profit_usd
    cap_high = collateral.max_price.token_to_usd(position.locked_amount, collateral.decimals, Rounding.CEIL)
    return profit > 0 and profit >= cap_high


def compute_close_capped_position(position: PositionState, exit_price: int, interest_usd: int, insurance_fund: int,
                                  collateral: CollateralCustody, market: Market) -> SettlementAmounts:
    """math/trade.rs `compute_close_capped_position`: the full close of a capped position
    (PositionNotCapped otherwise), with the keeper's reward (`liquidator_reward_usd` in tokens, max
    price, ceil) taken out of what the owner would receive: `paid.reward_paid = min(reward,
    owner's amount, profit paid)`, `amount_out` the rest."""
    if not is_capped(position, exit_price, collateral):
        raise errors.PositionNotCapped()
    out = compute_decrease_position(position, position.size_usd, exit_price, interest_usd, insurance_fund,
                                    collateral, market)
    reward_usd = liquidator_reward_usd(position.size_usd, market.liquidator_reward_bps)
    reward_amount = collateral.owed_tokens(reward_usd)
    reward_paid = min(reward_amount, out.amount_out, out.profit_amount)
    return replace(out, reward_usd=reward_usd, reward_amount=reward_amount,
                   paid=replace(out.paid, reward_paid=reward_paid, rest=out.paid.rest - reward_paid),
                   amount_out=out.amount_out - reward_paid)


# ---- collateral ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoveCollateralAmounts:
    amount_out: int  # tokens sent to the owner: collateral_usd at the max price, floor
    collateral_amount: int
    collateral_usd: int


def compute_remove_collateral(position: PositionState, collateral_usd: int, exit_price: int, interest_usd: int,
                              collateral: CollateralCustody, market: Market) -> RemoveCollateralAmounts:
    """Withdrawing `collateral_usd` worth of collateral; the position left must be within the
    initial leverage (profit not counted). Errors: ZeroAmount; InsufficientCollateral;
    MaxLeverageExceeded."""
    amount_out = collateral.paid_tokens(collateral_usd)
    if amount_out == 0:
        raise errors.ZeroAmount()
    if amount_out >= position.collateral_amount:
        raise errors.InsufficientCollateral()
    collateral_amount = position.collateral_amount - amount_out
    if not within_initial_leverage(replace(position, collateral_amount=collateral_amount), exit_price, interest_usd,
                                   collateral, market):
        raise errors.MaxLeverageExceeded()
    return RemoveCollateralAmounts(amount_out, collateral_amount, collateral.value_usd(collateral_amount))
