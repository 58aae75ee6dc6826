"""Framework-free domain: cases, routing, deadlines, feedback, delivery intents."""
from services import schedule as _schedule  # noqa: F401  (keeps every case's next_check_at current)
