"""The end-use contract rejects what the generic frame tests do not try: an end use outside the
UN classes plus mixed/unmapped, and a share above one (real 2019 good frame, two cells broken)."""
from __future__ import annotations

from pipeline.contracts import check_frame, load_contract


def _failed(frame, column):
    _, report = check_frame(frame, load_contract("end_use_trade"), source="end-use test frame")
    assert not report.passed
    return next(f for f in report.findings if f.column == column)


def test_an_end_use_outside_the_classes_is_counted(good_frames):
    frame = good_frames["end_use_trade"].copy()
    frame.loc[[0, 3], "end_use"] = "capital_goods"
    assert _failed(frame, "end_use").failing_rows == 2


def test_a_share_above_one_is_counted(good_frames):
    frame = good_frames["end_use_trade"].copy()
    frame.loc[[1], "partner_group_share"] = 1.5
    assert _failed(frame, "partner_group_share").failing_rows == 1


def test_an_estimate_share_above_one_and_a_missing_ships_flag_are_counted(good_frames):
    frame = good_frames["end_use_trade"].copy()
    frame.loc[[2], "end_use_share_estimate"] = 1.2
    assert _failed(frame, "end_use_share_estimate").failing_rows == 1
    frame = good_frames["end_use_trade"].copy()
    frame["open_registry"] = frame["open_registry"].astype(object)
    frame.loc[[4], "open_registry"] = None
    assert _failed(frame, "open_registry").failing_rows == 1
