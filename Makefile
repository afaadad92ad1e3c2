# Two commands on a fresh clone (see README):
#   make run    install into .venv and serve the hub on http://127.0.0.1:7860 (offline, CPU, embedded weights)
#   make test   install (with the test extras) and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.ganhub-installed

.PHONY: install run test system-deps clean-venv

$(STAMP): pyproject.toml examples/ganhub-example-plugin/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned to the builds that lie on this machine's disk; pyproject keeps a range.
	$(BIN)/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
	$(BIN)/python -m pip install -q -e ".[test,train]"
	# A real third-party plugin, installed the way any author's package would be.
	$(BIN)/python -m pip install -q --no-deps -e examples/ganhub-example-plugin
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python app.py $(ARGS)

system-deps:
	bash scripts/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
