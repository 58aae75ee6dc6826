"""The control API: people, their chats, button presses, logs, live events."""
from __future__ import annotations

import asyncio
import json

import httpx
from aiogram.types import BufferedInputFile

KEYBOARD = {"inline_keyboard": [[{"text": "受理", "callback_data": "accept"}, {"text": "转办", "callback_data": "move"}]]}


async def test_registering_a_person_is_idempotent_and_updates_their_details(client):
    await client.person(2001, "王书记", label="包村干部 · 石桥村")
    await client.person(2001, "王书记", label="包村干部 · 石桥村、河湾村", language_code="en")

    users = await client.users()

    assert users == [{"id": 2001, "first_name": "王书记", "last_name": None, "username": None, "language_code": "en",
                      "label": "包村干部 · 石桥村、河湾村", "started": False}]


async def test_sending_marks_the_person_as_having_started_the_bot(client):
    person = await client.person(1001, "张大爷")

    await person.start("v_shiqiao")

    assert (await client.users())[0]["started"] is True


async def test_start_with_a_payload_is_a_bot_command_message(client):
    person = await client.person(1001, "张大爷")

    message = await person.start("v_shiqiao")

    assert message["text"] == "/start v_shiqiao"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from_bot"] is False and message["from"]["id"] == 1001


async def test_a_person_can_send_photo_voice_sticker_document_and_location(client, sandbox):
    person = await client.person(1001, "张大爷")

    photo = await person.send_photo(caption="现场照片")
    voice = await person.send_voice()
    sticker = await person.send_sticker()
    document = await person.send_document()
    location = await person.send_location(28.23, 112.94)
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        image = await http.get(f"/sandbox/files/{photo['photo'][-1]['file_id']}")

    assert photo["caption"] == "现场照片" and image.content.startswith(b"\x89PNG")
    assert voice["voice"]["duration"] > 0 and sticker["sticker"]["type"] == "regular"
    assert document["document"]["file_name"].endswith(".txt")
    assert location["location"] == {"latitude": 28.23, "longitude": 112.94}


async def test_an_empty_send_is_rejected(client):
    person = await client.person(1001, "张大爷")

    answer = await client.http.post("/sandbox/users/1001/send", json={})

    assert answer.status_code == 400 and person.id == 1001


async def test_sending_as_someone_not_registered_is_not_found(client):
    answer = await client.http.post("/sandbox/users/5555/send", json={"text": "hi"})

    assert answer.status_code == 404


async def test_the_chat_lists_both_directions_in_order_with_edits_and_deletions(bot, client, villager):
    said = await villager.say("路灯不亮")
    answer = await bot.send_message(villager.id, "<b>已受理</b>", reply_markup=KEYBOARD)
    await bot.edit_message_text("已办结", chat_id=villager.id, message_id=answer.message_id)
    await bot.delete_message(villager.id, said["message_id"])

    chat = await villager.messages()

    assert [(m["message_id"], m["from_bot"]) for m in chat] == [(1, False), (2, False), (3, True)]
    assert chat[1]["deleted"] is True
    assert (chat[2]["text"], chat[2]["edited"], chat[2].get("reply_markup")) == ("已办结", True, None)


async def test_messages_after_a_seq_are_only_those_changed_since(bot, client, villager):
    first = await bot.send_message(villager.id, "一")
    seen = (await villager.messages())[-1]["seq"]
    await bot.send_message(villager.id, "二")
    await bot.edit_message_text("一（改）", chat_id=villager.id, message_id=first.message_id)

    changed = await client.messages(villager.id, after=seen)

    assert [m["text"] for m in changed] == ["一（改）", "二"]


async def test_pressing_by_button_text_queues_a_callback_and_tracks_the_answer(bot, client, villager):
    sent = await bot.send_message(villager.id, "新案件", reply_markup=KEYBOARD)

    pressed = await client.request("POST", f"/users/{villager.id}/press",
                                   json={"message_id": sent.message_id, "text": "转办"})
    waiting = await client.unanswered()
    await bot.answer_callback_query(pressed["query_id"], text="已转办")

    assert pressed["data"] == "move"
    assert [q["id"] for q in waiting] == [pressed["query_id"]]
    assert await client.unanswered() == []


async def test_pressing_a_button_that_is_not_there_is_rejected(bot, client, villager):
    sent = await bot.send_message(villager.id, "新案件", reply_markup=KEYBOARD)

    answer = await client.http.post(f"/sandbox/users/{villager.id}/press",
                                    json={"message_id": sent.message_id, "text": "不存在"})

    assert answer.status_code == 400


async def test_the_call_log_can_be_filtered_by_method(bot, client, villager):
    await bot.get_me()
    await bot.send_message(villager.id, "一")
    await bot.send_message(villager.id, "二")

    sends = await client.calls("sendMessage")
    everything = await client.calls()

    assert [c["params"]["text"] for c in sends] == ["一", "二"]
    assert [c["method"] for c in everything] == ["getMe", "sendMessage", "sendMessage"]


async def test_upload_calls_are_logged_with_the_files_name_and_size(bot, client, villager):
    await bot.send_document(villager.id, BufferedInputFile(b"12345", filename="ledger.xlsx"))

    call = (await client.calls("sendDocument"))[0]

    assert list(call["files"].values()) == [{"filename": "ledger.xlsx", "size": 5}]


async def test_poll_returns_events_after_a_seq_and_waits_for_new_ones(bot, client, villager):
    start = await client.request("GET", "/poll", params={"after": -1})
    waiting = asyncio.create_task(client.request("GET", "/poll", params={"after": start["seq"], "timeout": 20}))
    await asyncio.sleep(0.05)

    await bot.send_message(villager.id, "新消息")
    answer = await waiting

    assert [e["type"] for e in answer["events"]] == ["message"]
    assert answer["events"][0]["message"]["text"] == "新消息"


async def test_server_sent_events_stream_the_changes(bot, sandbox, villager):
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10) as http:
        async with http.stream("GET", "/sandbox/events", params={"after": 0}) as stream:
            await bot.send_message(villager.id, "推送")
            events = []
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[6:]))
                if any(e["type"] == "message" and e["message"]["from_bot"] for e in events):
                    break

    assert events[-1]["message"]["text"] == "推送"


async def test_the_chat_page_is_served_at_the_root(sandbox):
    async with httpx.AsyncClient(base_url=sandbox.base_url) as http:
        page = await http.get("/")

    assert page.status_code == 200
    assert "Noto Sans CJK SC" in page.text and "<script>" in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "")  # nothing fetched from outside
