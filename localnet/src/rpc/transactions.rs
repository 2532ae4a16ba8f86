//! The transaction methods: `sendTransaction` (with preflight), `simulateTransaction`.

use super::params::{decode_transaction, encode_account, pubkey, RpcError, RpcResult};
use super::Rpc;
use crate::node::SendOutcome;
use solana_account_decoder::UiAccountEncoding;
use solana_rpc_client_api::{
    config::{RpcAccountInfoConfig, RpcSendTransactionConfig, RpcSimulateTransactionConfig},
    custom_error::RpcCustomError,
    response::{Response as RpcResponse, RpcSimulateTransactionResult},
};
use solana_sdk::{commitment_config::CommitmentConfig, transaction::TransactionError};
use solana_transaction_status::UiTransactionEncoding;

impl Rpc {
    pub(super) fn send_transaction(
        &self,
        encoded: String,
        config: Option<RpcSendTransactionConfig>,
    ) -> RpcResult<String> {
        let config = config.unwrap_or_default();
        let tx = decode_transaction(
            &encoded,
            config.encoding.unwrap_or(UiTransactionEncoding::Base58),
        )?;
        let preflight_bank = self.bank(
            config
                .preflight_commitment
                .map(|commitment| CommitmentConfig { commitment }),
            config.min_context_slot,
        )?;
        let sanitized = self
            .node
            .verify(&preflight_bank, tx.clone(), true)
            .map_err(|err| match err {
                TransactionError::SignatureFailure => {
                    RpcCustomError::TransactionSignatureVerificationFailure.into()
                }
                err => RpcError::invalid_params(format!("invalid transaction: {err}")),
            })?;
        if !config.skip_preflight {
            let (_slot, result) = self.node.simulate_in(&preflight_bank, &sanitized);
            if let Err(err) = result.result {
                return Err(RpcCustomError::SendTransactionPreflightFailure {
                    message: format!("Transaction simulation failed: {err}"),
                    result: RpcSimulateTransactionResult {
                        err: Some(err),
                        logs: Some(result.logs),
                        accounts: None,
                        units_consumed: Some(result.units_consumed),
                        return_data: result
                            .return_data
                            .filter(|d| !d.data.is_empty())
                            .map(Into::into),
                        inner_instructions: None,
                    },
                }
                .into());
            }
        }
        match self.node.send(tx) {
            Ok(SendOutcome::Landed(sig)) => Ok(sig.to_string()),
            // A validator accepts the transaction and later drops it; it never gets a status.
            Ok(SendOutcome::Dropped(sig, err)) => {
                log::info!("dropped {sig}: {err}");
                Ok(sig.to_string())
            }
            Err(err) => Err(RpcError::invalid_params(format!(
                "invalid transaction: {err}"
            ))),
        }
    }

    pub(super) fn simulate_transaction(
        &self,
        encoded: String,
        config: Option<RpcSimulateTransactionConfig>,
    ) -> RpcResult<RpcResponse<RpcSimulateTransactionResult>> {
        let config = config.unwrap_or_default();
        let mut tx = decode_transaction(
            &encoded,
            config.encoding.unwrap_or(UiTransactionEncoding::Base58),
        )?;
        let bank = self.bank(config.commitment, config.min_context_slot)?;
        if config.replace_recent_blockhash {
            if config.sig_verify {
                return Err(RpcError::invalid_params(
                    "sigVerify may not be used with replaceRecentBlockhash",
                ));
            }
            tx.message.set_recent_blockhash(bank.last_blockhash());
        }
        let sanitized =
            self.node
                .verify(&bank, tx, config.sig_verify)
                .map_err(|err| match err {
                    TransactionError::SignatureFailure => {
                        RpcCustomError::TransactionSignatureVerificationFailure.into()
                    }
                    err => RpcError::invalid_params(format!("invalid transaction: {err}")),
                })?;
        let (_slot, result) = self.node.simulate_in(&bank, &sanitized);
        let accounts = match config.accounts {
            None => None,
            Some(accounts_config) => {
                let encoding = accounts_config
                    .encoding
                    .unwrap_or(UiAccountEncoding::Base64);
                if matches!(
                    encoding,
                    UiAccountEncoding::Binary | UiAccountEncoding::Base58
                ) {
                    return Err(RpcError::invalid_params("base58 encoding not supported"));
                }
                let account_config = RpcAccountInfoConfig {
                    encoding: Some(encoding),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(accounts_config.addresses.len());
                for address in accounts_config.addresses {
                    let key = pubkey(&address)?;
                    let post = result
                        .post_simulation_accounts
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, a)| a.clone());
                    let account = post.or_else(|| bank.get_account(&key));
                    out.push(
                        account
                            .map(|a| encode_account(&bank, &key, &a, &account_config))
                            .transpose()?,
                    );
                }
                Some(out)
            }
        };
        Self::respond(
            &bank,
            RpcSimulateTransactionResult {
                err: result.result.err(),
                logs: Some(result.logs),
                accounts,
                units_consumed: Some(result.units_consumed),
                return_data: result
                    .return_data
                    .filter(|d| !d.data.is_empty())
                    .map(Into::into),
                inner_instructions: None,
            },
        )
    }
}
