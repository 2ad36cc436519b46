"""A real SMTP server for firstline's delivery tests: aiosmtpd on 127.0.0.1.

    python3 smtp_server.py PORT OUTDIR [CERT KEY]

Every message it accepts is written to OUTDIR as N.eml (with its envelope in
N.env). A recipient whose address starts with "reject" is refused with 550; a
message whose body holds DROP-CONNECTION makes the server hang up before it
answers the data, as a crashing server or a dropped link does. With CERT and KEY
(PEM files) it offers STARTTLS and refuses mail before it. Prints "ready" once it
listens.
"""

import os
import ssl
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("reject"):
            return "550 5.1.1 <%s>: no such mailbox here" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"DROP-CONNECTION" in envelope.content:
            server.transport.abort()
            return "421 gone"
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        with open(base + ".env.tmp", "w") as f:
            f.write("MAIL FROM:%s\n" % envelope.mail_from)
            for rcpt in envelope.rcpt_tos:
                f.write("RCPT TO:%s\n" % rcpt)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.content)
        os.rename(base + ".env.tmp", base + ".env")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Message accepted for delivery"


def main():
    port, out = int(sys.argv[1]), sys.argv[2]
    tls = {}
    if len(sys.argv) > 4:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        tls = {"tls_context": context, "require_starttls": True}
    controller = Controller(Handler(out), hostname="127.0.0.1", port=port, **tls)
    controller.start()
    print("ready", flush=True)
    try:
        sys.stdin.read()  # runs until the test closes our stdin or kills us
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
