"""BrokeForge: a self-hosted control panel for the Linux servers you rent."""
