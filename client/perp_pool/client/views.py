"""`Views`: the program's simulate-only views and the deposit / withdrawal quotes, decoded."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from solana.rpc.commitment import Confirmed
from solders.instruction import Instruction
from solders.pubkey import Pubkey

from perp_pool.client.builders import InstructionBuilders
from perp_pool.client.idl_types import side_of, side_value
from perp_pool.errors import TransactionFailed
from perp_pool.math.pricing import Side
from perp_pool.math.tranche import Tranche
from perp_pool.transport import SimulationResult, decode_return


class Views(InstructionBuilders):
    """Views (`get_*`) simulate an instruction and decode its return data; quotes simulate a
    deposit or withdrawal and return its event. Nothing lands."""

    # ---- quotes ------------------------------------------------------------------------------

    async def quote_add_liquidity(self, pool: Pubkey, custody: Pubkey, *, amount_in: int, funding_account: Pubkey,
                                  lp_token_account: Pubkey, before: Sequence[Instruction] = (),
                                  tranche: Tranche = Tranche.JUNIOR) -> Any:
        """What depositing `amount_in` would do now: the `LiquidityAdded` event of the deposit
        simulated with no minimum (`lp_amount_out`, `dead_lp_amount`, `fee_amount`, `unlock_time`,
        ...). `before`: instructions the real transaction runs first (e.g. creating the LP token
        account). Raises what the deposit would raise."""
        ix = await self.build_add_liquidity_ix(pool, custody, amount_in=amount_in, min_lp_amount_out=0,
                                               funding_account=funding_account, lp_token_account=lp_token_account,
                                               tranche=tranche)
        return self._simulated_event(await self.transport.simulate([*before, ix]), "LiquidityAdded")

    async def quote_remove_liquidity(self, pool: Pubkey, custody: Pubkey, *, lp_amount_in: int,
                                     receiving_account: Pubkey, lp_token_account: Pubkey,
                                     before: Sequence[Instruction] = (), tranche: Tranche = Tranche.JUNIOR) -> Any:
        """What redeeming `lp_amount_in` LP would pay now: the `LiquidityRemoved` event of the
        withdrawal simulated with no minimum (`amount_out`, `fee_amount`, ...). Raises what the
        withdrawal would raise (e.g. `LiquidityCooldownActive`)."""
        ix = await self.build_remove_liquidity_ix(pool, custody, lp_amount_in=lp_amount_in, min_amount_out=0,
                                                  receiving_account=receiving_account,
                                                  lp_token_account=lp_token_account, tranche=tranche)
        return self._simulated_event(await self.transport.simulate([*before, ix]), "LiquidityRemoved")

    @staticmethod
    def _simulated_event(sim: Any, name: str) -> Any:
        found = [e for e in sim.events if e.name == name]
        if len(found) != 1:
            raise TransactionFailed(f"the simulation emitted {len(found)} {name} events", logs=sim.logs)
        return found[0].data

    # ---- views -------------------------------------------------------------------------------

    async def get_assets_under_management(self, pool: Pubkey) -> int:
        """Pool AUM in USD (USD_DECIMALS), valued at min prices, as the program computes it."""
        sim = await self._simulate_view(await self.build_get_assets_under_management_ix(pool))
        return decode_return(sim.return_data, "u128")

    async def get_lp_token_price(self, pool: Pubkey, tranche: Tranche = Tranche.JUNIOR) -> int:
        """USD (USD_DECIMALS) per whole LP token of `tranche` (the pool's only LP when it has no
        tranches), as the program computes it: its NAV at min prices over its supply."""
        sim = await self._simulate_view(await self.build_get_lp_token_price_ix(pool, tranche))
        return decode_return(sim.return_data, "u64")

    async def get_tranche_state(self, pool: Pubkey, *, trader_profit_usd: int = 0, bad_debt_usd: int = 0) -> Any:
        """The pool's tranches now (`TrancheState`: AUM, senior index and claim, NAVs at min and
        max prices, LP prices, coverage, insurance fund) and, in `.stress`, what a trader profit of
        `trader_profit_usd` and a bad debt of `bad_debt_usd` would leave each (USD_DECIMALS)."""
        ix = await self.build_get_tranche_state_ix(pool, trader_profit_usd=trader_profit_usd,
                                                   bad_debt_usd=bad_debt_usd)
        return self._decode("TrancheState", (await self._simulate_view(ix)).return_data)

    async def _view(self, name: str, accounts: dict[str, Pubkey], *args: Any) -> bytes | None:
        return (await self._simulate_view(self._ix(name, accounts, *args))).return_data

    async def _simulate_view(self, ix: Instruction) -> SimulationResult:
        """Views are simulated with this wallet paying; a wallet that does not exist on chain (a
        read-only key with no SOL) borrows the admin's address as fee payer, unsigned, so anyone
        can ask the program."""
        if self._wallet_funded is None:
            balance = (await self.connection.get_balance(self.wallet.pubkey(), Confirmed)).value
            self._wallet_funded = balance > 0
        if self._wallet_funded:
            return await self.transport.simulate([ix])
        return await self.transport.simulate([ix], fee_payer=(await self.fetch_perpetuals()).admin)

    async def _position_view_accounts(self, position: Pubkey, name: str) -> dict[str, Pubkey]:
        p = await self.fetch_position(position)
        accounts = await self._trade_accounts(p.pool, p.custody, p.collateral_custody, side_of(p.side), p.owner)
        accounts["position"] = position
        return self._only(name, accounts, None)

    def _decode(self, type_name: str, data: bytes | None) -> Any:
        if data is None:
            raise TransactionFailed(f"the view returned no {type_name}")
        return self.program.coder.types.decode(type_name, data)

    async def get_entry_price_and_fee(self, pool: Pubkey, custody: Pubkey, collateral_custody: Pubkey, side: Side, *,
                                      collateral_amount: int, size_usd: int) -> Any:
        """What opening would cost now: entry price, fee (USD and tokens), liquidation price."""
        accounts = self._only("getEntryPriceAndFee",
                              await self._trade_accounts(pool, custody, collateral_custody, side, None), None)
        params = self._type("GetEntryPriceAndFeeParams", collateral_amount=collateral_amount, size_usd=size_usd,
                            side=side_value(side))
        return self._decode("NewPositionPricesAndFee", await self._view("get_entry_price_and_fee", accounts, params))

    async def get_exit_price_and_fee(self, position: Pubkey) -> Any:
        accounts = await self._position_view_accounts(position, "getExitPriceAndFee")
        return self._decode("PriceAndFee", await self._view("get_exit_price_and_fee", accounts))

    async def get_pnl(self, position: Pubkey) -> Any:
        """`profit_usd`, `loss_usd` if the position closed now (profit capped at its locked amount)."""
        accounts = await self._position_view_accounts(position, "getPnl")
        return self._decode("ProfitAndLoss", await self._view("get_pnl", accounts))

    async def get_liquidation_price(self, position: Pubkey) -> int:
        """Oracle price (PRICE_DECIMALS) past which the position is liquidatable."""
        accounts = await self._position_view_accounts(position, "getLiquidationPrice")
        return decode_return(await self._view("get_liquidation_price", accounts), "u64")

    async def get_liquidation_state(self, position: Pubkey, *, known: dict[str, Pubkey] | None = None) -> bool:
        """True if `liquidate` would succeed now. `known`: the position's trade accounts when the
        caller has them (a keeper's scan), so nothing is fetched first."""
        if known is not None:
            accounts = self._only("getLiquidationState", {**known, "position": position}, None)
        else:
            accounts = await self._position_view_accounts(position, "getLiquidationState")
        data = await self._view("get_liquidation_state", accounts)
        if data is None or len(data) != 1:
            raise TransactionFailed("get_liquidation_state returned no bool")
        return data == b"\x01"

    async def get_oracle_price(self, pool: Pubkey, custody: Pubkey) -> Any:
        c = await self.fetch_custody(custody)
        accounts = {"perpetuals": self.perpetuals_address, "pool": pool, "custody": custody,
                    "custody_oracle_account": c.oracle.oracle_account}
        return self._decode("OraclePrices", await self._view("get_oracle_price", accounts))
