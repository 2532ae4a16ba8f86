//! Runs the perp_pool program natively inside the runtime, as a builtin.
//!
//! This module owns the bridge between the runtime's `InvokeContext` and a program compiled for
//! the host: the builtin entrypoint (serialise accounts with the SBF ABI, call the program, write
//! its changes back) and the process-wide syscall stubs the program's `solana_program` calls land
//! in (logs, `sol_log_data` events, return data, sysvars and CPI).
//!
//! Why our own and not solana-program-test's: its stubs print `sol_log_data` to stdout (Anchor
//! events would never reach transaction logs), and its adapter writes the "invoke"/"success" log
//! lines that the runtime writes too. Logs here look like a validator's: one invoke line and one
//! result line per instruction, `Program data:` for events, `Program return:` for return data.
//!
//! Looser than SBF, and said so in the README: no compute metering of the program's own code, no
//! stack/heap limits, no alignment or memory-region checks.

use solana_bpf_loader_program::serialization::serialize_parameters;
use solana_program_runtime::{
    declare_process_instruction, ic_msg, invoke_context::InvokeContext,
    solana_rbpf::vm::ContextObject, stable_log, timings::ExecuteTimings,
};
use solana_sdk::{
    account_info::AccountInfo,
    clock::Clock,
    entrypoint::{deserialize, ProgramResult, SUCCESS},
    epoch_rewards::EpochRewards,
    epoch_schedule::EpochSchedule,
    instruction::{Instruction, InstructionError},
    program_error::{ProgramError, UNSUPPORTED_SYSVAR},
    pubkey::Pubkey,
    rent::Rent,
    stable_layout::stable_instruction::StableInstruction,
    sysvar::{last_restart_slot::LastRestartSlot, Sysvar},
    transaction_context::IndexOfAccount,
};
use std::{cell::RefCell, collections::HashSet, sync::Arc, sync::Once};

/// Compute units charged per native instruction. The runtime requires a builtin to consume at
/// least one; the program's own work is not metered natively.
const NATIVE_INSTRUCTION_COST: u64 = 1;

thread_local! {
    /// The invoke context of the instruction executing on this thread. Transactions run on the
    /// thread that submitted them, so a thread-local is enough; it is set at every entry.
    static INVOKE_CONTEXT: RefCell<Option<usize>> = const { RefCell::new(None) };
}

fn set_invoke_context(ctx: &mut InvokeContext) {
    let ptr = ctx as *mut InvokeContext as usize;
    INVOKE_CONTEXT.with(|c| *c.borrow_mut() = Some(ptr));
}

/// The current invoke context. Only called from syscall stubs, which only run while a native
/// instruction executes on this thread (the program cannot call them otherwise).
fn invoke_context<'a, 'b>() -> &'a mut InvokeContext<'b> {
    let ptr = INVOKE_CONTEXT
        .with(|c| *c.borrow())
        .expect("syscall made outside of a native instruction");
    // SAFETY: the pointer was set from a live `&mut InvokeContext` at the start of the current
    // native instruction, which is still on the stack below this call.
    unsafe { &mut *(ptr as *mut InvokeContext) }
}

declare_process_instruction!(
    PerpPoolEntrypoint,
    NATIVE_INSTRUCTION_COST,
    |invoke_context| { process_native(invoke_context, perp_pool_entry) }
);

/// Anchor's generated `entry` ties the account slice and the account infos to one lifetime, so
/// it does not coerce to a `ProcessInstruction` fn pointer (anchor issue #2738); call it directly.
fn perp_pool_entry(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    // SAFETY: only the lifetime is widened; the slice outlives the call.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    perp_pool::entry(program_id, accounts, data)
}

/// Installs the syscall stubs (once per process) and returns the builtin for `Bank::add_builtin`.
pub fn perp_pool_builtin() -> solana_program_runtime::loaded_programs::LoadedProgram {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        solana_sdk::program_stubs::set_syscall_stubs(Box::new(NativeStubs));
    });
    solana_program_runtime::loaded_programs::LoadedProgram::new_builtin(
        0,
        "perp_pool".len(),
        PerpPoolEntrypoint::vm,
    )
}

/// perp_pool as the runtime's builtin description, for a bank restored from a snapshot.
pub fn perp_pool_prototype(program_id: Pubkey) -> solana_runtime::builtins::BuiltinPrototype {
    // Installs the syscall stubs once, as for a new bank.
    let _ = perp_pool_builtin();
    solana_runtime::builtins::BuiltinPrototype {
        feature_id: None,
        program_id,
        name: "perp_pool",
        entrypoint: PerpPoolEntrypoint::vm,
    }
}

type Entry = fn(&Pubkey, &[AccountInfo], &[u8]) -> ProgramResult;

fn process_native(
    invoke_context: &mut InvokeContext,
    entry: Entry,
) -> Result<(), InstructionError> {
    set_invoke_context(invoke_context);

    let transaction_context = &invoke_context.transaction_context;
    let instruction_context = transaction_context.get_current_instruction_context()?;
    let instruction_data = instruction_context.get_instruction_data().to_vec();
    let indices: HashSet<IndexOfAccount> =
        (0..instruction_context.get_number_of_instruction_accounts()).collect();

    // Serialise with the SBF ABI (copying account data: there is no VM to map it), then let the
    // program's own `deserialize` build its AccountInfos over that buffer, as on chain.
    let (mut parameter_bytes, _regions, _meta) =
        serialize_parameters(transaction_context, instruction_context, true)?;
    // SAFETY: the buffer was produced by `serialize_parameters` for this instruction.
    let (program_id, account_infos, _input) =
        unsafe { deserialize(parameter_bytes.as_slice_mut().as_mut_ptr()) };
    let program_id = *program_id;

    // A panic in SBF aborts the program with "ProgramFailedToComplete"; natively it would unwind
    // through the runtime and poison the node, so catch it and fail the instruction the same way.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        entry(&program_id, &account_infos, &instruction_data)
    }));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(err)) => return Err(InstructionError::from(u64::from(err))),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            stable_log::program_log(
                &invoke_context.get_log_collector(),
                &format!("panicked at '{message}'"),
            );
            return Err(InstructionError::ProgramFailedToComplete);
        }
    }

    // Write the program's changes back. The setters enforce the runtime's rules (writable,
    // owner-only data changes, no lamports created), so a native program cannot do what an SBF
    // one could not.
    let transaction_context = &invoke_context.transaction_context;
    let instruction_context = transaction_context.get_current_instruction_context()?;
    for index in indices {
        let mut account =
            instruction_context.try_borrow_instruction_account(transaction_context, index)?;
        let Some(info) = account_infos
            .iter()
            .find(|info| info.key == account.get_key())
        else {
            continue;
        };
        if account.get_lamports() != info.lamports() {
            account.set_lamports(info.lamports())?;
        }
        let data = info
            .try_borrow_data()
            .map_err(|_| InstructionError::AccountBorrowFailed)?;
        if account.get_data() != &data[..] {
            account.set_data_from_slice(&data)?;
        }
        if account.get_owner() != info.owner {
            account.set_owner(info.owner.as_ref())?;
        }
    }

    let (return_program, return_data) = transaction_context.get_return_data();
    if *return_program == program_id && !return_data.is_empty() {
        stable_log::program_return(
            &invoke_context.get_log_collector(),
            &program_id,
            return_data,
        );
    }
    Ok(())
}

fn get_sysvar<T: Sysvar + Clone>(
    sysvar: Result<Arc<T>, InstructionError>,
    var_addr: *mut u8,
) -> u64 {
    match sysvar {
        Ok(value) => {
            // SAFETY: the program passes a pointer to a `T` it owns (the sysvar `get` contract).
            unsafe { std::ptr::write(var_addr as *mut T, T::clone(&value)) };
            SUCCESS
        }
        Err(_) => UNSUPPORTED_SYSVAR,
    }
}

struct NativeStubs;

impl solana_sdk::program_stubs::SyscallStubs for NativeStubs {
    fn sol_log(&self, message: &str) {
        stable_log::program_log(&invoke_context().get_log_collector(), message);
    }

    fn sol_log_data(&self, fields: &[&[u8]]) {
        stable_log::program_data(&invoke_context().get_log_collector(), fields);
    }

    fn sol_log_compute_units(&self) {
        let ctx = invoke_context();
        ic_msg!(
            ctx,
            "Program consumption: {} units remaining",
            ctx.get_remaining()
        );
    }

    fn sol_remaining_compute_units(&self) -> u64 {
        invoke_context().get_remaining()
    }

    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        cpi(instruction, account_infos, signers_seeds)
    }

    fn sol_get_clock_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar::<Clock>(invoke_context().get_sysvar_cache().get_clock(), var_addr)
    }

    fn sol_get_epoch_schedule_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar::<EpochSchedule>(
            invoke_context().get_sysvar_cache().get_epoch_schedule(),
            var_addr,
        )
    }

    fn sol_get_epoch_rewards_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar::<EpochRewards>(
            invoke_context().get_sysvar_cache().get_epoch_rewards(),
            var_addr,
        )
    }

    #[allow(deprecated)]
    fn sol_get_fees_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar(invoke_context().get_sysvar_cache().get_fees(), var_addr)
    }

    fn sol_get_rent_sysvar(&self, var_addr: *mut u8) -> u64 {
        get_sysvar::<Rent>(invoke_context().get_sysvar_cache().get_rent(), var_addr)
    }

    fn sol_get_last_restart_slot(&self, var_addr: *mut u8) -> u64 {
        get_sysvar::<LastRestartSlot>(
            invoke_context().get_sysvar_cache().get_last_restart_slot(),
            var_addr,
        )
    }

    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        let (program_id, data) = invoke_context().transaction_context.get_return_data();
        Some((*program_id, data.to_vec()))
    }

    fn sol_set_return_data(&self, data: &[u8]) {
        let ctx = invoke_context();
        let tc = &mut ctx.transaction_context;
        let caller = tc
            .get_current_instruction_context()
            .and_then(|ic| ic.get_last_program_key(tc).copied());
        if let Ok(caller) = caller {
            // Fails only for data above MAX_RETURN_DATA, which Anchor never produces for our views.
            let _ = tc.set_return_data(caller, data.to_vec());
        }
    }

    fn sol_get_stack_height(&self) -> u64 {
        invoke_context().get_stack_height() as u64
    }
}

fn to_program_error(err: InstructionError) -> ProgramError {
    ProgramError::try_from(err).unwrap_or(ProgramError::Custom(u32::MAX))
}

/// Cross-program invocation from native code: the same steps the runtime's CPI syscall takes —
/// check signer seeds, copy the caller's view of the accounts into the transaction, run the
/// callee through the invoke context (so SPL Token runs as its real SBF binary), copy back.
fn cpi(
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> ProgramResult {
    let instruction = StableInstruction::from(instruction.clone());
    let ctx = invoke_context();
    let caller = {
        let tc = &ctx.transaction_context;
        *tc.get_current_instruction_context()
            .and_then(|ic| ic.get_last_program_key(tc))
            .map_err(to_program_error)?
    };
    let signers = signers_seeds
        .iter()
        .map(|seeds| Pubkey::create_program_address(seeds, &caller))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ProgramError::InvalidSeeds)?;

    let (instruction_accounts, program_indices) = ctx
        .prepare_instruction(&instruction, &signers)
        .map_err(to_program_error)?;

    let mut writable = Vec::with_capacity(instruction_accounts.len());
    {
        let tc = &ctx.transaction_context;
        let ic = tc
            .get_current_instruction_context()
            .map_err(to_program_error)?;
        for ia in instruction_accounts.iter() {
            let key = tc
                .get_key_of_account_at_index(ia.index_in_transaction)
                .map_err(to_program_error)?;
            let info_index = account_infos
                .iter()
                .position(|info| info.key == key)
                .ok_or(ProgramError::NotEnoughAccountKeys)?;
            let info = &account_infos[info_index];
            let mut account = ic
                .try_borrow_instruction_account(tc, ia.index_in_caller)
                .map_err(to_program_error)?;
            if account.get_lamports() != info.lamports() {
                account
                    .set_lamports(info.lamports())
                    .map_err(to_program_error)?;
            }
            let data = info.try_borrow_data()?;
            if account.get_data() != &data[..] {
                account
                    .set_data_from_slice(&data)
                    .map_err(to_program_error)?;
            }
            if account.get_owner() != info.owner {
                account
                    .set_owner(info.owner.as_ref())
                    .map_err(to_program_error)?;
            }
            if ia.is_writable {
                writable.push((ia.index_in_caller, info_index));
            }
        }
    }

    let mut units = 0;
    ctx.process_instruction(
        &instruction.data,
        &instruction_accounts,
        &program_indices,
        &mut units,
        &mut ExecuteTimings::default(),
    )
    .map_err(to_program_error)?;

    // The callee may have been another native instruction that re-pointed the thread-local.
    set_invoke_context(ctx);
    let tc = &ctx.transaction_context;
    let ic = tc
        .get_current_instruction_context()
        .map_err(to_program_error)?;
    for (index_in_caller, info_index) in writable {
        let account = ic
            .try_borrow_instruction_account(tc, index_in_caller)
            .map_err(to_program_error)?;
        let info = &account_infos[info_index];
        **info.try_borrow_mut_lamports()? = account.get_lamports();
        if info.owner != account.get_owner() {
            // The callee (system program `assign`) changed it: the caller must see it.
            info.assign(account.get_owner());
        }
        let new_data = account.get_data();
        if info.data_len() != new_data.len() {
            info.realloc(new_data.len(), false)?;
        }
        info.try_borrow_mut_data()?.copy_from_slice(new_data);
    }
    Ok(())
}
