//! Account reads: `getAccountInfo`, `getMultipleAccounts`, `getProgramAccounts`, `getBalance`,
//! `getLargestAccounts`, `getSupply`.

use super::params::{encode_account, internal_error, pubkey, RpcError, RpcResult};
use super::Rpc;
use solana_account_decoder::UiAccount;
use solana_accounts_db::accounts::AccountAddressFilter;
use solana_rpc_client_api::{
    config::{
        RpcAccountInfoConfig, RpcContextConfig, RpcLargestAccountsConfig, RpcLargestAccountsFilter,
        RpcProgramAccountsConfig, RpcSupplyConfig,
    },
    filter::RpcFilterType,
    response::{
        OptionalContext, Response as RpcResponse, RpcAccountBalance, RpcKeyedAccount, RpcSupply,
    },
};
use solana_runtime::{bank::Bank, non_circulating_supply::calculate_non_circulating_supply};
use std::collections::HashSet;

/// `getLargestAccounts` answers this many (the validator's NUM_LARGEST_ACCOUNTS).
const NUM_LARGEST_ACCOUNTS: usize = 20;
/// getMultipleAccounts' limit (MAX_MULTIPLE_ACCOUNTS).
const MAX_MULTIPLE_ACCOUNTS: usize = 100;

pub(super) fn scan_error(err: impl std::fmt::Display) -> RpcError {
    internal_error(format!("Internal error: scan failed: {err}"))
}

/// Checks `getProgramAccounts` / `programSubscribe` filters the way the validator does.
pub(crate) fn verify_filters(filters: &[RpcFilterType]) -> Result<(), RpcError> {
    if filters.len() > 4 {
        return Err(RpcError::invalid_params("Too many filters provided; max 4"));
    }
    for filter in filters {
        filter
            .verify()
            .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e:?}")))?;
    }
    Ok(())
}

impl Rpc {
    pub(super) fn get_account_info(
        &self,
        pubkey_str: String,
        config: Option<RpcAccountInfoConfig>,
    ) -> RpcResult<RpcResponse<Option<UiAccount>>> {
        let key = pubkey(&pubkey_str)?;
        let config = config.unwrap_or_default();
        let bank = self.bank(config.commitment, config.min_context_slot)?;
        let value = bank
            .get_account(&key)
            .map(|a| encode_account(&bank, &key, &a, &config))
            .transpose()?;
        Self::respond(&bank, value)
    }

    pub(super) fn get_multiple_accounts(
        &self,
        keys: Vec<String>,
        config: Option<RpcAccountInfoConfig>,
    ) -> RpcResult<RpcResponse<Vec<Option<UiAccount>>>> {
        if keys.len() > MAX_MULTIPLE_ACCOUNTS {
            return Err(RpcError::invalid_params(format!(
                "Too many inputs provided; max {MAX_MULTIPLE_ACCOUNTS}"
            )));
        }
        let keys = keys
            .iter()
            .map(|k| pubkey(k))
            .collect::<Result<Vec<_>, _>>()?;
        let config = config.unwrap_or_default();
        let bank = self.bank(config.commitment, config.min_context_slot)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(
                bank.get_account(&key)
                    .map(|a| encode_account(&bank, &key, &a, &config))
                    .transpose()?,
            );
        }
        Self::respond(&bank, out)
    }

    pub(super) fn get_program_accounts(
        &self,
        program_id_str: String,
        config: Option<RpcProgramAccountsConfig>,
    ) -> RpcResult<OptionalContext<Vec<RpcKeyedAccount>>> {
        let program = pubkey(&program_id_str)?;
        let config = config.unwrap_or_default();
        let filters = config.filters.unwrap_or_default();
        verify_filters(&filters)?;
        let bank = self.bank(
            config.account_config.commitment,
            config.account_config.min_context_slot,
        )?;
        let accounts = bank
            .get_filtered_program_accounts(
                &program,
                |a| filters.iter().all(|f: &RpcFilterType| f.allows(a)),
                &Default::default(),
            )
            .map_err(scan_error)?;
        let mut keyed = Vec::with_capacity(accounts.len());
        for (key, account) in accounts {
            keyed.push(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: encode_account(&bank, &key, &account, &config.account_config)?,
            });
        }
        if config.with_context.unwrap_or(false) {
            Self::respond(&bank, keyed).map(OptionalContext::Context)
        } else {
            Ok(OptionalContext::NoContext(keyed))
        }
    }

    pub(super) fn get_balance(
        &self,
        pubkey_str: String,
        config: Option<RpcContextConfig>,
    ) -> RpcResult<RpcResponse<u64>> {
        let key = pubkey(&pubkey_str)?;
        let bank = self.context_bank(config)?;
        Self::respond(&bank, bank.get_balance(&key))
    }

    pub(super) fn get_largest_accounts(
        &self,
        config: Option<RpcLargestAccountsConfig>,
    ) -> RpcResult<RpcResponse<Vec<RpcAccountBalance>>> {
        let config = config.unwrap_or_default();
        let bank = self.bank(config.commitment, None)?;
        let (addresses, filter) = match config.filter {
            Some(filter) => {
                let non_circulating =
                    calculate_non_circulating_supply(&bank).map_err(scan_error)?;
                let addresses: HashSet<_> = non_circulating.accounts.into_iter().collect();
                let filter = match filter {
                    RpcLargestAccountsFilter::Circulating => AccountAddressFilter::Exclude,
                    RpcLargestAccountsFilter::NonCirculating => AccountAddressFilter::Include,
                };
                (addresses, filter)
            }
            None => (HashSet::new(), AccountAddressFilter::Exclude),
        };
        let accounts: Vec<RpcAccountBalance> = bank
            .get_largest_accounts(NUM_LARGEST_ACCOUNTS, &addresses, filter)
            .map_err(scan_error)?
            .into_iter()
            .map(|(address, lamports)| RpcAccountBalance {
                address: address.to_string(),
                lamports,
            })
            .collect();
        Self::respond(&bank, accounts)
    }

    pub(super) fn get_supply(
        &self,
        config: Option<RpcSupplyConfig>,
    ) -> RpcResult<RpcResponse<RpcSupply>> {
        let config = config.unwrap_or_default();
        let bank = self.bank(config.commitment, None)?;
        Self::respond(
            &bank,
            supply(&bank, config.exclude_non_circulating_accounts_list)?,
        )
    }

    /// `getStakeMinimumDelegation`: what the stake program enforces in this bank.
    pub(super) fn get_stake_minimum_delegation(
        &self,
        config: Option<RpcContextConfig>,
    ) -> RpcResult<RpcResponse<u64>> {
        let bank = self.context_bank(config)?;
        let one_sol = bank
            .feature_set
            .is_active(&solana_sdk::feature_set::stake_raise_minimum_delegation_to_1_sol::id());
        let minimum = if one_sol {
            solana_sdk::native_token::LAMPORTS_PER_SOL
        } else {
            1
        };
        Self::respond(&bank, minimum)
    }
}

fn supply(bank: &Bank, exclude_list: bool) -> Result<RpcSupply, RpcError> {
    let non_circulating = calculate_non_circulating_supply(bank).map_err(scan_error)?;
    let total = bank.capitalization();
    Ok(RpcSupply {
        total,
        circulating: total.saturating_sub(non_circulating.lamports),
        non_circulating: non_circulating.lamports,
        non_circulating_accounts: if exclude_list {
            vec![]
        } else {
            non_circulating
                .accounts
                .iter()
                .map(|a| a.to_string())
                .collect()
        },
    })
}
