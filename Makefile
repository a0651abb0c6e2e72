# Two commands do it all: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
MANAGE := $(BIN)/python manage.py
export DJANGO_DEBUG ?= 1

.PHONY: run install migrate demo test test-postgres lint format browsers e2e bench messages serve check-deploy clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# compat: the checkout is put on sys.path as a plain path entry, not through a
	@# finder that would lend this checkout's subpackages to an older commit run
	@# from another directory (the side-by-side benchmark runs one).
	$(BIN)/python -m pip install --quiet -e ".[dev]" --config-settings editable_mode=compat
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) setup_roles

demo: migrate
	$(MANAGE) ensure_admin --no-demo-users >/dev/null
	$(MANAGE) load_demo

# The site, and beside it the worker that publishes scheduled revisions and sends
# notifications (stopped with the server).
run: demo
	$(MANAGE) ensure_admin
	@$(MANAGE) worker --every 15 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(MANAGE) runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check kbsite manuals faq feedback tests

format: install
	$(BIN)/ruff format kbsite manuals faq feedback tests
	$(BIN)/ruff check --fix .

# Browser tests need Debian's chromium (and CJK fonts for readable screenshots).
# As root we install them; otherwise the e2e tests skip with a loud message.
browsers:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	    echo "!!! chromium is not installed and this is not root: BROWSER TESTS WILL BE SKIPPED"; \
	    echo "!!! install it with: sudo apt-get install chromium fonts-noto-cjk"; \
	    echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  fi; \
	fi

# The whole suite on SQLite, then again on a throwaway PostgreSQL cluster when
# PostgreSQL is installed or can be (as root); otherwise it says so loudly. The
# PostgreSQL run leaves out what never touches the suite's database (the browser
# tests and tests marked database_independent: KB_TEST_DATABASE_ONLY, see
# tests/conftest.py); `make test-postgres` alone runs everything there.
test: lint browsers
	DJANGO_DEBUG=0 $(BIN)/pytest -q -n 2 --dist loadgroup
	@if ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || [ "$$(id -u)" = "0" ]; then \
	  KB_TEST_DATABASE_ONLY=1 $(MAKE) --no-print-directory test-postgres; \
	else \
	  echo "!!! PostgreSQL is not installed and this is not root: the PostgreSQL run is SKIPPED"; \
	fi

# The same suite on a throwaway PostgreSQL cluster (Debian's postgresql, installed
# when missing and root; loopback only; removed afterwards).
test-postgres: install browsers
	DJANGO_DEBUG=0 KB_SEARCH_BACKEND=$${KB_SEARCH_BACKEND:-postgres} tests/pg_cluster.sh $(BIN)/pytest -q -n 2 --dist loadgroup

e2e: install browsers
	DJANGO_DEBUG=0 $(BIN)/pytest -q tests/e2e

bench: install
	DJANGO_DEBUG=0 $(BIN)/python -m pytest -q -s tests/bench -p no:randomly -o norecursedirs=

messages: install
	$(MANAGE) makemessages -l zh_Hans -l en --ignore=".venv/*" --ignore="tests/*" --no-obsolete
	$(BIN)/python -m kbsite.compile_messages

serve: install
	DJANGO_DEBUG=0 $(MANAGE) collectstatic --noinput
	DJANGO_DEBUG=0 $(BIN)/gunicorn kbsite.wsgi --workers $${WEB_CONCURRENCY:-2} --bind $${KB_BIND:-127.0.0.1:8000}

check-deploy: install
	DJANGO_DEBUG=0 $(MANAGE) collectstatic --noinput -v0
	DJANGO_DEBUG=0 $(MANAGE) check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var
