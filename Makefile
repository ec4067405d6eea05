# The course's commands. Every target sets up what it needs by itself.
#   make lab       open the course in JupyterLab (.md chapters open as notebooks)
#   make test      unit tests, chapter checks, and every chapter in quick mode
#   make execute   re-run chapters in full mode, write outputs into the .ipynb
#                  (one chapter: make execute CHAPTER=03)
#   make bench     utils.fit overhead and tensor batching vs DataLoader
#   make data      find, fetch and verify Fashion-MNIST
#   make lock      re-compile requirements.txt (every version pinned) from requirements.in
#   make site      render the website with Quarto (needs Quarto; see README)
#   make doctor    check what the course needs on this machine (offline, seconds)
#   make long      train a chapter's long run and write its checked checkpoint
#                  (make long CHAPTER=19; STOP=300 OUT=/tmp/x for a short check)

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed
CHAPTER ?=
SOURCES := $(sort $(wildcard chapters/$(if $(CHAPTER),$(CHAPTER),[0-9][0-9])-*.md))

.PHONY: venv lock lab test unit chapters execute sync bench data site clean help long doctor

help:
	@sed -n '2,/^$$/p' Makefile

# What the course needs here (Python, .venv, torch, device, data, corpora, disk, site tools),
# checked offline in seconds, with the fix for each failure. Runs with the system Python,
# before `make venv`; exits non-zero only for what the chapters need.
doctor:
	@$(PYTHON) scripts/doctor.py

venv: $(STAMP)

# uv installs the regular PyPI builds of torch and torchvision (pip on some
# machines is configured to prefer a CPU-only torch wheel that torchvision
# cannot run with). The last line checks exactly that.
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip --quiet
	@$(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) pip install --python $(PY) --compile-bytecode -r requirements.txt -e .
	$(PY) -c "import torch, torchvision; from torchvision.ops import nms; print('torch', torch.__version__, '/ torchvision', torchvision.__version__, 'OK')"
	@touch $(STAMP)

# Direct pins live in requirements.in; this writes every transitive pin, valid
# on Linux, macOS and Windows (tests/test_requirements.py checks the two agree).
lock: $(STAMP)
	$(UV) pip compile --quiet --universal --python-version 3.11 requirements.in -o requirements.txt

# Fashion-MNIST: Debian's dataset-fashion-mnist package when we can install it
# (root and apt-get present), else the data directory or torchvision's download.
data: $(STAMP)
	@if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] \
	    && [ -z "$$COURSE_DATA" ] && [ ! -f data/cache/fashion-mnist-uint8.pt ] \
	    && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "Installing Debian's dataset-fashion-mnist (offline copy of Fashion-MNIST)..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist) \
	    || echo "apt-get could not install dataset-fashion-mnist; trying the other sources."; \
	fi
	@$(PY) -c "import utils; X, y = utils.load_fashion_mnist(); print('Fashion-MNIST ready:', tuple(X.shape), 'train images, cache in', utils.data_dir() / 'cache')"

lab: $(STAMP) data
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook"}}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	$(VENV)/bin/jupyter lab $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) chapters/

unit: $(STAMP) data
	$(PY) -m pytest tests

chapters: $(STAMP) data
	COURSE_QUICK=1 COURSE_PROGRESS=lines $(PY) -m pytest --nbmake --nbmake-timeout=600 -p no:cacheprovider chapters/

test: $(STAMP) data
	COURSE_PROGRESS=lines $(PY) -m pytest tests
	COURSE_QUICK=1 COURSE_PROGRESS=lines $(PY) -m pytest --nbmake --nbmake-timeout=600 --durations=0 chapters/

# Write each .md source into its .ipynb, then execute it in full mode in place.
sync: $(STAMP)
	@for md in $(SOURCES); do $(VENV)/bin/jupytext --quiet --from md:markdown --to ipynb --update "$$md"; done

execute: $(STAMP) data
	@test -n "$(SOURCES)" || { echo "no chapter matches CHAPTER=$(CHAPTER)"; exit 1; }
	@for md in $(SOURCES); do \
	  nb="$${md%.md}.ipynb"; \
	  $(VENV)/bin/jupytext --quiet --from md:markdown --to ipynb "$$md" || exit 1; \
	  start=$$SECONDS; \
	  env -u COURSE_QUICK COURSE_PROGRESS=lines $(VENV)/bin/jupyter nbconvert --log-level=WARN --to notebook \
	    --execute --inplace --ExecutePreprocessor.timeout=1800 "$$nb" || exit 1; \
	  echo "$$nb: $$((SECONDS - start)) s wall time (full mode)"; \
	done

# Long runs (chapters 14, 18, 19): the chapter's cells tagged "long" run for many more
# steps; the checkpoint and its SHA-256 go to checkpoints/ (see README, "Long runs").
# Re-running the same command resumes an interrupted run from data/long/.
long: $(STAMP) data
	@test -n "$(CHAPTER)" || { echo "usage: make long CHAPTER=19 [STEPS=N] [STOP=N] [OUT=dir] [THREADS=N]"; exit 1; }
	$(PY) -c 'import sys, utils.checkpoints as c; c.main(sys.argv[1:])' $(CHAPTER) $(if $(STEPS),--steps $(STEPS)) $(if $(STOP),--stop $(STOP)) $(if $(OUT),--out $(OUT)) $(if $(THREADS),--threads $(THREADS))

bench: $(STAMP) data
	$(PY) tests/benchmark.py

# Quarto: $QUARTO if set, else `quarto` on the PATH, else .venv/bin/quarto (pip's quarto-cli).
# On machines that reach only the package registries: QUARTO=$$(bash ../shared/quarto/setup.sh) make site
site: $(STAMP)
	@q="$${QUARTO:-$$(command -v quarto || true)}"; \
	if [ -z "$$q" ] && [ -x $(VENV)/bin/quarto ]; then q=$(VENV)/bin/quarto; fi; \
	if [ -z "$$q" ] || [ ! -x "$$q" ]; then \
	  echo "Quarto is not available$${QUARTO:+ (QUARTO=$$QUARTO is not executable)}, so the site cannot be rendered here."; \
	  echo "  - Install Quarto >= 1.5 from https://quarto.org/docs/get-started/ (a .deb, .pkg or .msi),"; \
	  echo "    or run 'pip install quarto-cli' on a machine that can reach github.com;"; \
	  echo "  - or point QUARTO at a quarto launcher: QUARTO=/path/to/quarto make site."; \
	  echo "  The GitHub workflow .github/workflows/site.yml renders and publishes it."; \
	  exit 1; \
	fi; \
	echo "Rendering with $$q ($$("$$q" --version))"; \
	QUARTO_PYTHON="$(CURDIR)/$(PY)" "$$q" render
	@echo "Site written to _site/ (open _site/index.html through a web server, e.g. python -m http.server -d _site)."

clean:
	rm -rf _site .quarto .pytest_cache
