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
# The ROS 2 launch system as wheels built from its public sources (not on PyPI; ../shared/wheels/README.md),
# for the launch tests only: installed into the venv with --no-deps, their PyPI dependencies from
# requirements/launch-test.txt.
LAUNCH_WHEELS := $(wildcard ../shared/wheels/*.whl)
SOURCES := $(shell find ros2_zsris -type f -not -path '*/__pycache__/*' 2>/dev/null) setup.py launch/zsris.launch.py config/zsris.yaml config/fastdds_large_data.xml

.PHONY: setup test pytest demo lint bench clean train-commands

setup: $(PKG)

$(DEPS): requirements/*.txt $(LAUNCH_WHEELS)
	test -x $(PY) || python3 -m venv $(VENV)
	# CPU torch first and pinned: a bare torch requirement would pull GBs of CUDA wheels.
	$(PIP) install -c requirements/constraints.txt torch==2.13.0 $(QUIET_PIP)
	# PIP_CONSTRAINT also reaches the isolated build of the sam2 sdist, whose build needs torch.
	PIP_CONSTRAINT=$(CURDIR)/requirements/constraints.txt \
		$(PIP) install -c requirements/constraints.txt -r requirements/core.txt -r requirements/ros.txt -r requirements/dev.txt \
		-r requirements/launch-test.txt $(QUIET_PIP)
	$(if $(LAUNCH_WHEELS),$(PIP) install --no-deps $(LAUNCH_WHEELS) $(QUIET_PIP),@echo "warning: ../shared/wheels not found: the launch tests will fail (clone shared/ beside the repository)")
	touch $@

# pip installs the console scripts (zsris-demo, ...); then colcon builds the package
# (CMakeLists.txt) into the venv's prefix, which becomes the one install space every process
# loads the interface libraries from (see scripts/colcon_build.sh). pip replaces the whole
# installed ros2_zsris/ directory, so colcon runs after every pip install (incremental).
$(PKG): $(DEPS) $(SOURCES) msg/*.msg srv/*.srv CMakeLists.txt package.xml scripts/colcon_build.sh requirements/colcon.txt
	rm -rf build/lib build/bdist*
	mkdir -p build
	$(PIP) install --no-deps --no-build-isolation . $(QUIET_PIP)
	scripts/colcon_build.sh $(VENV) build > build/colcon-build.log 2>&1 || { tail -40 build/colcon-build.log; exit 1; }
	tail -1 build/colcon-build.log
	touch $@

lint: setup
	$(VENV)/bin/ruff check .

# The suite runs through `colcon test` (ctest -> ament_add_pytest_test), with the node started
# from the install space; PYTEST_ARGS reach pytest through PYTEST_ADDOPTS.
test: setup lint
	PYTEST_ADDOPTS="$(PYTEST_ARGS)" scripts/colcon_build.sh $(VENV) test

# Plain pytest in the venv, for quick runs while developing: make pytest PYTEST_ARGS="-k node".
pytest: setup
	$(VENV)/bin/pytest $(PYTEST_ARGS)

demo: setup
	$(VENV)/bin/zsris-demo

bench: setup
	$(PY) bench/bench_engine.py

# The trained command reader (issue 19): corpus, `spacy train` with ros2_zsris/reader_training/reader.cfg,
# installed into ros2_zsris/embedded/command_reader; seeded, on this CPU. `make setup` then ships it.
train-commands: setup
	$(PY) -m ros2_zsris.reader_training.train --install
	$(MAKE) setup

clean:
	rm -rf $(VENV) build
