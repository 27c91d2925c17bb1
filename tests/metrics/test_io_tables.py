"""The long canonical table pivots back to the very arrays WIOD ships."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.metrics.io_tables import mrio_from_long
from tests.metrics.wiod_years import wiod_long


def test_pivot_reproduces_the_wiod_arrays(shared_datasets):
    mrio = mrio_from_long(wiod_long(shared_datasets, (2003, 2004)), 2004)
    with np.load(shared_datasets / "wiod2013_bquast/wiot_2004.npz") as t:
        inter, final, output = t["inter"], t["final"], t["output"]
    assert mrio.regions[0] == "AUS" and mrio.regions[-1] == "ROW" and len(mrio.sectors) == 35
    np.testing.assert_allclose(mrio.Z, inter * 1e6)
    np.testing.assert_allclose(mrio.Y, final.reshape(1435, 41, 5).sum(axis=2) * 1e6)
    np.testing.assert_allclose(mrio.x, output * 1e6)


def test_non_square_table_is_refused_with_the_year_and_the_fix(shared_datasets):
    frame = wiod_long(shared_datasets, (2003, 2004))
    frame = frame[(frame.year == 2004) & (frame.row_iso3 != "USA")]
    with pytest.raises(ValueError, match=r"2004.*USA.*square"):
        mrio_from_long(frame)
