"""Seeds, precisions and the program id, mirroring programs/perp_pool/src/constants.rs.

tests/test_constants.py checks every value here against the Rust source, so the two cannot drift.
"""

from solders.pubkey import Pubkey

PROGRAM_ID = Pubkey.from_string("HxTosyLLPQKXWwvkpRwQEAc2HfF2N59y9Ce7DxTv21FX")

# PDA seeds (Rust: `#[constant] pub const *_SEED: &[u8]`).
PERPETUALS_SEED = b"perpetuals"
TRANSFER_AUTHORITY_SEED = b"transfer_authority"
POOL_SEED = b"pool"
LP_TOKEN_MINT_SEED = b"lp_token_mint"
CUSTODY_SEED = b"custody"
CUSTODY_TOKEN_ACCOUNT_SEED = b"custody_token_account"
ORACLE_SEED = b"oracle"
LP_COOLDOWN_SEED = b"lp_cooldown"
POSITION_SEED = b"position"
ORDER_SEED = b"order"
SENIOR_LP_TOKEN_MINT_SEED = b"senior_lp_token_mint"
STAKE_POOL_SEED = b"stake_pool"
STAKE_VAULT_SEED = b"stake_vault"
STAKE_SEED = b"stake"

# Precisions: every `*_usd` value has USD_DECIMALS, prices PRICE_DECIMALS, LP tokens LP_DECIMALS.
USD_DECIMALS = 6
PRICE_DECIMALS = 9
LP_DECIMALS = 6
BPS_DECIMALS = 4
BPS_POWER: int = 10**BPS_DECIMALS
RATE_DECIMALS = 9
RATE_POWER: int = 10**RATE_DECIMALS
USD_POWER: int = 10**USD_DECIMALS
PRICE_POWER: int = 10**PRICE_DECIMALS
LP_POWER: int = 10**LP_DECIMALS

QUANTITY_DECIMALS = 12
HOUR_SECONDS = 3_600
# The senior tranche index: USD per senior LP base unit x 10^12 (math/tranche.py).
SENIOR_INDEX_DECIMALS = 12
SENIOR_INDEX_POWER: int = 10**SENIOR_INDEX_DECIMALS
YEAR_SECONDS = 31_536_000
MAX_SENIOR_RATE_BPS = 5_000
MIN_JUNIOR_LP_PRICE_USD = 1_000  # 0.001 USD per whole junior LP: below it no junior LP is issued
MAX_SENIOR_JUNIOR_RATIO_BPS = 200_000

MAX_POOL_NAME_LEN = 32
# LP base units issued to no one by a pool's first deposit (never redeemable).
DEAD_LP_SUPPLY = 1_000_000
MAX_LP_COOLDOWN_SEC = 604_800
MAX_CUSTODIES = 8

# Trigger orders: a market's defaults at add_custody, and the most set_order_config accepts.
DEFAULT_MAX_ORDERS_PER_OWNER = 8
DEFAULT_EXECUTOR_FEE_USD = 100_000
MAX_EXECUTOR_FEE_USD = 100_000_000
# Custody weights of a multi-asset pool: parts per billion of the pool's owned value.
WEIGHT_DECIMALS = 9
WEIGHT_POWER = 1_000_000_000
MAX_WEIGHT_FEE_BPS = 1_000

# LP staking (docs/design.md "Lock-ups"): the reward index's scale, weeks and days of locks, the ladder's limits.
REWARD_INDEX_DECIMALS = 18
WEEK_SECONDS = 604_800
DAY_SECONDS = 86_400
MAX_LOCK_TIERS = 5
# Every tier locks at least a day: a 0-day tier would let an LP lock, take a fee and unlock in one transaction.
MIN_LOCK_DAYS = 1
MAX_LOCK_DAYS = 364
MAX_LOCK_MULTIPLIER_BPS = 100_000
