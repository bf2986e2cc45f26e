"""`board bench`: which scenario the options ask for, and its parameters; the load generators
themselves are board/bench/, imported when the command runs (board/cli/common.py says why)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from board.bench.parameters import Parameters


@click.command()
@click.option(
    "--url", default="http://127.0.0.1:8000", show_default=True, help="The server to load."
)
@click.option("--ws-url", help="Where viewers connect, when not at --url.")
@click.option("--slug", help="Use this board instead of creating one (needs no admin token).")
@click.option(
    "--admin-token", envvar="BOARD_ADMIN_TOKEN", help="Creates the board [BOARD_ADMIN_TOKEN]."
)
@click.option("--viewers", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--notes", default=50, show_default=True, type=click.IntRange(1, 1_000_000))
@click.option(
    "--rate",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 100_000),
    help="Notes per second.",
)
@click.option(
    "--size",
    default=300,
    show_default=True,
    type=click.IntRange(40, 2000),
    help="Note body in characters.",
)
@click.option(
    "--ingest",
    "posters",
    type=click.IntRange(1, 512),
    help="Post from this many clients as fast as they can (notes/s accepted) instead of at --rate.",
)
@click.option(
    "--arrivals",
    type=click.IntRange(1, 1_000_000),
    help="Arrivals scenario: this many first visits to the board page (with --over).",
)
@click.option(
    "--over", type=click.FloatRange(0, min_open=True), help="Seconds the arrivals spread over."
)
@click.option("--poisson", is_flag=True, help="Arrivals as a Poisson process, not evenly spread.")
@click.option(
    "--prefill",
    default=0,
    show_default=True,
    type=click.IntRange(0, 1_000_000),
    help="Notes on the board before the arrivals (posted over HTTP; limits off).",
)
@click.option(
    "--quiet",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds of notes at --rate before the arrivals start (the viewers' baseline).",
)
@click.option(
    "--repeat-visits",
    default=50,
    show_default=True,
    type=click.IntRange(0),
    help="How many arrivals visit again with their HTTP cache, after the arrivals.",
)
@click.option(
    "--leave", is_flag=True, help="Arrivals close their WebSocket once live (default: they stay)."
)
@click.option("--catalogue-url", help="Where the page gets the SDG catalogue (default: found).")
@click.option(
    "--burst",
    type=click.IntRange(1, 1_000_000),
    help="Burst scenario: this many participants post one note each (with --within).",
)
@click.option(
    "--within", type=click.FloatRange(0, min_open=True), help="Seconds the burst spreads over."
)
@click.option(
    "--restart",
    is_flag=True,
    help="Restart scenario: start the server, seat viewers, SIGTERM it, start it again.",
)
@click.option(
    "--server-cmd",
    help="Shell command that starts the server for --restart [default: board serve --port P].",
)
@click.option(
    "--suggest",
    "suggest_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Suggestions scenario (no server): top-1 and top-3 accuracy by language and the time "
    "per suggestion on a labelled JSON Lines file (tests/data/suggest/tune.jsonl).",
)
@click.option(
    "--misses", is_flag=True, help="With --suggest: also list the notes it got wrong first."
)
@click.option("--server-pid", type=int, help="Report this local server process's CPU and RSS.")
@click.option("--timeout", default=60.0, show_default=True, help="Deadline of each phase, seconds.")
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Also write the figures to this file.",
)
def bench(**options: Any) -> None:
    """Load a server: seat viewers, post notes, measure every delivery.

    Scenarios: fan-out (the default), --ingest, --arrivals, --burst, --restart (see
    docs/performance.md); --suggest FILE measures the SDG suggestions (docs/suggestions.md).
    """
    import dataclasses
    import json

    scenario = _bench_scenario(click.get_current_context())
    if scenario == "suggest":
        _bench_suggest(options)
        return

    from board import bench as load
    from board.cli.server import raise_fd_limit

    viewers, arrivals = options["viewers"], options["arrivals"]
    sockets = viewers + (arrivals or 0) * (not options["leave"]) + 100
    limit = raise_fd_limit()
    if sockets > limit:
        raise click.ClickException(
            f"{viewers} viewers need more open files than the limit "
            f"({limit}): raise it with `ulimit -n`"
            if scenario != "arrivals"
            else f"{viewers} viewers and {arrivals} arrivals that stay need more open files than "
            f"the limit ({limit}): raise it with `ulimit -n`, or pass --leave"
        )
    try:
        report = load.run(load.scenario(_bench_parameters(scenario, options)))
    except (OSError, RuntimeError, TimeoutError) as exc:
        raise click.ClickException(f"bench failed: {exc or type(exc).__name__}") from None
    click.echo("\n".join(report.lines()))
    if options["json_file"]:
        with open(options["json_file"], "w", encoding="utf-8") as out:
            json.dump(dataclasses.asdict(report), out, indent=2)


def _bench_suggest(options: dict[str, Any]) -> None:
    """Accuracy and timing of the SDG suggestions on a labelled file, in this process."""
    import dataclasses
    import json
    from pathlib import Path

    from board.bench.suggest import evaluate

    try:
        report = evaluate(Path(options["suggest_file"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise click.ClickException(f"cannot read {options['suggest_file']}: {exc}") from None
    click.echo("\n".join(report.lines(show_misses=options["misses"])))
    if options["json_file"]:
        with open(options["json_file"], "w", encoding="utf-8") as out:
            json.dump(dataclasses.asdict(report), out, indent=2, ensure_ascii=False)


def _bench_parameters(scenario: str, options: dict[str, Any]) -> Parameters:
    """The scenario's parameters, from the options of the same names."""
    import dataclasses

    from board.bench import parameters

    kind: type[Parameters] = {
        "arrivals": parameters.ArrivalsParameters,
        "burst": parameters.BurstParameters,
        "restart": parameters.RestartParameters,
    }.get(scenario, parameters.FanoutParameters)
    given = {**options, "posters": options["posters"] or 1}  # no --ingest: the fan-out has one
    return kind(**{field.name: given[field.name] for field in dataclasses.fields(kind)})


# Options that belong to one scenario only; giving one elsewhere is a usage error (exit 2).
_BENCH_ONLY = {
    "arrivals": ["over", "poisson", "prefill", "quiet", "repeat_visits", "leave", "catalogue_url"],
    "burst": ["within"],
    "restart": ["server_cmd"],
    "ingest": [],
    "suggest": ["misses"],
}
# Options a scenario has no use for.
_BENCH_UNUSED = {
    "arrivals": ["notes", "posters"],
    "burst": ["notes", "rate", "posters"],
    "restart": ["posters", "server_pid", "ws_url"],
    # Runs in this process, with no server (--admin-token may come from the environment).
    "suggest": ["url", "ws_url", "slug", "viewers", "notes", "rate", "size", "server_pid"],
}
# Options named otherwise on the command line.
_FLAGS = {"posters": "ingest", "suggest_file": "suggest"}


def _bench_scenario(ctx: click.Context) -> str:
    """Which scenario the options ask for, or a usage error that says what does not fit."""
    from click.core import ParameterSource

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)

    def flag(name: str) -> str:
        return "--" + _FLAGS.get(name, name.replace("_", "-"))

    chosen = [
        name for name in ("arrivals", "burst", "restart", "posters", "suggest_file") if given(name)
    ]
    if len(chosen) > 1:
        raise click.UsageError(
            f"{' and '.join(map(flag, chosen))} are different scenarios: pick one"
        )
    scenario = _FLAGS.get(chosen[0], chosen[0]) if chosen else "fanout"
    for owner, names in _BENCH_ONLY.items():
        for name in names:
            if owner != scenario and given(name):
                raise click.UsageError(f"{flag(name)} only applies to --{owner}")
    for name in _BENCH_UNUSED.get(scenario, []):
        if given(name):
            raise click.UsageError(f"--{scenario} does not use {flag(name)}")
    if scenario == "arrivals" and not given("over"):
        raise click.UsageError("--arrivals needs --over SECONDS (how long they take to arrive)")
    if scenario == "burst" and not given("within"):
        raise click.UsageError("--burst needs --within SECONDS (how long the posts take)")
    return scenario
