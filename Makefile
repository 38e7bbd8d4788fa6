# The README's two commands:
#   make demo   set up .venv, then run the main job end to end on the embedded data set
#   make test   set up .venv, then run the whole test suite
# Setup is idempotent: it reinstalls only when pyproject.toml changed.

VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.razor_lava-installed
DEMO_OUT ?= reports/demo
DEMO_ARGS ?=
PYTEST_ARGS ?=
# Test worker processes (pytest-xdist). Two fill a 2-core machine; more cores take more (`make test TEST_WORKERS=8`),
# 0 runs everything in this process.
TEST_WORKERS ?= 2
XDIST   := -n $(TEST_WORKERS) --dist loadgroup
SHELL   := bash
# Some pip configurations print one warning per missing local index; keep the log readable.
PIPQUIET := 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }; test $${PIPESTATUS[0]} -eq 0

.PHONY: setup demo test test-fast clean-venv

setup: $(STAMP)

$(STAMP): pyproject.toml tools/find_python310.sh
	@set -e; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then \
		py=$$(tools/find_python310.sh) || exit 1; \
		echo "setup: creating $(VENV) with $$py"; \
		rm -rf $(VENV); "$$py" -m venv $(VENV); \
	fi; \
	echo "setup: installing razor_lava and its test extras into $(VENV) (a few minutes the first time)"; \
	$(PY) -m pip install --quiet --upgrade pip $(PIPQUIET); \
	$(PY) -m pip install --quiet -e '.[test]' $(PIPQUIET); \
	touch $(STAMP)

demo: setup
	$(PY) -m razor_lava.demo --out $(DEMO_OUT) $(DEMO_ARGS)

test: setup
	$(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# The inner loop: every test but the slow and Lava ones (35 s on 2 cores: 824 tests); CI runs `make test`.
test-fast: setup
	$(PY) -m pytest $(XDIST) -m "not slow and not lava" $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)
