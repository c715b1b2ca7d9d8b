"""Where bars come from: CSV exports traders already have, and Yahoo through yfinance."""
