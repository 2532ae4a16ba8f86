"""`PerpPoolClient`: typed async wrappers for every perp_pool instruction.

Each instruction has a builder (`build_<ix>_ix`, returns a solders `Instruction`, touches no
network unless it must read the pool's custodies) and a sender (`<ix>`, signs, sends, confirms,
returns a `TxResult` with the decoded events). Views (`get_*`) simulate and decode the program's
return data. Failures raise the named exceptions of `perp_pool.errors`.

The class is assembled from layers, one module each: `base` (connection, addresses, account
fetches), `builders` (every `build_<ix>_ix`), `views` (views and quotes), `orders` (trigger orders:
builders, senders and views), `staking` (LP lock-ups: builders, senders and views),
`multi_asset` (custody weights, swaps and their quotes), `risk` (skew config and the market risk
view) and `core` (the senders);
`params` holds what instructions take besides addresses, `idl_types` the IDL's enums.
"""

from perp_pool.client.core import PerpPoolClient
from perp_pool.client.idl_types import OracleKind, side_of, side_value
from perp_pool.client.multi_asset import CustodyWeight, LiquidityQuote, PoolWeights, SwapQuote, weight_bps
from perp_pool.client.orders import OrderView
from perp_pool.client.params import (
    DEFAULT_LIQUIDITY_SLIPPAGE_BPS,
    BorrowRateConfig,
    FeeConfig,
    OracleConfig,
    Permissions,
    PricingConfig,
    WeightConfig,
    load_keypair,
    min_out_after_slippage,
)
from perp_pool.client.staking import StakeView
from perp_pool.math.orders import OrderKind
from perp_pool.math.pricing import Side
from perp_pool.transport import TxResult

__all__ = [
    "DEFAULT_LIQUIDITY_SLIPPAGE_BPS",
    "BorrowRateConfig",
    "CustodyWeight",
    "FeeConfig",
    "LiquidityQuote",
    "OracleConfig",
    "OracleKind",
    "OrderKind",
    "OrderView",
    "Permissions",
    "PerpPoolClient",
    "PoolWeights",
    "PricingConfig",
    "Side",
    "StakeView",
    "SwapQuote",
    "TxResult",
    "WeightConfig",
    "load_keypair",
    "min_out_after_slippage",
    "side_of",
    "side_value",
    "weight_bps",
]
