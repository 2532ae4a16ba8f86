"""`python -m perp_pool.cli` runs the `perp-pool` command line."""

from perp_pool.cli import main

if __name__ == "__main__":
    main()
