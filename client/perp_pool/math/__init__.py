"""Integer-exact ports of the program's pure math (programs/perp_pool/src/math).

Same inputs, same outputs, same errors (the program's named errors, raised as perp_pool.errors
classes): tests/test_math.py and tests/test_math_perps.py check them on every case of the vectors
the Rust tests check (tests/vectors/liquidity.json, tests/vectors/perps.json), and the integration
tests check them against on-chain results.

fixed (safe_math.rs), oracle, pricing, fees, borrow, pnl, liquidity, trade (open / increase /
decrease / close / liquidation / remove collateral) mirror the Rust modules of the same name;
health is `Position::valuation` plus the health predicate, what keepers and the CLI evaluate.
"""
