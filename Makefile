# impactlib: two commands, `make report` and `make test`, each sets itself up.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/raw/demo/study.yml

.PHONY: setup report test lab fuzz browser clean-reports sync-notebooks

setup: $(STAMP)

# Reinstall when the dependencies or the pinned versions change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,lab]'
	touch $(STAMP)

$(DEMO): | $(STAMP)
	$(BIN)/impactlib demo data/raw/demo

report: setup $(DEMO)
	$(BIN)/impactlib report $(DEMO) --processed data/processed/demo

test: setup $(DEMO) browser
	$(BIN)/python -m pytest

# Debian's Chromium for the browser test (never a downloaded browser). Installed
# when missing and we are root with apt-get; otherwise the test says why it skips
# (and fails under CI=true, where it must run).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is not installed: the browser test will be skipped"; fi; }

# Many more random inputs than the test suite runs (hypothesis profile "fuzz").
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/test_properties.py -q

lab: setup $(DEMO)
	$(BIN)/jupyter lab notebooks/

# Keep each notebook's .ipynb and its jupytext .py in step (outputs stay out of git).
sync-notebooks: setup
	$(BIN)/jupytext --sync notebooks/*.py

clean-reports:
	rm -rf reports/*/
