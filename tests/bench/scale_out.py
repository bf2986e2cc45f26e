"""Scale-out: one `board serve` process against two, on PostgreSQL + Redis, same load.

    .venv/bin/python tests/bench/scale_out.py [--viewers 5000 10000 15000] [--repeat 2]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432] [--redis redis://127.0.0.1:6379/0]

For each audience size, each repeat and each process count (1, 2) it makes a fresh database,
starts `board serve --workers N` with BOARD_REDIS_URL set, runs `board bench` (50 notes of 300 B
at 10/s) and prints the median p99. Viewers spread over the processes as the kernel hands out
connections; notes are posted to whichever process accepts them, and Redis carries them across.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import uuid

import psycopg
import sqlalchemy as sa
from compare import ADMIN, BIN, NO_LIMITS, bench, start, stop  # this folder is on sys.path when run


def fresh_database(server_url: str) -> tuple[str, str]:
    name = f"scale_{uuid.uuid4().hex[:8]}"
    libpq = sa.make_url(server_url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    libpq = sa.make_url(server_url).set(drivername="postgresql", database="postgres")
    with psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(viewers: int, workers: int, postgres: str, redis: str) -> dict[str, float]:
    name, url = fresh_database(postgres)
    try:
        with tempfile.TemporaryDirectory() as data:
            env = {
                **os.environ,
                **NO_LIMITS,
                "BOARD_DATA_DIR": data,
                "BOARD_ADMIN_TOKEN": ADMIN,
                "BOARD_DATABASE_URL": url,
                "BOARD_REDIS_URL": redis,
                **NO_LIMITS,
            }
            server = start(
                [str(BIN / "board"), "serve", "--port", "8768", "--workers", str(workers)], env
            )
            try:
                return bench("http://127.0.0.1:8768", viewers, server.pid, ["--admin-token", ADMIN])
            finally:
                stop(server)
    finally:
        drop_database(postgres, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, nargs="+", default=[5000, 10000, 15000])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print("| viewers | 1 process p99 | 2 processes p99 | 1 process p50 | 2 processes p50 | lost |")
    print("|---|---|---|---|---|---|")
    for viewers in args.viewers:
        one = [run(viewers, 1, args.postgres, args.redis) for _ in range(args.repeat)]
        two = [run(viewers, 2, args.postgres, args.redis) for _ in range(args.repeat)]
        lost = sum(r["lost"] for r in one + two)
        print(
            f"| {viewers:,} | {statistics.median(r['p99'] for r in one):.0f} ms "
            f"| {statistics.median(r['p99'] for r in two):.0f} ms "
            f"| {statistics.median(r['p50'] for r in one):.0f} ms "
            f"| {statistics.median(r['p50'] for r in two):.0f} ms | {lost} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
