"""Human amounts <-> base units for the CLI, with Decimal only (no float ever touches an amount).

`parse_units("100.5", 6) == 100_500_000`; more fractional digits than `decimals` is an error,
never a silent rounding. `format_units(100_500_000, 6) == "100.500000"`.
"""

from __future__ import annotations

from decimal import Decimal, DecimalException, localcontext

from perp_pool.constants import BPS_DECIMALS, PRICE_DECIMALS, RATE_DECIMALS, USD_DECIMALS
from perp_pool.math.fixed import U64_MAX


class AmountError(ValueError):
    """A human amount that cannot be represented exactly in base units."""


def parse_units(text: str, decimals: int, *, what: str = "amount", allow_zero: bool = False,
                maximum: int = U64_MAX) -> int:
    """`text` (e.g. "100.5", "1e3") in whole units -> base units with `decimals`; exact or an error."""
    raw = text.strip().replace("_", "")
    with localcontext() as ctx:
        ctx.prec = 200  # far above any u128, so nothing below is rounded by the context
        try:
            value = Decimal(raw)
        except DecimalException:
            raise AmountError(f"{what} {text!r} is not a number") from None
        if not value.is_finite():
            raise AmountError(f"{what} {text!r} is not a finite number")
        if value < 0:
            raise AmountError(f"{what} {text!r} is negative")
        scaled = value.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            raise AmountError(f"{what} {text!r} has more than {decimals} decimal places")
        units = int(scaled)
    if units == 0 and not allow_zero:
        raise AmountError(f"{what} must be greater than zero")
    if units > maximum:
        raise AmountError(f"{what} {text!r} is too large")
    return units


def format_units(value: int, decimals: int, *, group: bool = False) -> str:
    """Base units -> fixed-point text with exactly `decimals` places (no rounding)."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    whole_text = f"{whole:,}" if group else str(whole)
    return f"{sign}{whole_text}.{frac:0{decimals}d}" if decimals else f"{sign}{whole_text}"


def parse_usd(text: str, *, what: str = "USD amount", allow_zero: bool = False) -> int:
    return parse_units(text, USD_DECIMALS, what=what, allow_zero=allow_zero)


def parse_price(text: str, *, what: str = "price", allow_zero: bool = False) -> int:
    return parse_units(text, PRICE_DECIMALS, what=what, allow_zero=allow_zero)


def parse_leverage_bps(text: str) -> int:
    """"5" -> 50_000 (leverage in BPS, 10_000 = 1x)."""
    return parse_units(text, BPS_DECIMALS, what="leverage", allow_zero=False)


def format_usd(value: int) -> str:
    return format_units(value, USD_DECIMALS, group=True)


def format_price(value: int) -> str:
    return format_units(value, PRICE_DECIMALS, group=True)


def format_rate_percent(value: int, places: int = 4) -> str:
    """A RATE_DECIMALS fraction as a percentage, truncated to `places` (display only)."""
    percent_units = value * 10**places * 100 // 10**RATE_DECIMALS
    return format_units(percent_units, places) + " %"


def format_bps_multiple(value: int) -> str:
    """Leverage in BPS as "12.3456x"."""
    return format_units(value, BPS_DECIMALS) + "x"


def format_multiplier(bps: int) -> str:
    """A multiplier in BPS with the digits it needs: 10_000 -> "1x", 11_000 -> "1.1x"."""
    text = format_units(bps, BPS_DECIMALS)
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "x"
