//! The cluster as a single node sees it, and blockhashes and fees: `getVersion`, `getEpochInfo`,
//! `getInflationGovernor`, `getInflationRate`, `getLeaderSchedule`, `getSlotLeaders`,
//! `getClusterNodes`, `getVoteAccounts`, `getHighestSnapshotSlot`, `getLatestBlockhash`,
//! `isBlockhashValid`, `getFeeForMessage`, `requestAirdrop`.
//!
//! One validator (the node's identity) leads every slot and holds all the stake. Slots are rooted
//! as they close, as if it voted on each; so its vote account is reported current, with its last
//! vote and root at the newest closed slot.

use super::params::{pubkey, RpcError, RpcResult};
use super::Rpc;
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use jsonrpc_core::ErrorCode;
use solana_rpc_client_api::{
    config::{
        RpcContextConfig, RpcGetVoteAccountsConfig, RpcLeaderScheduleConfig,
        RpcLeaderScheduleConfigWrapper, RpcRequestAirdropConfig,
    },
    custom_error::RpcCustomError,
    response::{
        Response as RpcResponse, RpcBlockhash, RpcContactInfo, RpcInflationGovernor,
        RpcInflationRate, RpcLeaderSchedule, RpcSnapshotSlotInfo, RpcVersionInfo,
        RpcVoteAccountInfo, RpcVoteAccountStatus,
    },
};
use solana_sdk::{
    clock::Slot,
    commitment_config::CommitmentConfig,
    epoch_info::EpochInfo,
    hash::Hash,
    message::{SanitizedMessage, SanitizedVersionedMessage, VersionedMessage},
};
use std::{collections::HashMap, str::FromStr};

/// The validator's MAX_GET_SLOT_LEADERS.
const MAX_SLOT_LEADERS: u64 = 5000;
/// The validator's MAX_RPC_VOTE_ACCOUNT_INFO_EPOCH_CREDITS_HISTORY.
const EPOCH_CREDITS_HISTORY: usize = 5;

impl Rpc {
    pub(super) fn get_version(&self) -> RpcResult<RpcVersionInfo> {
        let version = solana_version::Version::default();
        Ok(RpcVersionInfo {
            solana_core: version.to_string(),
            feature_set: Some(version.feature_set),
        })
    }

    pub(super) fn get_epoch_info(&self, config: Option<RpcContextConfig>) -> RpcResult<EpochInfo> {
        let bank = self.context_bank(config)?;
        let (epoch, slot_index) = bank.get_epoch_and_slot_index(bank.slot());
        Ok(EpochInfo {
            epoch,
            slot_index,
            slots_in_epoch: bank.get_slots_in_epoch(epoch),
            absolute_slot: bank.slot(),
            block_height: bank.block_height(),
            transaction_count: Some(bank.transaction_count()),
        })
    }

    pub(super) fn get_inflation_governor(
        &self,
        commitment: Option<CommitmentConfig>,
    ) -> RpcResult<RpcInflationGovernor> {
        let bank = self.bank(commitment, None)?;
        Ok(RpcInflationGovernor::from(bank.inflation()))
    }

    pub(super) fn get_inflation_rate(&self) -> RpcResult<RpcInflationRate> {
        let bank = self.node.finalized_bank();
        let inflation = bank.inflation();
        let year = bank.slot_in_year_for_inflation();
        Ok(RpcInflationRate {
            total: inflation.total(year),
            validator: inflation.validator(year),
            foundation: inflation.foundation(year),
            epoch: bank.epoch(),
        })
    }

    pub(super) fn get_leader_schedule(
        &self,
        wrapper: Option<RpcLeaderScheduleConfigWrapper>,
        config: Option<RpcLeaderScheduleConfig>,
    ) -> RpcResult<Option<RpcLeaderSchedule>> {
        let (slot, wrapped) = wrapper.map(|w| w.unzip()).unwrap_or_default();
        let config = wrapped.or(config).unwrap_or_default();
        if let Some(identity) = &config.identity {
            pubkey(identity)?;
        }
        let bank = self.bank(config.commitment, None)?;
        let slot = slot.unwrap_or(bank.slot());
        let epoch = bank.epoch_schedule().get_epoch(slot);
        if bank.epoch_staked_nodes(epoch).is_none() {
            return Ok(None);
        }
        let leader = bank.collector_id().to_string();
        let mut schedule = HashMap::new();
        if config.identity.as_ref().is_none_or(|id| *id == leader) {
            let slots: Vec<usize> = (0..bank.get_slots_in_epoch(epoch) as usize).collect();
            schedule.insert(leader, slots);
        }
        Ok(Some(schedule))
    }

    pub(super) fn get_slot_leaders(&self, start: Slot, limit: u64) -> RpcResult<Vec<String>> {
        if limit > MAX_SLOT_LEADERS {
            return Err(RpcError::invalid_params(format!(
                "Invalid limit; max {MAX_SLOT_LEADERS}"
            )));
        }
        let bank = self.node.bank();
        let schedule = bank.epoch_schedule();
        for slot in [start, start.saturating_add(limit.saturating_sub(1))] {
            let epoch = schedule.get_epoch(slot);
            if bank.epoch_staked_nodes(epoch).is_none() {
                return Err(RpcError::invalid_params(format!(
                    "Invalid slot range: leader schedule for epoch {epoch} is unavailable"
                )));
            }
        }
        let leader = bank.collector_id().to_string();
        Ok(vec![leader; limit as usize])
    }

    pub(super) fn get_cluster_nodes(&self) -> RpcResult<Vec<RpcContactInfo>> {
        let version = solana_version::Version::default();
        Ok(vec![RpcContactInfo {
            pubkey: self.node.bank().collector_id().to_string(),
            gossip: None,
            tvu: None,
            tpu: None,
            tpu_quic: None,
            tpu_forwards: None,
            tpu_forwards_quic: None,
            tpu_vote: None,
            serve_repair: None,
            rpc: Some(self.rpc_addr),
            pubsub: self.pubsub_addr,
            version: Some(version.to_string()),
            feature_set: Some(version.feature_set),
            shred_version: Some(0),
        }])
    }

    pub(super) fn get_vote_accounts(
        &self,
        config: Option<RpcGetVoteAccountsConfig>,
    ) -> RpcResult<RpcVoteAccountStatus> {
        let config = config.unwrap_or_default();
        let filter = config.vote_pubkey.as_deref().map(pubkey).transpose()?;
        let bank = self.bank(config.commitment, None)?;
        let root = self.node.root_slot();
        let epoch_vote_accounts = bank.epoch_vote_accounts(bank.epoch());
        let mut current = Vec::new();
        for (vote_pubkey, (stake, account)) in bank.vote_accounts().iter() {
            if filter.is_some_and(|f| f != *vote_pubkey) {
                continue;
            }
            let Ok(state) = account.vote_state() else {
                continue;
            };
            if *stake == 0 && !config.keep_unstaked_delinquents.unwrap_or(false) {
                continue;
            }
            let credits = state.epoch_credits();
            current.push(RpcVoteAccountInfo {
                vote_pubkey: vote_pubkey.to_string(),
                node_pubkey: state.node_pubkey.to_string(),
                activated_stake: *stake,
                commission: state.commission,
                epoch_vote_account: epoch_vote_accounts
                    .is_some_and(|accounts| accounts.contains_key(vote_pubkey)),
                epoch_credits: credits[credits.len().saturating_sub(EPOCH_CREDITS_HISTORY)..]
                    .to_vec(),
                last_vote: root,
                root_slot: root,
            });
        }
        Ok(RpcVoteAccountStatus {
            current,
            delinquent: vec![],
        })
    }

    pub(super) fn get_highest_snapshot_slot(&self) -> RpcResult<RpcSnapshotSlotInfo> {
        match (self.snapshot_slot)() {
            Some(full) => Ok(RpcSnapshotSlotInfo {
                full,
                incremental: None,
            }),
            None => Err(RpcCustomError::NoSnapshot.into()),
        }
    }

    pub(super) fn get_latest_blockhash(
        &self,
        config: Option<RpcContextConfig>,
    ) -> RpcResult<RpcResponse<RpcBlockhash>> {
        let bank = self.context_bank(config)?;
        let blockhash = bank.last_blockhash();
        let last_valid_block_height = bank
            .get_blockhash_last_valid_block_height(&blockhash)
            .unwrap_or_default();
        Self::respond(
            &bank,
            RpcBlockhash {
                blockhash: blockhash.to_string(),
                last_valid_block_height,
            },
        )
    }

    pub(super) fn is_blockhash_valid(
        &self,
        hash: String,
        config: Option<RpcContextConfig>,
    ) -> RpcResult<RpcResponse<bool>> {
        let hash = Hash::from_str(&hash)
            .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e:?}")))?;
        let bank = self.context_bank(config)?;
        Self::respond(&bank, bank.is_blockhash_valid(&hash))
    }

    /// The fee of a message at the bank of the requested commitment; `null` when its blockhash
    /// is unknown or expired there. Legacy and v0 messages (lookup tables resolved).
    pub(super) fn get_fee_for_message(
        &self,
        encoded: String,
        config: Option<RpcContextConfig>,
    ) -> RpcResult<RpcResponse<Option<u64>>> {
        let bytes = B64
            .decode(encoded)
            .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e:?}")))?;
        let message: VersionedMessage = bincode::deserialize(&bytes).map_err(|e| {
            RpcError::invalid_params(format!("failed to deserialize VersionedMessage: {e}"))
        })?;
        let bank = self.context_bank(config)?;
        let invalid = |e: &dyn std::fmt::Display| {
            RpcError::invalid_params(format!("invalid transaction message: {e}"))
        };
        let sanitized = SanitizedVersionedMessage::try_from(message).map_err(|e| invalid(&e))?;
        let sanitized = SanitizedMessage::try_new(sanitized, &*bank).map_err(|e| invalid(&e))?;
        Self::respond(&bank, bank.get_fee_for_message(&sanitized))
    }

    pub(super) fn request_airdrop(
        &self,
        pubkey_str: String,
        lamports: u64,
        config: Option<RpcRequestAirdropConfig>,
    ) -> RpcResult<String> {
        let key = pubkey(&pubkey_str)?;
        let _: CommitmentConfig = config.unwrap_or_default().commitment.unwrap_or_default();
        self.node
            .airdrop(&key, lamports)
            .map(|sig| sig.to_string())
            .map_err(|e| RpcError {
                code: ErrorCode::InvalidRequest,
                message: format!("airdrop failed: {e}"),
                data: None,
            })
    }
}
