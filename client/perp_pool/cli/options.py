"""Options several command groups share (as `Annotated` aliases), so their names and help read
the same everywhere.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from perp_pool.constants import BPS_POWER
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche

DEFAULT_SLIPPAGE_BPS = 50

PoolName = Annotated[str, typer.Option("--pool", help="Pool name.")]
MarketMint = Annotated[str, typer.Option("--market", help="Mint of the traded custody.")]
CollateralMint = Annotated[str, typer.Option(
    "--collateral", help="Mint of the collateral custody: a stable one, or the traded one for an asset-backed long.")]
TradeSlippageBps = Annotated[int, typer.Option("--slippage-bps", min=0, max=BPS_POWER - 1,
                                               help="Price tolerance around the quote, in BPS.")]
PriceLimit = Annotated[str | None, typer.Option("--price-limit",
                                                help="Explicit worst price (USD); overrides --slippage-bps.")]


class SideOption(str, Enum):
    long = "long"
    short = "short"

    @property
    def side(self) -> Side:
        return Side.LONG if self is SideOption.long else Side.SHORT


SideChoice = Annotated[SideOption, typer.Option("--side", help="long or short.")]


class TrancheOption(str, Enum):
    junior = "junior"
    senior = "senior"

    @property
    def tranche(self) -> Tranche:
        return Tranche(self.value)


TrancheChoice = Annotated[TrancheOption, typer.Option(
    "--tranche", help="junior (the default: first loss, the rest of the income; the only LP of a pool without "
    "tranches) or senior (paid after the junior, earns the pool's senior target rate).")]
