"""The figures each scenario reports: dataclasses written as they are by `--json`, and the lines
printed for a person. Latencies are in ms, times in s."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field


def percentiles(
    values: list[float], which: tuple[str, ...] = ("p50", "p90", "p99", "max")
) -> dict[str, float]:
    """p50 (the median), p90, p99 (the value at that rank) and max of sorted `values`."""
    if not values:
        return {}
    ranks = {"p90": 0.90, "p99": 0.99}
    out: dict[str, float] = {}
    for name in which:
        if name == "p50":
            out[name] = statistics.median(values)
        elif name == "max":
            out[name] = values[-1]
        else:
            out[name] = values[int(len(values) * ranks[name]) - 1]
    return out


def figures(name: str, values: dict[str, float], unit: str = "ms") -> str:
    return f"{name} {unit}: " + ", ".join(f"{k} {v:.1f}" for k, v in values.items())


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int, key: str = "VmRSS") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


class CpuClock:
    """A local process's CPU use between two moments, in % of one core."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        self.mark()

    def mark(self) -> None:
        self.cpu = cpu_seconds(self.pid) if self.pid else 0.0
        self.wall = time.perf_counter()

    def percent(self) -> float | None:
        if not self.pid:
            return None
        return 100 * (cpu_seconds(self.pid) - self.cpu) / (time.perf_counter() - self.wall)


def server_line(cpu: str, rss: float | None, peak: float | None) -> list[str]:
    if rss is None:
        return []
    return [f"server: CPU {cpu}, RSS {rss:.0f} MiB (peak {peak or 0:.0f} MiB)"]


@dataclass
class FanoutReport:
    """Today's scenario (fields in the order `--json` has always written them)."""

    url: str
    viewers: int
    notes: int
    rate: float
    size: int
    posters: int = 1
    seated: int = 0
    seat_seconds: float = 0.0
    deliveries: int = 0
    lost: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    notes_per_s: float = 0.0
    server_cpu_percent: float | None = None
    server_rss_mib: float | None = None
    server_peak_rss_mib: float | None = None

    def lines(self) -> list[str]:
        out = [
            f"viewers seated: {self.seated}/{self.viewers} in {self.seat_seconds:.2f} s",
            f"notes: {self.notes} of {self.size} B, "
            + (f"at {self.rate}/s" if self.posters == 1 else f"from {self.posters} posters")
            + f", accepted {self.notes_per_s:.1f}/s",
            f"deliveries: {self.deliveries}, lost: {self.lost}",
        ]
        if self.latency_ms:
            out.append(figures("latency", self.latency_ms))
        if self.server_cpu_percent is not None:
            cpu = f"{self.server_cpu_percent:.0f}%"
            out += server_line(cpu, self.server_rss_mib, self.server_peak_rss_mib)
        return out


def reasons(counted: dict[str, int]) -> str:
    return ", ".join(f"{why} ×{n}" for why, n in sorted(counted.items(), key=lambda kv: -kv[1]))


def kib(count: float) -> str:
    return f"{count / 1024:.1f} KiB"


@dataclass
class VisitFigures:
    """Means over visits that went live: requests sent, HTTP and WebSocket bytes received."""

    visits: int = 0
    live: int = 0
    requests: float = 0.0
    bytes: float = 0.0
    ws_bytes: float = 0.0
    time_to_live_ms: dict[str, float] = field(default_factory=dict)

    def line(self, name: str) -> str:
        ttl = ", ".join(f"{k} {v:.0f}" for k, v in self.time_to_live_ms.items())
        return (
            f"{name} ({self.live}/{self.visits} live): {self.requests:.1f} requests, "
            f"{kib(self.bytes)} (+ {kib(self.ws_bytes)} WebSocket to live); "
            f"time to live ms: {ttl or '-'}"
        )


@dataclass
class ArrivalsReport:
    url: str
    arrivals: int
    over: float
    poisson: bool
    prefill: int
    viewers: int
    rate: float
    quiet: float
    stay: bool
    scenario: str = "arrivals"
    slug: str = ""
    assets: list[str] = field(default_factory=list)
    catalogue: str = ""
    seated: int = 0
    seat_seconds: float = 0.0
    live: int = 0
    failed: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    resets: int = 0
    time_to_live_ms: dict[str, float] = field(default_factory=dict)
    # p50 and p99 of each step of a first visit (page, assets, …, socket): where the time goes.
    steps_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    start_lag_ms: dict[str, float] = field(default_factory=dict)
    first_visit: VisitFigures = field(default_factory=VisitFigures)
    repeat_visit: VisitFigures = field(default_factory=VisitFigures)
    notes_before: int = 0
    notes_during: int = 0
    fanout_before_ms: dict[str, float] = field(default_factory=dict)
    fanout_during_ms: dict[str, float] = field(default_factory=dict)
    fanout_p99_ratio: float | None = None
    lost: int = 0
    post_failures: dict[str, int] = field(default_factory=dict)
    server_cpu_before_percent: float | None = None
    server_cpu_during_percent: float | None = None
    server_rss_mib: float | None = None
    server_peak_rss_mib: float | None = None

    def set_ratio(self) -> None:
        before, during = self.fanout_before_ms.get("p99"), self.fanout_during_ms.get("p99")
        self.fanout_p99_ratio = during / before if before and during is not None else None

    def measure_server(self, pid: int | None) -> None:
        if pid:
            self.server_rss_mib = rss_mib(pid)
            self.server_peak_rss_mib = rss_mib(pid, "VmHWM")

    def lines(self) -> list[str]:
        spread = "a Poisson process" if self.poisson else "evenly"
        out = [
            f"board {self.slug}: {self.prefill} notes prefilled; the page loads "
            f"{len(self.assets)} assets, the catalogue from {self.catalogue}",
            f"viewers seated: {self.seated}/{self.viewers} in {self.seat_seconds:.2f} s",
            f"arrivals: {self.arrivals} over {self.over:g} s ({spread}, "
            + ("staying" if self.stay else "leaving once live")
            + f"): live {self.live}, failed {self.failed}"
            + (f" ({reasons(self.failures)})" if self.failures else "")
            + (f", {self.resets} reset" if self.resets else ""),
        ]
        if self.time_to_live_ms:
            out.append(figures("time to live", self.time_to_live_ms))
        for step, values in self.steps_ms.items():
            out.append(figures(f"  {step}", values))
        if self.start_lag_ms:
            out.append(figures("arrivals started late by", self.start_lag_ms))
        out.append(self.first_visit.line("first visit"))
        if self.repeat_visit.visits:
            out.append(self.repeat_visit.line("repeat visit"))
        out.append(figures(f"fan-out before ({self.notes_before} notes)", self.fanout_before_ms))
        out.append(figures(f"fan-out during ({self.notes_during} notes)", self.fanout_during_ms))
        ratio = self.fanout_p99_ratio
        out.append(f"fan-out p99 during / before: {ratio:.2f}×, " if ratio is not None else "")
        out[-1] += f"lost: {self.lost}" + (
            f", posts failed: {reasons(self.post_failures)}" if self.post_failures else ""
        )
        if self.server_cpu_before_percent is not None:
            cpu = (
                f"{self.server_cpu_before_percent:.0f}% before, "
                f"{self.server_cpu_during_percent or 0:.0f}% during"
            )
            out += server_line(cpu, self.server_rss_mib, self.server_peak_rss_mib)
        return out


@dataclass
class ServerFigures:
    """With --server-pid: its CPU over the measured phase (% of one core), its RSS at the end."""

    cpu_percent: float | None = None
    rss_mib: float | None = None
    peak_rss_mib: float | None = None

    def measure(self, clock: CpuClock) -> None:
        if clock.pid:
            self.cpu_percent = clock.percent()
            self.rss_mib = rss_mib(clock.pid)
            self.peak_rss_mib = rss_mib(clock.pid, "VmHWM")

    def lines(self) -> list[str]:
        return server_line(f"{self.cpu_percent or 0:.0f}%", self.rss_mib, self.peak_rss_mib)


@dataclass
class BurstReport:
    url: str
    burst: int
    within: float
    viewers: int
    size: int
    scenario: str = "burst"
    slug: str = ""
    seated: int = 0
    seat_seconds: float = 0.0
    accepted: int = 0
    post_failures: dict[str, int] = field(default_factory=dict)
    connections: int = 0
    late_ms: float = 0.0
    post_seconds: float = 0.0
    post_ms: dict[str, float] = field(default_factory=dict)
    deliveries: int = 0
    lost: int = 0
    fanout_ms: dict[str, float] = field(default_factory=dict)
    server: ServerFigures = field(default_factory=ServerFigures)

    def lines(self) -> list[str]:
        out = [
            f"viewers seated: {self.seated}/{self.viewers} in {self.seat_seconds:.2f} s",
            f"burst: {self.burst} participants post once within {self.within:g} s: accepted "
            f"{self.accepted}/{self.burst}"
            + (f" ({reasons(self.post_failures)})" if self.post_failures else "")
            + f", over {self.connections} connections, all answered after "
            f"{self.post_seconds:.2f} s (posts started late by at most {self.late_ms:.0f} ms)",
        ]
        if self.post_ms:
            out.append(figures("POST", self.post_ms))
        out.append(f"deliveries: {self.deliveries}, lost: {self.lost}")
        if self.fanout_ms:
            out.append(figures("fan-out", self.fanout_ms))
        return out + self.server.lines()


@dataclass
class RestartReport:
    url: str
    viewers: int
    notes: int  # posted before the SIGTERM, and as many after
    rate: float
    command: str
    scenario: str = "restart"
    slug: str = ""
    seated: int = 0
    seat_seconds: float = 0.0
    notes_before: int = 0
    notes_after: int = 0
    post_failures: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    sigterm_to_exit_s: float | None = None
    exit_to_answering_s: float | None = None
    answering_to_all_resumed_s: float | None = None
    sigterm_to_all_resumed_s: float | None = None
    resumed: int = 0
    resume_ms: dict[str, float] = field(default_factory=dict)  # each welcome, from answering
    close_codes: dict[str, int] = field(default_factory=dict)
    failed_connects: dict[str, int] = field(default_factory=dict)
    reconnects: int = 0
    gaps: int = 0
    viewers_with_gaps: int = 0
    duplicates: int = 0
    resets: int = 0

    def lines(self) -> list[str]:
        def s(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f} s"

        codes = ", ".join(f"{code} ×{n}" for code, n in self.close_codes.items()) or "none"
        out = [
            f"server: {self.command}",
            f"viewers seated: {self.seated}/{self.viewers} in {self.seat_seconds:.2f} s",
            f"notes: {self.notes_before} before the SIGTERM, {self.notes_after} after, at "
            f"{self.rate:g}/s"
            + (f" (failed: {reasons(self.post_failures)})" if self.post_failures else ""),
            f"SIGTERM → exit ({self.exit_code}): {s(self.sigterm_to_exit_s)}; exit → answering "
            f"/healthz: {s(self.exit_to_answering_s)}",
            f"answering → all resumed: {s(self.answering_to_all_resumed_s)}; SIGTERM → all "
            f"resumed: {s(self.sigterm_to_all_resumed_s)} ({self.resumed}/{self.viewers} resumed)",
        ]
        if self.resume_ms:
            out.append(figures("welcome again, from answering,", self.resume_ms))
        out.append(
            f"close codes: {codes}; reconnects {self.reconnects}"
            + (f" (failed: {reasons(self.failed_connects)})" if self.failed_connects else "")
        )
        out.append(
            f"gaps: {self.gaps} (viewers with gaps: {self.viewers_with_gaps}), duplicates: "
            f"{self.duplicates}, resets: {self.resets}"
        )
        return out
