# The two front doors: `make run` (embedded default) and `make test` (real services).
# Everything else here is what they use.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# Variables that switch a piece to its full-stack service: cleared for the embedded runs.
SERVICE_VARS := DATABASE_URL REDIS_URL AWS_STORAGE_BUCKET_NAME AWS_S3_ENDPOINT_URL
EMBEDDED := env $(foreach var,$(SERVICE_VARS),-u $(var))
PYTEST_ARGS ?=

.PHONY: run test lint format test-services test-embedded install system-deps-run system-deps-test \
        migrate superuser check schema bench mutate clean

# `make run HOST=0.0.0.0 PORT=8765`: the port is checked first, with the system Python, so a busy
# one is reported before anything is installed or migrated (core/ports.py).
HOST ?= 127.0.0.1
PORT ?= 8000

run:
	@$(PYTHON) core/ports.py $(HOST) $(PORT)
	@echo "==> Installing the Python packages into $(VENV) (the first time takes a few minutes)"
	@$(MAKE) --no-print-directory --quiet install
	@echo "==> Checking the system packages (ffmpeg)"
	@$(MAKE) --no-print-directory --quiet system-deps-run
	@$(EMBEDDED) DJANGO_DEBUG=true $(PY) manage.py serve --host $(HOST) --port $(PORT)

test: install system-deps-test lint
	$(MAKE) --no-print-directory test-services
	$(MAKE) --no-print-directory test-embedded

# ruff (pyproject.toml): the lint rules and the formatting, checked; `make format` applies both.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The full suite against throwaway PostgreSQL, Redis and S3 servers (tests/stack.py).
test-services:
	$(PY) -m tests.stack --services postgres,redis,s3 -- $(PY) -m pytest $(PYTEST_ARGS)

# The embedded default: SQLite, files on disk, tasks in-process.
test-embedded:
	$(EMBEDDED) $(PY) -m pytest -m "not services and not worker" $(PYTEST_ARGS)

# A virtualenv with requirements/test.txt, reinstalled when a requirements file changes.
install: $(VENV)/.installed

# pip's output goes to $(VENV)/install.log, shown only when the install fails.
$(VENV)/.installed: requirements/base.txt requirements/prod.txt requirements/test.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@{ $(PIP) install --disable-pip-version-check --upgrade pip \
	   && $(PIP) install --disable-pip-version-check -r requirements/test.txt; } > $(VENV)/install.log 2>&1 \
	   || { cat $(VENV)/install.log; echo "pip install failed; the log above is in $(VENV)/install.log"; exit 1; }
	@touch $@

system-deps-run:
	@sh .ci/system-deps.sh ffmpeg || echo "Continuing without ffmpeg: transcodes fail and /api/health/ reports it down."

system-deps-test:
	sh .ci/system-deps.sh ffmpeg postgresql redis-server

check: install
	$(PY) -m tests.stack --services postgres -- env DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

schema: install
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py spectacular --file schema.yml

bench: install system-deps-test
	sh .ci/system-deps.sh wrk
	$(PY) -m bench.api_bench
	$(PY) -m bench.transcode_bench
	$(PY) -m bench.confirm_bench
	$(PY) -m bench.due_bench
	$(PY) -m bench.analysis_bench

# Mutation testing of the pure engines ([tool.mutmut] in pyproject.toml: SM-2, the mastering
# recommendations and similarity ranking): mutmut runs their tests against every mutant, in a
# fresh mutants/ copy. Offline, about two minutes; not part of `make test`. Fails when a mutant survives;
# `.venv/bin/mutmut show NAME` shows one.
mutate: install
	rm -rf mutants
	$(EMBEDDED) $(VENV)/bin/mutmut run
	@# A mutant that crashes the tests (segfault: a wrong pointer into libebur128) or hangs them
	@# (timeout) is caught by them too; only survivors and untested mutants fail the target.
	@survivors="$$($(VENV)/bin/mutmut results | grep -v -e ': segfault$$' -e ': timeout$$')"; \
		echo "$$survivors"; test -z "$$survivors"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis staticfiles
