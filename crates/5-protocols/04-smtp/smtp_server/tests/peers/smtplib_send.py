# Sends one message with Python's smtplib, the way a program sends mail (run by the
# tests). usage: python3 smtplib_send.py PORT FROM TO... < message Prints the
# server's EHLO features, then what each recipient got, then the QUIT reply.
import smtplib
import sys

port = int(sys.argv[1])
sender = sys.argv[2]
recipients = sys.argv[3:]
message = sys.stdin.buffer.read()

with smtplib.SMTP("127.0.0.1", port, timeout=10) as server:
    server.ehlo("python.test")
    print("features:", " ".join(sorted(server.esmtp_features)))
    try:
        refused = server.sendmail(sender, recipients, message)
        print("refused:", refused)
    except smtplib.SMTPRecipientsRefused as e:
        print("all refused:", {r: c for r, (c, _) in e.recipients.items()})
    except smtplib.SMTPSenderRefused as e:
        print("sender refused:", e.smtp_code)
    except smtplib.SMTPDataError as e:
        print("data refused:", e.smtp_code)
    code, _ = server.quit()
    print("quit:", code)
