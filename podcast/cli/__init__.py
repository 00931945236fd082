"""The `podcast` command: `main` is the console script, the other modules its subcommands."""
