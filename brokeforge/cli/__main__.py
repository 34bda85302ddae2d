"""`python -m brokeforge.cli`: how `brokeforge serve` starts its worker processes."""

from brokeforge.cli.main import cli

cli(prog_name="brokeforge")
