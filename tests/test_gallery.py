"""The committed gallery is what `negsim gallery` regenerates (tables compared byte for byte)."""

from __future__ import annotations

from conftest import ROOT

from sim.experiments.gallery import GALLERY, build_gallery


def test_gallery_tables_match_committed(tmp_path):
    written = build_gallery(tmp_path, only=["protocols-geneva"])
    assert {p.name for p in written} == {"geneva-2025-11-protocols.png", "geneva-2025-11-protocols.csv"}
    committed = ROOT / "results" / "gallery" / "geneva-2025-11-protocols.csv"
    assert (tmp_path / "geneva-2025-11-protocols.csv").read_text() == committed.read_text()
    assert (ROOT / "results" / "gallery" / "geneva-2025-11-protocols.png").exists()


def test_grid_experiment_gallery_matches_committed(tmp_path):
    written = build_gallery(tmp_path, only=["experiment-grid"])
    summary = tmp_path / "army-cap-vs-pressure-summary.json"
    assert summary in written
    committed = ROOT / "results" / "gallery" / "army-cap-vs-pressure-summary.json"
    assert summary.read_text() == committed.read_text()


def test_scenario_comparison_gallery_matches_committed(tmp_path):
    build_gallery(tmp_path, only=["scenarios-compared"])
    committed = ROOT / "results" / "gallery" / "scenarios-compared.csv"
    assert (tmp_path / "scenarios-compared.csv").read_text() == committed.read_text()


def test_gallery_items_are_documented():
    for item in GALLERY.values():
        assert item.__doc__
