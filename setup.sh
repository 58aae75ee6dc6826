# Sourced by run.sh and test.sh: make the virtual environment and install the project's dependencies once,
# again only when pyproject.toml changes. The code itself runs from this folder: a .pth file puts the folder
# on the environment's path, so there is no build step (nothing to rebuild after an edit, no build tool's
# notices). pip speaks only on errors: its warnings about this machine's own package sources are not the
# newcomer's business.
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.installed-${EXTRAS:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -qq --upgrade pip
  .venv/bin/python - "${EXTRAS:-}" > .venv/requirements.txt <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
extras = [e for e in sys.argv[1].split(",") if e]
print("\n".join(project["dependencies"] + [d for e in extras for d in project["optional-dependencies"][e]]))
PY
  .venv/bin/python -m pip install -qq -r .venv/requirements.txt
  .venv/bin/python -c 'import os, sysconfig; open(os.path.join(sysconfig.get_path("purelib"), "massline.pth"), "w").write(os.getcwd() + "\n")'
  touch "$stamp"
fi
