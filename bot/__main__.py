"""`python -m bot …`: the operator's commands."""
from bot.cli import main

raise SystemExit(main())
