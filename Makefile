# bespin.platform: every target does its own prerequisites, so a new user
# needs only `make demo` (the sandbox and the whole platform) or `make test`
# (everything CI checks).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ROOT := $(CURDIR)
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
PYTHON ?= $(shell $(ROOT)/scripts/find-python)
# The collection as Ansible expects to find it: ansible_collections/bespin/platform.
COLLECTIONS := $(VENV)/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/bespin/platform
# The setup stamp changes whenever a pinned requirement changes.
SETUP_KEY := $(shell cat requirements/dev.txt requirements/constraints.txt sandbox/pyproject.toml 2>/dev/null | sha256sum | cut -c1-12)
SETUP_STAMP := $(VENV)/.setup-$(SETUP_KEY)
TOOLS_ENV := $(ROOT)/.cache/tools.env
# azure.azcollection's requirements.txt, inside the installed `ansible` package.
AZURE_REQUIREMENTS := $(BIN)/python -c 'import os, ansible_collections.azure.azcollection as c; \
	print(os.path.join(list(c.__path__)[0], "requirements.txt"))'

export PATH := $(BIN):$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_HOME := $(ROOT)/.cache/ansible

.PHONY: help demo setup venv system-packages tools test lint unit sanity integration molecule bench changelog build constraints clean docs

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: venv system-packages tools ## Install the pinned toolchain and build the sandbox tools (idempotent).

demo: setup ## The sandbox up, site.yml converged twice (the second changes nothing), the platform report.
	$(BIN)/python scripts/demo.py

# Debian packages the sandbox runs (Redis with Sentinel); skipped when present.
system-packages:
	scripts/install-system-packages.sh

# The Python side alone: enough for lint, sanity and unit tests.
venv: $(SETUP_STAMP) $(COLLECTION_LINK)

$(SETUP_STAMP): requirements/dev.txt requirements/constraints.txt sandbox/pyproject.toml
	@echo "setup: Python toolchain in .venv with $(PYTHON)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -r requirements/dev.txt -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
	    -r $$($(AZURE_REQUIREMENTS)) -c requirements/constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e sandbox
	rm -f $(VENV)/.setup-*
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn $(ROOT) $@

# Kubernetes control plane, kwok and helm, then Argo CD, Argo Rollouts and
# kustomize (with their CRDs), built from their Go modules into a cache outside
# the checkout; a no-op unless a pinned version changed.
tools: $(SETUP_STAMP) system-packages
	@sandbox/scripts/install-azurite.sh >/dev/null
	@mkdir -p $(dir $(TOOLS_ENV))
	@bin_dir=$$(sandbox/scripts/build-tools.sh | tail -n 1); \
	  for tool in kubectl helm; do ln -sfn "$$bin_dir/$$tool" $(BIN)/$$tool; done; \
	  echo "BESPIN_TOOLS_BIN=$$bin_dir" > $(TOOLS_ENV)
	@argo_bin=$$(sandbox/scripts/build-argo.sh | tail -n 1); \
	  echo "BESPIN_ARGO_BIN=$$argo_bin" >> $(TOOLS_ENV)

test: setup lint sanity ## Everything CI checks; ends with pytest's summary.
	$(BIN)/python scripts/run_tests.py

lint: venv ## ruff and ansible-lint (production profile).
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ansible-lint --profile production

unit: venv ## Unit tests (no sandbox).
	$(BIN)/pytest tests/unit

integration: setup ## Integration tests against the sandbox.
	$(BIN)/pytest tests/integration

molecule: setup ## Every role's molecule scenario against the sandbox.
	$(BIN)/pytest tests/molecule

# The benchmarks run in a sandbox of their own (never the default one, which tests
# use), brought up with the 5,000-node benchmark topology and stopped at the end.
BENCH_SANDBOX_DIR ?= $(HOME)/.cache/bespin-platform/bench-sandbox
BENCH_PORT_BASE ?= 25000
BENCH_KEEP ?= 0
BENCH_ARGS ?=
bench: setup ## Node-topology benchmarks in their own sandbox; one table (BENCH_KEEP=1 keeps it up).
	$(BIN)/python benchmarks/run.py --sandbox-dir $(BENCH_SANDBOX_DIR) --port-base $(BENCH_PORT_BASE) \
	  $(if $(filter 1,$(BENCH_KEEP)),--keep) $(BENCH_ARGS)

# ansible-test needs the collection at a real .../ansible_collections/bespin/platform
# path (it resolves symlinks), so it runs on a copy of the files git would ship,
# kept outside this work tree (inside it, ansible-test would ask git, which ignores it).
SANITY_TREE := $(HOME)/.cache/bespin-platform/sanity/ansible_collections/bespin/platform
sanity: venv ## ansible-test sanity, without Docker.
	rm -rf $(SANITY_TREE) && mkdir -p $(SANITY_TREE)
	@# What the collection ships (galaxy.yml's build_ignore) plus tests/; the sandbox
	@# and the build scripts are not collection content (ruff checks them).
	git ls-files --cached --others --exclude-standard -z \
	  | grep -zvE '^(sandbox|scripts|benchmarks|requirements|execution-environment|\.ci)/' \
	  | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
	  | tar --null -cf - -T - | tar -xf - -C $(SANITY_TREE)
	@# The dependency collections beside ours, where ansible-test looks for them.
	for namespace in kubernetes amazon community azure; do \
	  ln -sfn $$($(BIN)/python -c "import ansible_collections, os; print(os.path.join(list(ansible_collections.__path__)[-1], '$$namespace'))") \
	    $(SANITY_TREE)/../../$$namespace; \
	done
	@# Seed ansible-test's pip bootstrap cache (its download host is unreachable here).
	@pip_version=$$(grep -oP "pip='\K[0-9.]+" $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py); \
	  install -D -m 0644 scripts/get-pip-offline.py $(HOME)/.ansible/test/cache/get_pip_$${pip_version//./_}.py
	cd $(SANITY_TREE) && $(BIN)/ansible-test sanity --venv --python $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])') --color no

docs: venv ## Regenerate each role's README variables from meta/argument_specs.yml.
	$(BIN)/python scripts/role_docs.py

changelog: venv ## Render CHANGELOG.rst from changelogs/fragments.
	$(BIN)/antsibull-changelog release --version $$(awk '/^version:/ {print $$2}' galaxy.yml)

build: venv ## Build the collection tarball.
	$(BIN)/ansible-galaxy collection build --force --output-path $(ROOT)

constraints: ## Re-pin every transitive dependency (needs the registries).
	rm -rf $(ROOT)/.cache/pin && $(PYTHON) -m venv $(ROOT)/.cache/pin
	$(ROOT)/.cache/pin/bin/pip install --quiet -r requirements/dev.txt
	$(ROOT)/.cache/pin/bin/pip install --quiet -r $$($(subst $(BIN),$(ROOT)/.cache/pin/bin,$(AZURE_REQUIREMENTS)))
	$(ROOT)/.cache/pin/bin/pip freeze --exclude-editable > requirements/constraints.txt

clean: ## Remove the venv and caches in the checkout (not the Go build cache).
	rm -rf $(VENV) $(ROOT)/.cache
