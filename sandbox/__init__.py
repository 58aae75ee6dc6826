"""A local stand-in for the Telegram Bot API, with a chat page, for trying the bot offline and for tests."""
from sandbox.rules import Refusal, check_call, visible_length
from sandbox.server import RunningSandbox, ThreadedSandbox, create_app, serve, serve_in_thread
from sandbox.state import BOT_USER, SandboxState

__all__ = ["BOT_USER", "Refusal", "RunningSandbox", "SandboxState", "ThreadedSandbox", "check_call", "create_app",
           "serve", "serve_in_thread", "visible_length"]
