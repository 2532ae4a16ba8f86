"""Monte Carlo stress simulation of a pool on the program's own math (docs/design.md "Stress simulator").

params (what a run needs, TOML), rules (the open and the borrow rate: the one place to plug another
fee rule), book (the trader population opened at t0 with the ports), paths (GBM with jumps, CSV
bootstrap), exact (one path step by step on the ports), vectorised (all paths, identical amounts),
simulate (batches, the check of one engine against the other) and report (metrics, sensitivity),
charts (PNG). Pure: nothing here reads the chain or prints; the CLI (`perp-pool stress`) does.
"""
