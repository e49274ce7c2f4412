"""CLI subcommands. Each module exposes `register(subparsers)`; pulse/cli.py lists them."""
