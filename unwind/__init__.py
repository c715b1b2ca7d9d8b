"""carry-unwind: backtests of yen carry-trade unwind playbooks for futures traders."""

__version__ = "0.1.0"
