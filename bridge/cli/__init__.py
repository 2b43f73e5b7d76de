"""The relic-twin subcommands that need no Panda3D (one module per command)."""
