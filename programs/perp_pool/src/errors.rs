//! The program's error codes (6000 + index). Variants are only ever appended: clients map the
//! numeric codes to names, so reordering or removing one would silently rename another.

use anchor_lang::prelude::*;

#[error_code]
pub enum PerpPoolError {
    /// 6000
    #[msg("Arithmetic overflow, underflow or division by zero")]
    MathOverflow,
    /// 6001
    #[msg("Amount is zero or rounds to zero")]
    ZeroAmount,
    /// 6002
    #[msg("Oracle account does not match the custody's oracle, or has the wrong owner or data")]
    InvalidOracleAccount,
    /// 6003
    #[msg("Oracle type is not supported here")]
    InvalidOracleType,
    /// 6004
    #[msg("Oracle price is not positive, or its exponent is out of range")]
    InvalidOraclePrice,
    /// 6005
    #[msg("Oracle price is older than the custody's max_price_age_sec")]
    StaleOraclePrice,
    /// 6006
    #[msg("Oracle publish time is in the future")]
    OracleFutureTimestamp,
    /// 6007
    #[msg("Oracle confidence interval is wider than the custody's max_price_error_bps")]
    OraclePriceConfidenceTooLow,
    /// 6008
    #[msg("Instruction is not allowed by the current permissions")]
    InstructionNotAllowed,
    /// 6009
    #[msg("Invalid pool config")]
    InvalidPoolConfig,
    /// 6010
    #[msg("Invalid custody config")]
    InvalidCustodyConfig,
    /// 6011
    #[msg("Pool already has the maximum number of custodies")]
    TooManyCustodies,
    /// 6012
    #[msg("Amount out is below the caller's minimum")]
    SlippageExceeded,
    /// 6013. No longer returned (the pool-wide rule became the per-depositor cooldown,
    /// LiquidityCooldownActive); kept so every later code keeps its number.
    #[msg("Liquidity cannot be removed in the slot of the pool's last deposit")]
    WithdrawalInDepositSlot,
    /// 6014
    #[msg("Not enough unlocked assets in the custody")]
    InsufficientLiquidity,
    /// 6015
    #[msg("Signer is not the custody's oracle authority")]
    InvalidOracleAuthority,
    /// 6016
    #[msg("Pool has no value or no LP supply to price against")]
    EmptyPool,
    /// 6017
    #[msg("Signer is not the admin")]
    Unauthorized,
    /// 6018
    #[msg("Pool name must be 1 to 32 bytes")]
    InvalidPoolName,
    /// 6019
    #[msg("Custody accounts do not match the pool's custodies (remaining accounts)")]
    InvalidCustodyAccounts,
    /// 6020
    #[msg("Token account is not the custody's vault")]
    InvalidVault,
    /// 6021
    #[msg("Token account mint does not match the custody mint")]
    InvalidMint,
    /// 6022
    #[msg("LP mint or LP token account does not match the pool's LP mint")]
    InvalidLpTokenMint,
    /// 6023
    #[msg("Position leverage would exceed the market's maximum")]
    MaxLeverageExceeded,
    /// 6024
    #[msg("Position leverage is below the market's minimum initial leverage")]
    MinLeverageNotMet,
    /// 6025
    #[msg("Position size would exceed the market's maximum position size")]
    MaxPositionSizeExceeded,
    /// 6026
    #[msg("Collateral custody utilisation would exceed its maximum")]
    MaxUtilizationExceeded,
    /// 6027
    #[msg("Collateral custody locked value would exceed its maximum")]
    MaxTotalLockedExceeded,
    /// 6028
    #[msg("Position is not liquidatable")]
    PositionHealthy,
    /// 6029
    #[msg("Trade price is worse than the caller's price limit")]
    PriceSlippage,
    /// 6030
    #[msg("Collateral custody must be a stable custody of the same pool, or the traded custody for a long")]
    InvalidCollateralCustody,
    /// 6031
    #[msg("Position state does not allow this operation (already open, size too large, ...)")]
    InvalidPositionState,
    /// 6032
    #[msg("Collateral does not cover the fees, interest or amount withdrawn")]
    InsufficientCollateral,
    /// 6033
    #[msg("Pyth price update is not fully verified")]
    OracleNotFullyVerified,
    /// 6034
    #[msg("The trade adds, removes or leaves no position quantity (size too small for the price)")]
    NoExposureChange,
    /// 6035
    #[msg("Oracle publish time is older than the stored price's")]
    OraclePublishTimeRegressed,
    /// 6036
    #[msg("Liquidity deposited by this LP token account is still in its cooldown")]
    LiquidityCooldownActive,
    /// 6037
    #[msg("LP must be minted into a token account owned by the depositor")]
    InvalidLpTokenAccount,
    /// 6038
    #[msg("Position's profit is below its payoff cap: it cannot be closed at cap")]
    PositionNotCapped,
    /// 6039
    #[msg("A position's exposure thresholds are not where the custody's exposure book has them")]
    ExposureBookInconsistent,
    /// 6040
    #[msg("A custody's vault balance does not match its accounting (owned + collateral + protocol fees + insurance fund)")]
    VaultBalanceMismatch,
    /// 6041
    #[msg("Order index is not below the market's maximum number of orders per owner")]
    TooManyOrders,
    /// 6042
    #[msg("Trigger price is zero or already reached at the current price")]
    InvalidTriggerPrice,
    /// 6043
    #[msg("Stop-loss trigger is an exit price at which the position is already liquidatable")]
    StopLossPastLiquidation,
    /// 6044
    #[msg("The order's trigger price is not reached at the current price")]
    OrderNotTriggered,
    /// 6045
    #[msg("This order kind does not allow this (collateral on a take-profit or stop-loss, or the other execute instruction)")]
    InvalidOrderKind,
    /// 6046
    #[msg("The order's position was closed or replaced: the order is void")]
    OrderVoid,
    /// 6047
    #[msg("The order is not void: its position is still open (or it is a limit order)")]
    OrderNotVoid,
    /// 6048
    #[msg("The position is liquidatable: it is the liquidator's, not an order's")]
    PositionLiquidatable,
    /// 6049
    #[msg("The junior tranche is wiped out: its NAV is zero (no junior redemption) or its LP is worth less than MIN_JUNIOR_LP_PRICE_USD (no junior deposit) until the pool recovers")]
    JuniorTrancheWipedOut,
    /// 6050
    #[msg("Senior NAV would exceed the pool's coverage limit (a multiple of junior NAV)")]
    CoverageLimitExceeded,
    /// 6051
    #[msg("Invalid tranche configuration (senior rate or coverage limit out of bounds)")]
    InvalidTrancheConfig,
    /// 6052
    #[msg("The pool already has a senior tranche, or LP was already issued (tranches are set up before the first deposit)")]
    TrancheSetupNotAllowed,
    /// 6053
    #[msg("The senior LP mint holds more than the pool has issued")]
    TrancheSupplyMismatch,
    /// 6054
    #[msg("A senior deposit would take the senior NAV above the pool's senior capacity")]
    SeniorCapacityExceeded,
    /// 6055
    #[msg("A running lock cannot move to a lower tier")]
    LockShortened,
    /// 6056
    #[msg("The stake's lock has not ended")]
    StakeLocked,
    /// 6057
    #[msg("Invalid stake pool config (lock ladder or junior share)")]
    InvalidStakeConfig,
    /// 6058
    #[msg("Amount exceeds what the stake holds")]
    InsufficientStake,
    /// 6059
    #[msg("Lock tier is not in the stake pool's ladder")]
    InvalidLockTier,
    /// 6060
    #[msg("Custody is not the stake pool's reward custody")]
    InvalidRewardCustody,
    /// 6061
    #[msg("The tranche slot already has its staked-LP vault")]
    StakeVaultExists,
    /// 6062
    #[msg("The operation would push a custody's weight past its min/max bounds")]
    TokenWeightOutOfRange,
    /// 6063
    #[msg(
        "Invalid custody weights (min <= target <= max <= 100 %, fees at most MAX_WEIGHT_FEE_BPS)"
    )]
    InvalidWeightConfig,
    /// 6064
    #[msg("Swap not allowed: same custody on both legs, or a custody without a weight rule")]
    InvalidSwap,
    /// 6065
    #[msg("Invalid skew config (premium scale, premium + discount above 100 %, rate or cap out of bounds)")]
    InvalidSkewConfig,
    /// 6066
    #[msg("The trade would take the pool's net exposure in this market beyond its cap")]
    NetExposureLimitExceeded,
}
