"""Material profiles: the shipped file loads, every value has a source, errors name file and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.materials import MaterialError, load_profiles, parse_profiles

ROOT = Path(__file__).resolve().parents[1]
MATERIALS = ROOT / "scenes" / "materials.toml"
REQUIRED = ("bronze", "iron", "silver", "paper", "silk", "textile", "lacquered_wood", "wood", "bamboo_slips",
            "ceramic", "stone", "bone_ivory", "oil_painting", "photograph")


@pytest.fixture(scope="module")
def profiles():
    return load_profiles(MATERIALS)


def test_every_required_material_is_there_with_climate_light_and_vibration(profiles):
    for key in REQUIRED:
        p = profiles[key]
        assert p.zh and p.en
        for q in ("temperature", "relative_humidity", "illuminance", "uv", "vibration", "so2", "pm2_5"):
            assert p.band(q) is not None, (key, q)
        assert p.band("relative_humidity").max_change_24h > 0


def test_every_band_cites_a_defined_source(profiles):
    for p in profiles.values():
        for band in p.bands.values():
            assert band.sources, (p.key, band.quantity)
            for s in band.sources:
                assert p.sources[s]  # the citation text is carried with the profile


def test_values_that_the_sources_state(profiles):
    # Scott 2002: bronze disease arrested below ~39-42 %RH.
    assert profiles["bronze"].band("relative_humidity").high <= 42
    # GB/T 23863 / CIE 157: highly sensitive 50 lx; GB/T 23863: 50 000 lx·h per year.
    for key in ("paper", "silk", "photograph"):
        ill = profiles[key].band("illuminance")
        assert ill.high == 50 and ill.annual_exposure == 50_000
    # insensitive materials: 300 lx, no annual limit
    assert profiles["stone"].band("illuminance").annual_exposure is None
    # ISO 18920: photographs at or below 18 °C
    assert profiles["photograph"].band("temperature").high <= 18


def test_textile_shares_silk_limits(profiles):
    assert dict(profiles["textile"].bands) == dict(profiles["silk"].bands)
    assert profiles["textile"].en == "Textiles"


def test_organics_are_more_light_sensitive_than_inorganics(profiles):
    assert profiles["silk"].band("illuminance").high < profiles["lacquered_wood"].band("illuminance").high
    assert profiles["lacquered_wood"].band("illuminance").high < profiles["ceramic"].band("illuminance").high


def _write(tmp_path, text):
    p = tmp_path / "m.toml"
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_all_errors_reported_at_once_with_file_and_key(tmp_path):
    p = _write(tmp_path, """
        [sources]
        A = "a source"
        [profiles.x]
        zh = "x"
        en = "x"
        group = "metal"
        [profiles.x.temperature]
        low = 30.0
        high = 20.0
        source = ["A"]
        [profiles.x.relative_humidity]
        high = 40.0
        source = ["NOPE"]
        [profiles.x.humidity_typo]
        high = 1.0
        source = ["A"]
        [profiles.x.illuminance]
        high = 50.0
        colour = 1
    """)
    with pytest.raises(MaterialError) as exc:
        load_profiles(p)
    errs = exc.value.errors
    assert len(errs) == 5
    assert all(str(p) in e for e in errs)
    text = "\n".join(errs)
    assert "profiles.x.temperature: low 30.0 is above high 20.0" in text
    assert "profiles.x.relative_humidity.source: 'NOPE' is not defined" in text
    assert "profiles.x.humidity_typo: unknown quantity" in text
    assert "profiles.x.illuminance.colour: unknown key" in text
    assert "profiles.x.illuminance.source: every limit needs" in text


def test_missing_file_and_bad_same_as(tmp_path):
    with pytest.raises(MaterialError, match="file not found"):
        load_profiles(tmp_path / "none.toml")
    p = _write(tmp_path, """
        [sources]
        A = "a"
        [profiles.y]
        zh = "y"
        en = "y"
        group = "g"
        same_as = "ghost"
    """)
    with pytest.raises(MaterialError, match=r"profiles\.y\.same_as: 'ghost'"):
        load_profiles(p)


@given(st.floats(0, 100), st.floats(0, 100))
def test_rh_band_accepted_iff_ordered(a, b):
    doc = {"sources": {"A": "a"}, "profiles": {"p": {
        "zh": "p", "en": "p", "group": "g",
        "temperature": {"low": 10.0, "high": 20.0, "source": ["A"]},
        "relative_humidity": {"low": a, "high": b, "source": "A"}}}}
    if a <= b:
        band = parse_profiles(doc)["p"].band("relative_humidity")
        assert (band.low, band.high) == (a, b)
    else:
        with pytest.raises(MaterialError, match="is above high"):
            parse_profiles(doc)
