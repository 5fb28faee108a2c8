# A mail server that nobody here wrote: aiosmtpd from PyPI (pip install aiosmtpd),
# run by the tests to receive one message from smtp_client. It reads the message
# with Python's own email parser and prints what a mail reader would see.
# usage: python3 aiosmtpd_receive.py   (prints "listening on 127.0.0.1:PORT" first)
import asyncio
import email
import email.policy
import email.utils
import re
import time

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, done):
        self.done = done

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        print("envelope:", envelope.mail_from, "->", ", ".join(envelope.rcpt_tos))
        date = email.utils.parsedate_to_datetime(message["Date"])
        print("date has a zone:", date.tzinfo is not None)
        print("date is now:", abs(date.timestamp() - time.time()) < 600)
        message_id = message["Message-ID"]
        well_formed = re.fullmatch(r"<[^<>@\s]+@[^<>@\s]+>", message_id)
        print("message-id well formed:", well_formed is not None)
        print("message-id domain:", message_id.rsplit("@", 1)[-1].rstrip(">"))
        print("subject:", message["Subject"])
        header_bytes = raw.split(b"\r\n\r\n", 1)[0]
        print("headers are ASCII:", header_bytes.isascii())
        print("header lines at most 78:", max(map(len, header_bytes.split(b"\r\n"))) <= 78)
        body = message.get_content().replace("\r\n", "\n").rstrip("\n")
        print("body:", body.replace("\n", " / "))
        self.done.set()
        return "250 OK: received"


async def main():
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Handler(done), hostname="aiosmtpd.test"),
        host="127.0.0.1",
        port=0,
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening on 127.0.0.1:{port}", flush=True)
    try:
        await asyncio.wait_for(done.wait(), timeout=60)
        await asyncio.sleep(0.5)  # the client's QUIT
    finally:
        server.close()


asyncio.run(main())
