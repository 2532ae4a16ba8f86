"""Integer-exact ports of the program's pure math (programs/perp_pool/src/math).

Same inputs, same outputs, same errors: tests/test_math_vectors.py checks them on the vectors
the Rust tests check, and the integration tests check them against on-chain results.
"""
