"""Rewrite the command data of installer cases from what the code builds now.

    PYTHONPATH=. python -m tests.unit.regen site git_repository

Review the diff it makes: the data files are the record of what reaches a server.
"""

from __future__ import annotations

import json
import os
import sys


def main(names: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokeforge.settings")
    import django

    django.setup()
    from brokeforge.servers.models import Server
    from tests.unit.helpers import DATA, describe
    from tests.unit.installer_cases import CASES, build

    for name in names:
        out = {}
        for case in CASES[name]:
            server = Server(name="web-1", public_ip="203.0.113.10", ssh_port=22)
            steps = describe(build(server, name, case))
            out[case] = [step.split("\n") if "\n" in step else step for step in steps]
        (DATA / f"{name}.json").write_text(json.dumps(out, indent=2) + "\n")
        print("wrote", DATA / f"{name}.json")


if __name__ == "__main__":
    main(sys.argv[1:])
