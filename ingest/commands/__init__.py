"""CLI subcommands. Each module exposes `register(subparsers)`; ingest/cli.py lists them."""
