"""Simulation: a run's configuration, the backtrader engine of record and the screen, fills, costs, financing, margin and accounting."""
