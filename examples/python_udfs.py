"""Python UDFs from a job: plain functions over named columns, compiled with Numba.

    .venv/bin/python examples/python_udfs.py
    .venv/bin/python -m sabot run examples/python_udfs.py

Reads examples/data/trips.csv, adds columns computed by Python functions (a scalar one
with branches, a NumPy one, one that takes nulls), keeps trips in zones starting with
"W" through a string predicate, prints how each UDF runs (explain) and the busiest zones.
"""
from pathlib import Path

import numpy as np

import sabot
from sabot import agg

TRIPS = Path(__file__).resolve().parent / "data" / "trips.csv"


def fare_per_km(fare, distance_km):
    # Branches: compiled into a loop over the rows (numba.njit).
    if distance_km <= 0.0:
        return 0.0
    return fare / distance_km


@sabot.udf(handles_nulls=True)
def tip_pct(tip, fare):
    # Gets None for a missing tip instead of skipping the row.
    if tip is None or fare <= 0.0:
        return 0.0
    return round(tip / fare * 100.0, 1)


def main() -> None:
    trips = (
        sabot.read_csv(TRIPS)
        .filter(lambda zone: zone.startswith("W"))                       # strings arrive as str
        .with_columns(fare_per_km=fare_per_km, tip_pct=tip_pct,
                      log_fare=lambda fare: np.log1p(fare))               # element-wise NumPy
    )
    print(trips.explain())  # binds the plan: each UDF line says how it runs
    zones = (trips.group_by("zone")
             .agg(trips=agg.count(), mean_fare_per_km=agg.mean("fare_per_km"), mean_tip_pct=agg.mean("tip_pct"))
             .sort("trips", descending=True)
             .limit(3)
             .collect())
    for row in zones.to_pylist():
        print(f"{row['zone']}: {row['trips']} trips, {row['mean_fare_per_km']:.2f}/km, "
              f"tip {row['mean_tip_pct']:.1f}%")


if __name__ == "__main__":
    main()
