"""Program-derived addresses, one small pure function per account (seeds from constants.py)."""

from solders.pubkey import Pubkey

from perp_pool.constants import (
    CUSTODY_SEED,
    CUSTODY_TOKEN_ACCOUNT_SEED,
    LP_COOLDOWN_SEED,
    LP_TOKEN_MINT_SEED,
    ORACLE_SEED,
    ORDER_SEED,
    PERPETUALS_SEED,
    POOL_SEED,
    POSITION_SEED,
    PROGRAM_ID,
    SENIOR_LP_TOKEN_MINT_SEED,
    STAKE_POOL_SEED,
    STAKE_SEED,
    STAKE_VAULT_SEED,
    TRANSFER_AUTHORITY_SEED,
)
from perp_pool.math.pricing import Side


def get_perpetuals_address(program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([PERPETUALS_SEED], program_id)


def get_transfer_authority_address(program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([TRANSFER_AUTHORITY_SEED], program_id)


def get_pool_address(name: str, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([POOL_SEED, name.encode()], program_id)


def get_lp_token_mint_address(pool: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([LP_TOKEN_MINT_SEED, bytes(pool)], program_id)


def get_senior_lp_token_mint_address(pool: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """The senior tranche's LP mint of a tranched pool (`add_senior_tranche`)."""
    return Pubkey.find_program_address([SENIOR_LP_TOKEN_MINT_SEED, bytes(pool)], program_id)


def get_custody_address(pool: Pubkey, mint: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([CUSTODY_SEED, bytes(pool), bytes(mint)], program_id)


def get_custody_token_account_address(
    pool: Pubkey, mint: Pubkey, program_id: Pubkey = PROGRAM_ID
) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([CUSTODY_TOKEN_ACCOUNT_SEED, bytes(pool), bytes(mint)], program_id)


def get_custom_oracle_address(custody: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    return Pubkey.find_program_address([ORACLE_SEED, bytes(custody)], program_id)


def get_lp_cooldown_address(lp_token_account: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """The deposit cooldown record of one LP token account (created by its first deposit)."""
    return Pubkey.find_program_address([LP_COOLDOWN_SEED, bytes(lp_token_account)], program_id)


def get_position_address(owner: Pubkey, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side,
                         program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """One position per (owner, pool, traded custody, collateral custody, side); side byte Long=1, Short=2."""
    return Pubkey.find_program_address(
        [POSITION_SEED, bytes(owner), bytes(pool), bytes(custody), bytes(collateral_custody), bytes([side.seed_byte])],
        program_id)


def get_order_address(owner: Pubkey, custody: Pubkey, index: int,
                      program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """A trigger order: slot `index` (< the market's max orders per owner) of `owner` on the traded `custody`."""
    return Pubkey.find_program_address([ORDER_SEED, bytes(owner), bytes(custody), bytes([index])], program_id)


def get_stake_pool_address(pool: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """A pool's stake pool (LP lock-ups)."""
    return Pubkey.find_program_address([STAKE_POOL_SEED, bytes(pool)], program_id)


def get_stake_vault_address(stake_pool: Pubkey, lp_mint: Pubkey, program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """The staked-LP token account of the tranche slot of `lp_mint`."""
    return Pubkey.find_program_address([STAKE_VAULT_SEED, bytes(stake_pool), bytes(lp_mint)], program_id)


def get_stake_address(stake_pool: Pubkey, lp_mint: Pubkey, owner: Pubkey,
                      program_id: Pubkey = PROGRAM_ID) -> tuple[Pubkey, int]:
    """`owner`'s stake of `lp_mint`'s LP."""
    return Pubkey.find_program_address([STAKE_SEED, bytes(stake_pool), bytes(lp_mint), bytes(owner)], program_id)
