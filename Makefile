# Every target creates the virtual environment on first use from requirements.lock,
# so a fresh machine needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench import-raw clean

$(BIN)/unwind: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $@

demo: $(BIN)/unwind
	$(BIN)/unwind score

test: $(BIN)/unwind
	./.ci/ensure-chromium
	$(BIN)/python -m pytest

import-raw: $(BIN)/unwind
	$(BIN)/python scripts/import_raw.py

bench: $(BIN)/unwind
	$(BIN)/python bench/whole_process.py
	$(BIN)/python bench/import_and_load.py
	$(BIN)/python bench/playbooks.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/sweep.py
	$(BIN)/python bench/linearity.py
	$(BIN)/python bench/now.py
	$(BIN)/python bench/suspect_prints.py
	$(BIN)/python bench/staleness_allowance.py
	$(BIN)/python bench/bootstrap_coverage.py

clean:
	rm -rf $(VENV) runs/out
