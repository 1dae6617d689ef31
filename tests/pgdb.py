"""Create or drop a throwaway PostgreSQL database: `python -m tests.pgdb create|drop ADMIN_URL NAME`."""

from __future__ import annotations

import re
import sys

import psycopg


def main(argv: list[str]) -> int:
    action, admin_url, name = argv
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        print(f"refusing odd database name {name!r}", file=sys.stderr)
        return 2
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if action == "create":
            connection.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
            # A throwaway database: commits need not wait for the disk (see tests/conftest.py).
            connection.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        elif action == "drop":
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"unknown action {action!r}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
