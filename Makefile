# InstaInstru developer tasks. PostgreSQL/Redis discovery lives in scripts/dev.py.
PY := .venv/bin/python
RUFF := .venv/bin/ruff
STAMP := .venv/.installed

.PHONY: venv browsers run test lint fmt schema demo-code

# Re-install only when requirements.txt is newer than the last successful install.
venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	touch $@

# Playwright drives Debian's chromium (its own browser download needs the internet).
browsers:
	@if [ -x /usr/bin/chromium ]; then \
		echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null || echo present)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian's chromium (browser tests) ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			&& echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else \
		echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests use /usr/bin/chromium)." >&2; \
		exit 1; \
	fi

run: venv
	$(PY) scripts/dev.py run

# The code an authenticator app shows now for the demo instructors' and staff's two-factor key.
demo-code: venv
	@$(PY) manage.py demo_code

test: venv browsers
	$(PY) scripts/dev.py test

lint: venv
	$(RUFF) check .
	$(RUFF) format --check .

fmt: venv
	$(RUFF) format .
	$(RUFF) check --fix .

schema: venv
	$(PY) manage.py spectacular --file docs/openapi.yaml --validate --fail-on-warn
