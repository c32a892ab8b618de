# make demo: set up .venv and run kgen on the bundled presets (no dataset, no network);
#            pictures go to out/.
# make test: set up .venv with the dev, rl, plot and export extras and run the default test suite.
# make data: install the real Fashion-MNIST (Debian package dataset-fashion-mnist).
# make docs: build the docs site into site/ with mkdocs --strict (a broken link or reference fails).
# make docs-images: remake the docs' pictures from the shipped presets and the examples.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK = 1

.PHONY: demo test test-slow data browser docs docs-images lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever the package metadata changes.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,rl,plot,export]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/kgen demo --out out

# Two workers, one test file each at a time: most tests leave a core idle while they trace or
# wait, so the suite takes about 7 minutes instead of 10.5 (389 and 415 s measured).
test: $(VENV)/.installed browser
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=25

docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

test-slow: $(VENV)/.installed
	$(BIN)/python -m pytest -m slow

# ruff, and the import-linter contracts in setup.cfg (the package's layers)
lint: $(VENV)/.installed
	$(BIN)/ruff check kgen tests benchmarks examples
	$(BIN)/lint-imports

data:
	@if dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then \
		echo "dataset-fashion-mnist is installed: $$(dpkg -L dataset-fashion-mnist | grep -m1 'fashion-mnist$$')"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist; \
	else \
		echo "apt-get is not available: download Fashion-MNIST's IDX files and set KGEN_DATA_DIR to their folder."; \
		exit 1; \
	fi

# Debian's Chromium and ChromeDriver, for the lab's browser tests (they skip, saying why, without them).
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then \
		:; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
		|| { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; } \
		|| echo "chromium could not be installed: the lab's browser tests will be skipped."; \
	else \
		echo "apt-get is not available: the lab's browser tests will be skipped (they need chromium and chromedriver)."; \
	fi

# The pictures the shipped presets and the examples make (minutes; gan_truncation needs make data).
# The four drawn from training runs are remade by the commands beside them in the docs:
# dcgan_stability (benchmarks/dcgan.py --stability), mbrl_cartpole_efficiency (benchmarks/rl.py
# --algo mbrl --plot), dqn_cartpole_curve (examples/train_dqn.py), reinforce_baselines
# (examples/train_reinforce.py).
docs-images: $(VENV)/.installed browser
	$(BIN)/python examples/gridworld_value_iteration.py --out docs/images/gridworld.png
	$(BIN)/python examples/gridworld_model_based.py --out docs/images/gridworld_model_based.png
	$(BIN)/python examples/gradient_estimators.py --out docs/images/variance.png
	$(BIN)/python examples/gan_generator_gradients.py --out docs/images/gan_generator_gradients.png
	$(BIN)/python examples/gan_truncation.py --out docs/images/gan_truncation.png
	$(BIN)/python examples/mbrl_model_error.py --preset mbrl_pendulum --out docs/images/mbrl_pendulum_model_error.png
	KGEN_LAB_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q tests/test_lab_browser.py

clean:
	rm -rf $(VENV) build *.egg-info
