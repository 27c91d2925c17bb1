"""Turn source frames into canonical tables (codes, units, flags); the contract gate follows."""
