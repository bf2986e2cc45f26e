"""Reading a `/metrics` scrape in tests: every sample by name and labels, and how much one moved."""

from __future__ import annotations

import httpx2
from conftest import auth
from prometheus_client.parser import text_string_to_metric_families

# The BOARD_METRICS_TOKEN the tests' servers are given.
TOKEN = "metrics-token-0123456789abcdef"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: Samples, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def scrape(url: str) -> Samples:
    answer = httpx2.get(f"{url}/metrics", headers=auth(TOKEN), timeout=10)
    assert answer.status_code == 200, answer.text
    assert "board_" in answer.text
    return samples(answer.text)
