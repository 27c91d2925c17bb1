"""Balassa revealed comparative advantage per country and product."""
from __future__ import annotations

import pandas as pd


def balassa_rca(exports: pd.DataFrame) -> pd.DataFrame:
    """Balassa (1965) index of revealed comparative advantage.

    :math:`RCA_{c,k} = \\frac{x_{c,k} / X_c}{x_{w,k} / X_w}` with :math:`x_{c,k}` country c's
    exports of product k, :math:`X_c = \\sum_k x_{c,k}`, :math:`x_{w,k} = \\sum_c x_{c,k}` and
    :math:`X_w = \\sum_{c,k} x_{c,k}`, per year. Unitless; > 1 means product k weighs more in
    c's exports than in world exports. Identities: :math:`\\sum_c (X_c/X_w) RCA_{c,k} = 1` for
    every product and :math:`\\sum_k (x_{w,k}/X_w) RCA_{c,k} = 1` for every country. The world
    is the set of exporters given, so ``exports`` must cover every exporter (a world-complete
    classification).

    ``exports``: ``iso3, year, product_code, value_usd``. Returns those columns plus
    ``export_share`` (:math:`x_{c,k}/X_c`, 0..1), ``world_share`` (:math:`x_{w,k}/X_w`) and
    ``rca``; rows of zero exports are kept with RCA 0 where given.
    """
    work = exports.copy()
    country_total = work.groupby(["iso3", "year"])["value_usd"].transform("sum")
    product_total = work.groupby(["year", "product_code"])["value_usd"].transform("sum")
    world_total = work.groupby("year")["value_usd"].transform("sum")
    work["export_share"] = work["value_usd"] / country_total.where(country_total > 0)
    work["world_share"] = product_total / world_total.where(world_total > 0)
    work["rca"] = work["export_share"] / work["world_share"].where(work["world_share"] > 0)
    return work
