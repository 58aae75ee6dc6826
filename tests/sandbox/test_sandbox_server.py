"""Starting and stopping the sandbox: in this loop, in a thread, and from the command line."""
from __future__ import annotations

import asyncio

import httpx

from sandbox import SandboxState, serve
from sandbox.__main__ import build, parse_args


async def test_serve_runs_in_this_loop_on_a_free_port_with_the_given_state():
    state = SandboxState()
    state.register(id=1001, first_name="张大爷")

    running = await serve(state=state)
    try:
        async with httpx.AsyncClient(base_url=running.base_url) as http:
            users = (await http.get("/sandbox/users")).json()
    finally:
        await running.stop()

    assert running.base_url.startswith("http://127.0.0.1:")
    assert [u["first_name"] for u in users] == ["张大爷"]
    assert running.state is state


async def test_stopping_ends_a_waiting_long_poll_with_an_empty_answer(bot_factory):
    running = await serve()
    bot = bot_factory(running.base_url)
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)

    await running.stop()
    updates = await poll

    assert updates == []
    assert running.task.done()


async def test_the_command_line_serves_the_demo_people_and_the_ones_it_is_given():
    args = parse_args(["--port", "0", "--demo", "--person", "4001:钱会计:村会计"])
    server, sock = build(args)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url="http://%s:%d" % sock.getsockname()[:2]) as http:
            users = (await http.get("/sandbox/users")).json()
    finally:
        server.should_exit = True
        await task

    assert "张大爷" in [u["first_name"] for u in users]
    assert {"id": 4001, "label": "村会计"}.items() <= next(u for u in users if u["id"] == 4001).items()


async def test_the_chat_page_links_the_dashboard_once_the_bot_serves_one():
    from sandbox.server import create_app

    state = SandboxState()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(state)), base_url="http://s") as http:
        before = (await http.get("/")).text
        state.dashboard_url = "http://127.0.0.1:8082"
        after = (await http.get("/")).text

    assert 'id="dashboard-link"' not in before
    assert 'id="dashboard-link" href="http://127.0.0.1:8082/"' in after and "/dashboard" in after
