"""Pages a person reads: charts, the tear sheet, the scorecard, sensitivity and `now` pages."""
