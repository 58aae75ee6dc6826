# Sourced by run.sh and test.sh: make the virtual environment and install the project once,
# again only when pyproject.toml changes.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-${EXTRAS:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  if [ -n "${EXTRAS:-}" ]; then
    .venv/bin/python -m pip install --quiet --config-settings editable_mode=compat -e ".[${EXTRAS}]"
  else
    .venv/bin/python -m pip install --quiet --config-settings editable_mode=compat -e .
  fi
  touch "$stamp"
fi
