"""Exposure books, mirroring programs/perp_pool/src/math/exposure.rs to the unit.

A book keeps, per range of per-position threshold prices (payoff cap or bankruptcy) on a fixed
logarithmic grid, the exact sums of the positions' quantities and registered USD amounts; its
`excess_usd` is an upper bound of `sum q_i * max(0, +-(P - A_i))`, the profit above caps (max-mode
AUM) or the bad debt (min-mode AUM) the side aggregates alone would net away
(docs/design.md "Exposure books").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from perp_pool import errors
from perp_pool.math.fixed import Rounding, mul_div
from perp_pool.math.pnl import quantity_scale
from perp_pool.math.pricing import Side

EXPOSURE_BOOK_SLOTS = 16
GRID_SUB_BITS = 4
_GRID_SUB = 1 << GRID_SUB_BITS
_GRID_EXACT = 2 * _GRID_SUB
U64_MAX = (1 << 64) - 1
U128_MAX = (1 << 128) - 1


class Crossing(Enum):
    ABOVE = "above"  # q * max(0, P - A): a long's profit above cap, a short's loss beyond collateral
    BELOW = "below"  # q * max(0, A - P): a short's profit above cap, a long's loss beyond collateral


class Threshold(Enum):
    CAP = "cap"
    BANKRUPTCY = "bankruptcy"


def crossing(side: Side, threshold: Threshold) -> Crossing:
    above = (side is Side.LONG) == (threshold is Threshold.CAP)
    return Crossing.ABOVE if above else Crossing.BELOW


def grid_id(price: int) -> int:
    if price < _GRID_EXACT:
        return price
    exponent = price.bit_length() - 1
    mantissa = (price >> (exponent - GRID_SUB_BITS)) & (_GRID_SUB - 1)
    return _GRID_EXACT + (exponent - GRID_SUB_BITS - 1) * _GRID_SUB + mantissa


GRID_MAX_ID = grid_id(U64_MAX)


def grid_low(grid: int) -> int:
    if grid < _GRID_EXACT:
        return grid
    k = grid - _GRID_EXACT
    exponent = k // _GRID_SUB + GRID_SUB_BITS + 1
    return (_GRID_SUB + k % _GRID_SUB) << (exponent - GRID_SUB_BITS)


def threshold_id(quantity: int, usd: int) -> int:
    if quantity <= 0:
        raise errors.MathOverflow("threshold of a position without quantity")
    product = usd * quantity_scale()
    price = product // quantity if product <= U128_MAX else U128_MAX
    return grid_id(min(price, U64_MAX))


def position_thresholds(side: Side, size_usd: int, collateral_usd: int, max_profit_usd: int,
                        interest_usd: int) -> tuple[int, int]:
    """(cap, bankruptcy) USD amounts a position registers (see the Rust doc)."""
    s, c, k, i = size_usd, collateral_usd, max_profit_usd, interest_usd
    if side is Side.LONG:
        return s + k, max(0, s + i - c)
    return max(0, s - k), max(0, s + c - i)


def is_registered(cross: Crossing, quantity: int, usd: int) -> bool:
    return quantity > 0 and (cross is Crossing.ABOVE or usd > 0)


@dataclass
class ExposureSlot:
    lo_id: int = 0
    hi_id: int = 0
    count: int = 0
    quantity: int = 0
    usd: int = 0


def _inconsistent() -> Exception:
    return errors.ExposureBookInconsistent()


@dataclass
class ExposureBook:
    slots: list[ExposureSlot] = field(default_factory=lambda: [ExposureSlot() for _ in range(EXPOSURE_BOOK_SLOTS)])

    @classmethod
    def from_account(cls, book: Any) -> ExposureBook:
        """An anchorpy-decoded ExposureBook."""
        return cls([ExposureSlot(s.lo_id, s.hi_id, s.count, s.quantity, s.usd) for s in book.slots])

    def _find(self, grid: int) -> int | None:
        for index, s in enumerate(self.slots):
            if s.count > 0 and s.lo_id <= grid <= s.hi_id:
                return index
        return None

    def add(self, cross: Crossing, quantity: int, usd: int) -> None:
        if not is_registered(cross, quantity, usd):
            return
        grid = threshold_id(quantity, usd)
        index = self._find(grid)
        if index is None:
            index = self._make_room(grid)
        s = self.slots[index]
        if s.count == 0:
            s.lo_id = s.hi_id = grid
        s.lo_id, s.hi_id = min(s.lo_id, grid), max(s.hi_id, grid)
        s.count += 1
        s.quantity += quantity
        s.usd += usd

    def remove(self, cross: Crossing, quantity: int, usd: int) -> None:
        if not is_registered(cross, quantity, usd):
            return
        index = self._find(threshold_id(quantity, usd))
        if index is None:
            raise _inconsistent()
        s = self.slots[index]
        if s.count < 1 or s.quantity < quantity or s.usd < usd:
            raise _inconsistent()
        s.count, s.quantity, s.usd = s.count - 1, s.quantity - quantity, s.usd - usd
        if s.count == 0:
            if s.quantity or s.usd:
                raise _inconsistent()
            self.slots[index] = ExposureSlot()

    def _make_room(self, grid: int) -> int:
        for index, s in enumerate(self.slots):
            if s.count == 0:
                return index
        new = EXPOSURE_BOOK_SLOTS
        order = sorted(range(EXPOSURE_BOOK_SLOTS), key=lambda i: self.slots[i].lo_id)  # distinct: ranges are disjoint
        ranges: list[tuple[int, int, int]] = []
        placed = False
        for i in order:
            s = self.slots[i]
            if not placed and grid < s.lo_id:
                ranges.append((grid, grid, new))
                placed = True
            ranges.append((s.lo_id, s.hi_id, i))
        if not placed:
            ranges.append((grid, grid, new))
        best = 0
        for j in range(1, EXPOSURE_BOOK_SLOTS):
            if ranges[j + 1][1] - ranges[j][0] < ranges[best + 1][1] - ranges[best][0]:
                best = j
        a, b = ranges[best], ranges[best + 1]
        if a[2] == new:
            return b[2]
        if b[2] == new:
            return a[2]
        into, frm = self.slots[a[2]], self.slots[b[2]]
        into.hi_id = frm.hi_id
        into.count += frm.count
        into.quantity += frm.quantity
        into.usd += frm.usd
        self.slots[b[2]] = ExposureSlot()
        return b[2]

    def excess_usd(self, cross: Crossing, price: int) -> int:
        scale = quantity_scale()
        total = 0
        for s in self.slots:
            if s.count == 0:
                continue
            low = grid_low(s.lo_id)
            high = grid_low(s.hi_id + 1) if s.hi_id < GRID_MAX_ID else None
            if cross is Crossing.ABOVE:
                if high is not None and high <= price:
                    term = max(0, mul_div(s.quantity, price, scale, Rounding.CEIL) - s.usd)
                elif low >= price:
                    term = 0
                elif high is None:
                    term = mul_div(s.quantity, price - low, scale, Rounding.CEIL)
                else:
                    term = _straddle(s, low, high, price, scale, Crossing.ABOVE)
            else:
                if low >= price:
                    term = max(0, s.usd - mul_div(s.quantity, price, scale, Rounding.FLOOR))
                elif high is not None and high <= price:
                    term = 0
                elif high is None:
                    term = s.usd
                else:
                    term = _straddle(s, low, high, price, scale, Crossing.BELOW)
            total += term
        return total

    def count(self) -> int:
        return sum(s.count for s in self.slots)


def _straddle(s: ExposureSlot, low: int, high: int, price: int, scale: int, cross: Crossing) -> int:
    """The bound of a slot whose range [low, high) holds `price`: the term is convex in each
    threshold, so the slot's sum is at most that of its mass moved to the range's two ends with
    the same mean (Σusd): Above `(P - low)·(Q·high/scale - Σusd)/(high - low)`, Below
    `(high - P)·(Σusd - Q·low/scale)/(high - low)`, the USD factor rounded up, then the product."""
    if cross is Crossing.ABOVE:
        mass_usd = max(0, mul_div(s.quantity, high, scale, Rounding.CEIL) - s.usd)
        distance = price - low
    else:
        mass_usd = max(0, s.usd - mul_div(s.quantity, low, scale, Rounding.FLOOR))
        distance = high - price
    product = mass_usd * distance
    if product > U128_MAX:  # the ratio is at most 1: the mass bounds the term (the program's fallback)
        return mass_usd
    return mul_div(mass_usd, distance, high - low, Rounding.CEIL)
