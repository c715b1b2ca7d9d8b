"""Each backtrader compatibility problem, reproduced and then handled by `unwind.compat`."""

import subprocess
import sys

PROGRAM = """
import backtrader as bt, numpy as np, pandas as pd
{install}
class Binding(bt.Indicator):
    lines = ("copy",)
    def __init__(self):
        self.lines.copy = self.data.close * 1.0
class Outer(bt.Indicator):
    lines = ("mirror",)
    def __init__(self):
        Binding(self.data).bindlines(0)  # a line index: the branch using collections.Iterable
class Strategy(bt.Strategy):
    def __init__(self):
        self.outer = Outer(self.data)
index = pd.date_range("2024-08-01", periods=5, freq="D")
frame = pd.DataFrame({{"open": 1.0, "high": 2.0, "low": 0.5, "close": np.arange(5.0) + 1,
                      "volume": 0.0}}, index=index)
cerebro = bt.Cerebro(stdstats=False)
cerebro.adddata(bt.feeds.PandasData(dataname=frame))
cerebro.addstrategy(Strategy)
cerebro.run()
print("ran", len(cerebro.runstrats))
"""


def run(install: str):
    return subprocess.run([sys.executable, "-c", PROGRAM.format(install=install)],
                          capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
                          timeout=120)


def test_bindlines_fails_on_this_python_without_the_shim():
    result = run("")
    assert result.returncode != 0
    assert "has no attribute 'Iterable'" in result.stderr


def test_the_shim_fixes_bindlines():
    result = run("from unwind import compat; compat.install()")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ran 1"


def test_empyrical_is_imported_without_its_yfinance_import_and_yfinance_still_imports():
    program = ("import sys\nfrom unwind import compat\nempyrical = compat.empyrical()\n"
               "print('yfinance' in sys.modules, compat.empyrical() is empyrical)\n"
               "import yfinance\nprint(yfinance.download is not None)\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]
