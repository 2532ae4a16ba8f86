"""perp_pool: Python client, keepers and tools for the perp_pool Solana program."""

import copyreg

from solders.pubkey import Pubkey

# anchorpy 0.21 encodes instruction arguments with `dataclasses.asdict`, which deep-copies every
# field; solders 0.26's Pubkey cannot be pickled, so any argument holding a Pubkey (OracleParams)
# fails to encode. Teach `copy` how to rebuild a Pubkey from its bytes.
copyreg.pickle(Pubkey, lambda key: (Pubkey.from_bytes, (bytes(key),)))

__version__ = "0.1.0"
