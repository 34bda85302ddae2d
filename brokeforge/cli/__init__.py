"""The `brokeforge` command line: start the panel, manage servers and jobs, rotate keys."""
