# optimbook: the project's only entry points.
#
#   make book               execute every notebook at SCALE=paper, then build the book (_build/html)
#   make book SCALE=smoke   the quick path (what CI builds)
#   make test               the test suite, notebooks and a smoke build of the book included
#   make env                create or update .venv/ (the registry's torch + torchvision, the extras)
#   make colab              regenerate the chapters' Colab notebooks book/chapters/*.ipynb (commit them)
#   make results            make the runs the chapters share (the replication report's) as one schedule
#
# Every target creates the environment when it is missing and copies MNIST from ../shared/data
# when that folder exists and $(DATA) lacks the files.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

SCALE ?= paper
DEVICE ?= auto
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# --isolated: ignore local pip configuration, so torch and torchvision come from the registry as
# one matching build (a local CPU-only torch wheel would break torchvision's binary).
PIP := $(PY) -m pip --isolated --disable-pip-version-check --no-input -q
TORCH := torch==2.13.0 torchvision==0.28.0
ENV_STAMP := $(VENV)/.optimbook-env
DATA := $(or $(OPTIMBOOK_DATA),data)
SHARED_MNIST := ../shared/data/MNIST/raw
MNIST_GZ := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
            t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz

NOTEBOOKS := $(sort $(wildcard notebooks/[0-9][0-9]_*.py))
EXECUTED := $(patsubst notebooks/%.py,executed/$(SCALE)/%.ipynb,$(NOTEBOOKS))
# The environment chapter reports on every other chapter's time and work: it runs after them.
LAST := $(filter %/19_environment.ipynb,$(EXECUTED))
SOURCES := $(shell find src -name '*.py' -not -path '*/__pycache__/*') tools/execute_notebook.py
BOOK_SOURCES := _config.yml _toc.yml $(wildcard book/*.md book/*.bib book/_static/* book/_ext/*.py)
# The book is built from a staged copy: book/chapters/ holds the committed Colab notebooks (the
# launch buttons' targets), so the executed notebooks go to $(STAGE)/book/chapters/ instead.
STAGE := _build/source

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export OPTIMBOOK_DATA := $(abspath $(DATA))

.PHONY: help env data notebooks colab book test clean results

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

env: $(ENV_STAMP)

$(ENV_STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install $(TORCH)
	$(PIP) install -c constraints.txt -e '.[book,test]'
	@$(PY) -c "import torch, torchvision, optimbook; print('env ok: torch', torch.__version__, \
	  '| torchvision', torchvision.__version__, '| optimbook', optimbook.__version__)"
	@touch $@

data:
	@mkdir -p $(DATA)/MNIST/raw
	@for f in $(MNIST_GZ); do \
	  if [ ! -f "$(DATA)/MNIST/raw/$$f" ] && [ -f "$(SHARED_MNIST)/$$f" ]; then \
	    cp "$(SHARED_MNIST)/$$f" "$(DATA)/MNIST/raw/.$$f.part"; \
	    mv "$(DATA)/MNIST/raw/.$$f.part" "$(DATA)/MNIST/raw/$$f"; \
	    echo "data: copied $$f from $(SHARED_MNIST)"; \
	  fi; \
	done

notebooks: $(EXECUTED)

executed/$(SCALE)/%.ipynb: notebooks/%.py $(SOURCES) $(ENV_STAMP) | data
	$(PY) tools/execute_notebook.py $< $@ --scale $(SCALE) --device $(DEVICE)

$(LAST): $(filter-out $(LAST),$(EXECUTED))

# Optional before a cold `make book`: every worker stays busy until the last run (one schedule),
# instead of each chapter waiting for its own last run; the chapters then read the cache (so
# chapter 19's per-chapter seconds no longer include those runs: the book workflow does not use it).
results: $(ENV_STAMP) | data
	$(PY) -m optimlab run book --scale $(SCALE) --device $(DEVICE)

colab: $(ENV_STAMP)
	$(PY) tools/colab.py

book: $(EXECUTED) $(BOOK_SOURCES)
	@rm -rf $(STAGE) && mkdir -p $(STAGE)/book/chapters
	@cp _config.yml _toc.yml $(STAGE)/
	@cp book/*.md book/*.bib $(STAGE)/book/
	@cp -r book/_static $(STAGE)/_static
	@cp -r book/_ext $(STAGE)/_ext
	@cp -r src $(STAGE)/src  # {literalinclude} /src/...: the library's source shown on the page
	@cp $(EXECUTED) $(STAGE)/book/chapters/
	$(VENV)/bin/jupyter-book build $(STAGE) --path-output . --all -W -n --keep-going
	@echo "book built at SCALE=$(SCALE): _build/html/index.html"

test: $(ENV_STAMP) | data
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

clean:
	rm -rf _build executed
