"""General-equilibrium counterfactuals of structural gravity (Advanced Guide, chapter 2)."""
from pipeline.gravity.ge.solver import (
    Equilibrium,
    GEConvergenceError,
    baseline,
    conditional_ge,
    full_endowment_ge,
    solve_resistances,
)

__all__ = ["Equilibrium", "GEConvergenceError", "baseline", "conditional_ge",
           "full_endowment_ge", "solve_resistances"]
