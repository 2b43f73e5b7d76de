"""The command-line entry points of the headless programs (``relic-twin COMMAND``)."""
