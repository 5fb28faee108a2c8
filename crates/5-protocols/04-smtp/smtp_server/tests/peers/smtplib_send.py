# Sends one message with Python's smtplib, the way a program sends mail (run by the
# tests). usage: python3 smtplib_send.py [--OPTION]... PORT FROM TO... < message
# Each --OPTION (--BODY=8BITMIME) goes with MAIL FROM, after the SIZE= smtplib adds.
# Prints the server's EHLO features, then what each recipient got, then the QUIT
# reply.
import smtplib
import sys

args = sys.argv[1:]
mail_options = []
while args[0].startswith("--"):
    mail_options.append(args.pop(0)[2:])
port = int(args[0])
sender = args[1]
recipients = args[2:]
message = sys.stdin.buffer.read()

with smtplib.SMTP("127.0.0.1", port, timeout=10) as server:
    server.ehlo("python.test")
    print("features:", " ".join(sorted(server.esmtp_features)))
    try:
        refused = server.sendmail(sender, recipients, message, mail_options)
        print("refused:", refused)
    except smtplib.SMTPRecipientsRefused as e:
        print("all refused:", {r: c for r, (c, _) in e.recipients.items()})
    except smtplib.SMTPSenderRefused as e:
        print("sender refused:", e.smtp_code)
    except smtplib.SMTPDataError as e:
        print("data refused:", e.smtp_code)
    code, _ = server.quit()
    print("quit:", code)
