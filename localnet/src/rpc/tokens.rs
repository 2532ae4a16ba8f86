//! SPL Token reads (Token and Token-2022): `getTokenAccountBalance`, `getTokenSupply`,
//! `getTokenAccountsByOwner`, `getTokenAccountsByDelegate`, `getTokenLargestAccounts`, with the
//! validator's parameter checks and error messages.

use super::accounts::scan_error;
use super::params::{encode_ui_account, mint_decimals, pubkey, RpcError, RpcResult};
use super::Rpc;
use solana_account_decoder::{
    parse_token::{token_amount_to_ui_amount, UiTokenAmount},
    UiAccountEncoding,
};
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcTokenAccountsFilter},
    response::{Response as RpcResponse, RpcKeyedAccount, RpcTokenAccountBalance},
};
use solana_runtime::bank::Bank;
use solana_sdk::{
    account::{AccountSharedData, ReadableAccount},
    commitment_config::CommitmentConfig,
    program_option::COption,
    pubkey::Pubkey,
};
use spl_token::{solana_program::program_pack::Pack, state::Account as TokenAccount};

/// getTokenLargestAccounts answers this many (NUM_LARGEST_ACCOUNTS).
const NUM_LARGEST_ACCOUNTS: usize = 20;
/// Token-2022's AccountType byte for an account, after the 165-byte base state.
const ACCOUNT_TYPE_ACCOUNT: u8 = 2;

enum By {
    Owner,
    Delegate,
}

fn token_program_ids() -> [Pubkey; 2] {
    let ids = solana_account_decoder::parse_token::spl_token_ids();
    [ids[0], ids[1]]
}

/// The base state of a Token or Token-2022 account (extensions ignored).
pub fn token_account(account: &AccountSharedData) -> Option<TokenAccount> {
    if !token_program_ids().contains(account.owner()) {
        return None;
    }
    let data = account.data();
    let is_account = data.len() == TokenAccount::LEN
        || (data.len() > TokenAccount::LEN && data[TokenAccount::LEN] == ACCOUNT_TYPE_ACCOUNT);
    if !is_account {
        return None;
    }
    TokenAccount::unpack_from_slice(&data[..TokenAccount::LEN])
        .ok()
        .filter(|a| a.state != spl_token::state::AccountState::Uninitialized)
}

/// The mint's owner program and decimals, or the validator's errors.
fn mint_owner_and_decimals(bank: &Bank, mint: &Pubkey) -> Result<(Pubkey, u8), RpcError> {
    let account = bank
        .get_account(mint)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
    let not_mint = || RpcError::invalid_params("Invalid param: not a Token mint");
    if !token_program_ids().contains(account.owner()) {
        return Err(not_mint());
    }
    let decimals = mint_decimals(account.data()).ok_or_else(not_mint)?;
    Ok((*account.owner(), decimals))
}

impl Rpc {
    pub(super) fn get_token_account_balance(
        &self,
        pubkey_str: String,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<RpcResponse<UiTokenAmount>> {
        let key = pubkey(&pubkey_str)?;
        let bank = self.bank(commitment, None)?;
        let account = bank
            .get_account(&key)
            .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
        let token = token_account(&account)
            .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token account"))?;
        let decimals = bank
            .get_account(&token.mint)
            .and_then(|m| mint_decimals(m.data()))
            .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
        Self::respond(&bank, token_amount_to_ui_amount(token.amount, decimals))
    }

    pub(super) fn get_token_supply(
        &self,
        mint_str: String,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<RpcResponse<UiTokenAmount>> {
        let mint = pubkey(&mint_str)?;
        let bank = self.bank(commitment, None)?;
        let (_, decimals) = mint_owner_and_decimals(&bank, &mint)?;
        let account = bank.get_account(&mint).unwrap_or_default();
        let supply = spl_token::state::Mint::unpack_from_slice(
            &account.data()[..spl_token::state::Mint::LEN],
        )
        .map(|m| m.supply)
        .unwrap_or_default();
        Self::respond(&bank, token_amount_to_ui_amount(supply, decimals))
    }

    pub(super) fn get_token_accounts_by_owner(
        &self,
        owner_str: String,
        filter: RpcTokenAccountsFilter,
        config: Option<RpcAccountInfoConfig>,
    ) -> RpcResult<RpcResponse<Vec<RpcKeyedAccount>>> {
        self.get_token_accounts_by(By::Owner, owner_str, filter, config)
    }

    pub(super) fn get_token_accounts_by_delegate(
        &self,
        delegate_str: String,
        filter: RpcTokenAccountsFilter,
        config: Option<RpcAccountInfoConfig>,
    ) -> RpcResult<RpcResponse<Vec<RpcKeyedAccount>>> {
        self.get_token_accounts_by(By::Delegate, delegate_str, filter, config)
    }

    fn get_token_accounts_by(
        &self,
        by: By,
        key_str: String,
        filter: RpcTokenAccountsFilter,
        config: Option<RpcAccountInfoConfig>,
    ) -> RpcResult<RpcResponse<Vec<RpcKeyedAccount>>> {
        let key = pubkey(&key_str)?;
        let config = config.unwrap_or_default();
        let bank = self.bank(config.commitment, config.min_context_slot)?;
        let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
        if encoding == UiAccountEncoding::JsonParsed && config.data_slice.is_some() {
            return Err(RpcError::invalid_params(
                "Sliced account data can only be encoded using binary (base 58) or base64 encoding.",
            ));
        }
        let (program, mint) = match filter {
            RpcTokenAccountsFilter::Mint(mint) => {
                let mint = pubkey(&mint)?;
                let owner = bank
                    .get_account(&mint)
                    .map(|a| *a.owner())
                    .filter(|o| token_program_ids().contains(o))
                    .ok_or_else(|| {
                        RpcError::invalid_params("Invalid param: could not find mint")
                    })?;
                (owner, Some(mint))
            }
            RpcTokenAccountsFilter::ProgramId(program) => {
                let program = pubkey(&program)?;
                if !token_program_ids().contains(&program) {
                    return Err(RpcError::invalid_params(
                        "Invalid param: unrecognized Token program id",
                    ));
                }
                (program, None)
            }
        };
        let matches = |token: &TokenAccount| {
            let holder = match by {
                By::Owner => token.owner == key,
                By::Delegate => token.delegate == COption::Some(key),
            };
            holder && mint.is_none_or(|m| token.mint == m)
        };
        let accounts = bank
            .get_filtered_program_accounts(
                &program,
                |a| token_account(a).is_some_and(|t| matches(&t)),
                &Default::default(),
            )
            .map_err(scan_error)?;
        let keyed: Vec<RpcKeyedAccount> = accounts
            .into_iter()
            .map(|(address, account)| RpcKeyedAccount {
                pubkey: address.to_string(),
                account: encode_ui_account(&bank, &address, &account, encoding, config.data_slice),
            })
            .collect();
        Self::respond(&bank, keyed)
    }

    pub(super) fn get_token_largest_accounts(
        &self,
        mint_str: String,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<RpcResponse<Vec<RpcTokenAccountBalance>>> {
        let mint = pubkey(&mint_str)?;
        let bank = self.bank(commitment, None)?;
        let (program, decimals) = mint_owner_and_decimals(&bank, &mint)?;
        let mut balances: Vec<(Pubkey, u64)> = bank
            .get_filtered_program_accounts(
                &program,
                |a| token_account(a).is_some_and(|t| t.mint == mint),
                &Default::default(),
            )
            .map_err(scan_error)?
            .into_iter()
            .filter_map(|(address, account)| token_account(&account).map(|t| (address, t.amount)))
            .collect();
        balances.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let largest: Vec<RpcTokenAccountBalance> = balances
            .into_iter()
            .take(NUM_LARGEST_ACCOUNTS)
            .map(|(address, amount)| RpcTokenAccountBalance {
                address: address.to_string(),
                amount: token_amount_to_ui_amount(amount, decimals),
            })
            .collect();
        Self::respond(&bank, largest)
    }
}
