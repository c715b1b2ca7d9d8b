"""Inference on runs: the metric registry, bootstrap intervals, the random-entry null, overfitting, coverage, verdicts, and the episode catalogue and finder."""
