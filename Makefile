# Two commands for a fresh machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --quiet --disable-pip-version-check
# This machine's local package mirrors print one harmless warning per package.
QUIET_PIP := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
DEPS := $(VENV)/.deps.stamp
PKG := $(VENV)/.pkg.stamp
SOURCES := $(shell find ros2_zsris -name '*.py' -o -name '*.yaml' -o -name '*.pt' -o -name '*.json' -o -name '*.md' 2>/dev/null) setup.py launch/zsris.launch.py config/zsris.yaml

.PHONY: setup test demo lint bench clean

setup: $(PKG)

$(DEPS): requirements/*.txt
	test -x $(PY) || python3 -m venv $(VENV)
	# CPU torch first and pinned: a bare torch requirement would pull GBs of CUDA wheels.
	$(PIP) install -c requirements/constraints.txt torch==2.13.0 $(QUIET_PIP)
	# PIP_CONSTRAINT also reaches the isolated build of the sam2 sdist, whose build needs torch.
	PIP_CONSTRAINT=$(CURDIR)/requirements/constraints.txt \
		$(PIP) install -c requirements/constraints.txt -r requirements/core.txt -r requirements/ros.txt -r requirements/dev.txt $(QUIET_PIP)
	touch $@

# pip replaces the whole installed ros2_zsris/ directory, so the rosidl-generated
# ros2_zsris.msg is (re)installed into it after every pip install (incremental, ~1 s).
$(PKG): $(DEPS) $(SOURCES) msg/*.msg CMakeLists.txt package.xml scripts/build_msgs.sh
	rm -rf build/lib build/bdist*
	$(PIP) install --no-deps --no-build-isolation . $(QUIET_PIP)
	scripts/build_msgs.sh $(VENV)
	touch $@

lint: setup
	$(VENV)/bin/ruff check .

test: setup lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

demo: setup
	$(VENV)/bin/zsris-demo

bench: setup
	$(PY) bench/bench_engine.py

clean:
	rm -rf $(VENV) build
