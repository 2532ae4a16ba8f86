"""Keepers: liquidation, oracle pushing, AUM/borrow-rate updates; each importable and run by the CLI."""
