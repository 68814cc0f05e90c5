"""The database's figures as Prometheus metrics, read at scrape time (so every worker reports the same)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import DBAPIError

from casework.notify.figures import figures
from casework.runtime import Casework


class CaseworkCollector(Collector):
    def __init__(self, cw: Casework) -> None:
        self.cw = cw

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("casework_database_up", "1 if the figures below could be read")
        try:
            f = figures(self.cw)
        except DBAPIError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield _labelled(GaugeMetricFamily, "casework_open_cases", "Open cases", ["state"], f.open_cases)
        yield _labelled(CounterMetricFamily, "casework_transitions", "Transitions recorded", ["trigger"], f.transitions)
        yield _labelled(CounterMetricFamily, "casework_sla_warnings", "SLA warnings", ["clock"], f.sla_warnings)
        yield _labelled(CounterMetricFamily, "casework_sla_breaches", "SLA breaches", ["clock"], f.sla_breaches)
        yield _labelled(
            GaugeMetricFamily, "casework_outbox_depth", "Notifications waiting", ["kind", "channel"], f.outbox_depth
        )
        yield _labelled(
            GaugeMetricFamily,
            "casework_outbox_oldest_age_seconds",
            "Age of the oldest waiting notification",
            ["kind", "channel"],
            f.outbox_oldest_seconds,
        )
        yield _labelled(GaugeMetricFamily, "casework_dead_letters", "Dead notifications", ["kind"], f.dead_letters)
        if f.last_verification_seconds is not None:
            yield GaugeMetricFamily(
                "casework_chain_verification_age_seconds",
                "Since the latest recorded chain verification",
                value=f.last_verification_seconds,
            )


def _labelled(family, name, documentation, labels, values) -> Metric:  # type: ignore[no-untyped-def]
    metric = family(name, documentation, labels=labels)
    for key, value in values.items():
        metric.add_metric(list(key) if isinstance(key, tuple) else [key], value)
    return metric
