"""Run the sandbox on its own: python -m sandbox --port 8081 [--demo] [--person ID:NAME[:LABEL]]."""
from __future__ import annotations

import argparse
import logging
import socket

import uvicorn

from sandbox.server import create_app, listening_socket
from sandbox.state import SandboxState

DEMO_PEOPLE = [(1001, "张大爷", "村民 · 石桥村"), (1002, "李秀英", "村民 · 石桥村"),
               (2001, "王书记", "包村干部 · 石桥村"), (3001, "赵镇长", "乡镇领导")]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Local stand-in for the Telegram Bot API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--demo", action="store_true", help="register a few demo villagers and cadres")
    parser.add_argument("--person", action="append", default=[], metavar="ID:NAME[:LABEL]",
                        help="register a person (repeatable)")
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> tuple[uvicorn.Server, socket.socket]:
    """Return the server the command line asks for, with its people registered, and its bound socket."""
    state = SandboxState()
    people = list(DEMO_PEOPLE) if args.demo else []
    for spec in args.person:
        user_id, name, *label = spec.split(":", 2)
        people.append((int(user_id), name, label[0] if label else None))
    for user_id, name, label in people:
        state.register(id=user_id, first_name=name, label=label)
    server = uvicorn.Server(uvicorn.Config(create_app(state), log_level="info"))
    return server, listening_socket(args.host, args.port)


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server, sock = build(args)
    host, port = sock.getsockname()[:2]
    print(f"sandbox: chat page http://{host}:{port}/  bot API base http://{host}:{port}", flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
