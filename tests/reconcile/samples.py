"""The sample exports in ``data/``, each with the layout it is read with."""

from __future__ import annotations

from pathlib import Path

from ledger.reconcile.formats import LAYOUTS, Layout
from ledger.reconcile.mapping import load_mapping

DATA = Path(__file__).with_name("data")
#: Each sample export's format: a public layout's name, or the file of its column mapping.
LAYOUT_OF = {
    "verra_current.csv": "verra",
    "verra_older.csv": "verra",
    "verra_bad_rows.csv": "verra",
    "gold_standard.csv": "gs",
    "climate_action_reserve.csv": "car",
    "american_carbon_registry.csv": "acr",
    "haixia.csv": "haixia-mapping.json",
    "ccer.csv": "ccer-mapping.csv",
}


def layout_for(name: str) -> Layout:
    """The layout the sample export ``name`` is read with."""
    key = LAYOUT_OF[name]
    return LAYOUTS[key] if key in LAYOUTS else load_mapping(DATA / key)
