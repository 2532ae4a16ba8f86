//! The JSON-RPC side of the local node: Solana's HTTP JSON-RPC methods that solana-py, anchorpy
//! and keepers use, answered with the official request/response types so replies are what a
//! validator sends, plus a few test-only `perpnode_*` methods.

use crate::node::Node;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use params::{
    account_from_json, encode_account, failure, opt_param, param, pubkey, signature, RpcError,
    RpcResult,
};
use serde_json::{json, Value};
use solana_rpc_client_api::{
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureStatusConfig,
        RpcTransactionConfig,
    },
    custom_error::RpcCustomError,
    filter::RpcFilterType,
    response::{RpcBlockhash, RpcKeyedAccount, RpcResponseContext, RpcVersionInfo},
};
use solana_sdk::{
    account::{AccountSharedData, ReadableAccount},
    clock::MAX_RECENT_BLOCKHASHES,
    hash::Hash,
    message::{SanitizedMessage, VersionedMessage},
    pubkey::Pubkey,
};
use solana_transaction_status::{
    ConfirmedTransactionWithStatusMeta, TransactionConfirmationStatus, TransactionStatus,
    TransactionWithStatusMeta, UiTransactionEncoding, VersionedTransactionWithStatusMeta,
};
use std::{str::FromStr, sync::Arc};

mod params;
mod transactions;

/// The JSON-RPC methods over one node.
pub struct Rpc {
    pub node: Arc<Node>,
    pub program_id: Pubkey,
    pub slot_ms: u64,
}

impl Rpc {
    fn context(&self) -> RpcResponseContext {
        RpcResponseContext {
            slot: self.node.bank().slot(),
            api_version: Some(Default::default()),
        }
    }

    fn with_context(&self, value: impl serde::Serialize) -> RpcResult {
        Ok(json!({"context": self.context(), "value": value}))
    }

    /// Answers one body: a single call or a batch.
    pub fn handle_body(&self, body: &[u8]) -> Value {
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(_) => return failure(Value::Null, RpcError::parse_error()),
        };
        match request {
            Value::Array(calls) if calls.is_empty() => {
                failure(Value::Null, RpcError::invalid_request())
            }
            Value::Array(calls) => {
                Value::Array(calls.into_iter().map(|c| self.handle_call(c)).collect())
            }
            call => self.handle_call(call),
        }
    }

    fn handle_call(&self, call: Value) -> Value {
        let id = call.get("id").cloned().unwrap_or(Value::Null);
        let Some(method) = call.get("method").and_then(Value::as_str) else {
            return failure(id, RpcError::invalid_request());
        };
        let params = match call.get("params") {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                return failure(
                    id,
                    RpcError::invalid_params("Invalid params: expected an array."),
                )
            }
        };
        match self.dispatch(method, &params) {
            Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
            Err(err) => failure(id, err),
        }
    }

    fn dispatch(&self, method: &str, p: &[Value]) -> RpcResult {
        match method {
            "getHealth" => Ok(json!("ok")),
            "getVersion" => Ok(json!(RpcVersionInfo {
                solana_core: solana_version::Version::default().to_string(),
                feature_set: Some(solana_version::Version::default().feature_set),
            })),
            "getGenesisHash" => Ok(json!(self.node.genesis_hash().to_string())),
            "getIdentity" => Ok(json!({"identity": self.node.bank().collector_id().to_string()})),
            "getSlot" => Ok(json!(self.node.bank().slot())),
            "getBlockHeight" => Ok(json!(self.node.bank().block_height())),
            "getEpochInfo" => {
                let bank = self.node.bank();
                let (epoch, slot_index) = bank.get_epoch_and_slot_index(bank.slot());
                Ok(json!({
                    "absoluteSlot": bank.slot(), "blockHeight": bank.block_height(), "epoch": epoch,
                    "slotIndex": slot_index, "slotsInEpoch": bank.get_slots_in_epoch(epoch),
                    "transactionCount": bank.transaction_count(),
                }))
            }
            "getFirstAvailableBlock" => Ok(json!(0)),
            "getLatestBlockhash" => {
                let bank = self.node.bank();
                let blockhash = bank.last_blockhash();
                let last_valid_block_height = bank
                    .get_blockhash_last_valid_block_height(&blockhash)
                    .unwrap_or(bank.block_height() + MAX_RECENT_BLOCKHASHES as u64);
                self.with_context(RpcBlockhash {
                    blockhash: blockhash.to_string(),
                    last_valid_block_height,
                })
            }
            "isBlockhashValid" => {
                let hash: String = param(p, 0)?;
                let hash = Hash::from_str(&hash)
                    .map_err(|_| RpcError::invalid_params("Invalid param: invalid hash"))?;
                self.with_context(self.node.bank().is_blockhash_valid(&hash))
            }
            "getFeeForMessage" => {
                let encoded: String = param(p, 0)?;
                let bytes = B64
                    .decode(encoded)
                    .map_err(|e| RpcError::invalid_params(format!("invalid base64: {e}")))?;
                let message: VersionedMessage = bincode::deserialize(&bytes)
                    .map_err(|e| RpcError::invalid_params(format!("invalid message: {e}")))?;
                let bank = self.node.bank();
                let fee = match message {
                    VersionedMessage::Legacy(m) => SanitizedMessage::try_from(m)
                        .ok()
                        .and_then(|m| bank.get_fee_for_message(&m)),
                    VersionedMessage::V0(_) => None,
                };
                self.with_context(fee)
            }
            "getRecentPrioritizationFees" => Ok(json!([])),
            "getMinimumBalanceForRentExemption" => {
                let len: usize = param(p, 0)?;
                Ok(json!(self
                    .node
                    .bank()
                    .get_minimum_balance_for_rent_exemption(len)))
            }
            "getBalance" => {
                let key = pubkey(&param::<String>(p, 0)?)?;
                self.with_context(self.node.bank().get_balance(&key))
            }
            "getAccountInfo" => {
                let key = pubkey(&param::<String>(p, 0)?)?;
                let config: RpcAccountInfoConfig = opt_param(p, 1)?.unwrap_or_default();
                let account = self.node.bank().get_account(&key);
                let value = account
                    .map(|a| encode_account(&key, &a, &config))
                    .transpose()?;
                self.with_context(value)
            }
            "getMultipleAccounts" => {
                let keys: Vec<String> = param(p, 0)?;
                if keys.len() > 100 {
                    return Err(RpcError::invalid_params(
                        "Too many inputs provided; max 100",
                    ));
                }
                let config: RpcAccountInfoConfig = opt_param(p, 1)?.unwrap_or_default();
                let bank = self.node.bank();
                let mut out = Vec::with_capacity(keys.len());
                for key in keys {
                    let key = pubkey(&key)?;
                    out.push(
                        bank.get_account(&key)
                            .map(|a| encode_account(&key, &a, &config))
                            .transpose()?,
                    );
                }
                self.with_context(out)
            }
            "getProgramAccounts" => self.get_program_accounts(p),
            "getTokenAccountBalance" => {
                use solana_account_decoder::parse_token::token_amount_to_ui_amount;
                use spl_token::solana_program::program_pack::Pack;
                let key = pubkey(&param::<String>(p, 0)?)?;
                let bank = self.node.bank();
                let invalid = || RpcError::invalid_params("Invalid param: not a Token account");
                let account = bank.get_account(&key).ok_or_else(invalid)?;
                if account.owner() != &spl_token::id() {
                    return Err(invalid());
                }
                let token =
                    spl_token::state::Account::unpack(account.data()).map_err(|_| invalid())?;
                let mint = bank.get_account(&token.mint).ok_or_else(invalid)?;
                let mint = spl_token::state::Mint::unpack(mint.data()).map_err(|_| invalid())?;
                self.with_context(token_amount_to_ui_amount(token.amount, mint.decimals))
            }
            "getTokenSupply" => {
                use solana_account_decoder::parse_token::token_amount_to_ui_amount;
                use spl_token::solana_program::program_pack::Pack;
                let key = pubkey(&param::<String>(p, 0)?)?;
                let invalid = || RpcError::invalid_params("Invalid param: not a Token mint");
                let account = self.node.bank().get_account(&key).ok_or_else(invalid)?;
                if account.owner() != &spl_token::id() {
                    return Err(invalid());
                }
                let mint = spl_token::state::Mint::unpack(account.data()).map_err(|_| invalid())?;
                self.with_context(token_amount_to_ui_amount(mint.supply, mint.decimals))
            }
            "requestAirdrop" => {
                let key = pubkey(&param::<String>(p, 0)?)?;
                let lamports: u64 = param(p, 1)?;
                self.node
                    .airdrop(&key, lamports)
                    .map(|sig| json!(sig.to_string()))
                    .map_err(|e| RpcError {
                        code: -32600,
                        message: format!("airdrop failed: {e}"),
                        data: None,
                    })
            }
            "sendTransaction" => self.send_transaction(p),
            "simulateTransaction" => self.simulate_transaction(p),
            "getSignatureStatuses" => {
                let sigs: Vec<String> = param(p, 0)?;
                if sigs.len() > 256 {
                    return Err(RpcError::invalid_params(
                        "Too many inputs provided; max 256",
                    ));
                }
                let _config: Option<RpcSignatureStatusConfig> = opt_param(p, 1)?;
                let root = self.node.root_slot();
                let mut out = Vec::with_capacity(sigs.len());
                for s in sigs {
                    let sig = signature(&s)?;
                    out.push(self.node.landed(&sig).map(|landed| {
                        let finalized = landed.slot <= root;
                        TransactionStatus {
                            slot: landed.slot,
                            confirmations: if finalized { None } else { Some(0) },
                            status: landed.meta.status.clone(),
                            err: landed.meta.status.clone().err(),
                            confirmation_status: Some(if finalized {
                                TransactionConfirmationStatus::Finalized
                            } else {
                                TransactionConfirmationStatus::Confirmed
                            }),
                        }
                    }));
                }
                self.with_context(out)
            }
            "getTransaction" => {
                let sig = signature(&param::<String>(p, 0)?)?;
                // The second parameter is an encoding string (legacy form) or a config object.
                let config: RpcTransactionConfig = match p.get(1) {
                    Some(Value::String(_)) => RpcTransactionConfig {
                        encoding: opt_param(p, 1)?,
                        ..Default::default()
                    },
                    _ => opt_param(p, 1)?.unwrap_or_default(),
                };
                let Some(landed) = self.node.landed(&sig) else {
                    return Ok(Value::Null);
                };
                let confirmed = ConfirmedTransactionWithStatusMeta {
                    slot: landed.slot,
                    tx_with_meta: TransactionWithStatusMeta::Complete(
                        VersionedTransactionWithStatusMeta {
                            transaction: landed.transaction,
                            meta: landed.meta,
                        },
                    ),
                    block_time: Some(landed.block_time),
                };
                let encoded = confirmed
                    .encode(
                        config.encoding.unwrap_or(UiTransactionEncoding::Json),
                        config.max_supported_transaction_version,
                    )
                    .map_err(|e| RpcError::from(RpcCustomError::from(e)))?;
                Ok(json!(encoded))
            }
            "perpnode_info" => Ok(json!({
                "programId": self.program_id.to_string(),
                "slotMs": self.slot_ms,
                "unixTimestamp": self.node.bank().clock().unix_timestamp,
            })),
            "perpnode_warpClock" => {
                let seconds: i64 = param(p, 0)?;
                if seconds < 0 {
                    return Err(RpcError::invalid_params("the clock only moves forward"));
                }
                Ok(json!(self.node.warp_clock(seconds)))
            }
            "perpnode_advanceSlots" => {
                let n: u64 = opt_param(p, 0)?.unwrap_or(1);
                if n == 0 || n > 1000 {
                    return Err(RpcError::invalid_params("advance between 1 and 1000 slots"));
                }
                for _ in 0..n {
                    self.node.advance_slot();
                }
                Ok(json!(self.node.bank().slot()))
            }
            "perpnode_setAccount" => {
                let key = pubkey(&param::<String>(p, 0)?)?;
                let spec: Value = param(p, 1)?;
                let account = account_from_json(&spec)?;
                self.node
                    .set_account(&key, &AccountSharedData::from(account));
                Ok(Value::Null)
            }
            _ => Err(RpcError::method_not_found()),
        }
    }

    fn get_program_accounts(&self, p: &[Value]) -> RpcResult {
        let program = pubkey(&param::<String>(p, 0)?)?;
        let config: RpcProgramAccountsConfig = opt_param(p, 1)?.unwrap_or_default();
        let filters = config.filters.unwrap_or_default();
        if filters.len() > 4 {
            return Err(RpcError::invalid_params("Too many filters provided; max 4"));
        }
        for filter in &filters {
            filter
                .verify()
                .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e:?}")))?;
        }
        let bank = self.node.bank();
        let accounts = bank
            .get_filtered_program_accounts(
                &program,
                |a| filters.iter().all(|f: &RpcFilterType| f.allows(a)),
                &Default::default(),
            )
            .map_err(|e| RpcError {
                code: -32010,
                message: format!("scan failed: {e}"),
                data: None,
            })?;
        let mut keyed = Vec::with_capacity(accounts.len());
        for (key, account) in accounts {
            keyed.push(RpcKeyedAccount {
                pubkey: key.to_string(),
                account: encode_account(&key, &account, &config.account_config)?,
            });
        }
        if config.with_context.unwrap_or(false) {
            self.with_context(keyed)
        } else {
            Ok(json!(keyed))
        }
    }
}
