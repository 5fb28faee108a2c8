# A program that connects with smtplib, then waits before it sends (run by the
# tests, which stop the server in between). usage: python3 smtplib_late.py PORT
# Prints "ready" after EHLO, waits for a line on stdin, tries to send one message
# and prints what smtplib made of the server's answer.
import smtplib
import sys

port = int(sys.argv[1])
server = smtplib.SMTP("127.0.0.1", port, timeout=10)
server.ehlo("python.test")
print("ready", flush=True)
sys.stdin.readline()
try:
    message = b"Subject: late\r\n\r\nhi\r\n"
    server.sendmail("py@example.org", ["bob@localhost"], message)
    print("sent")
except smtplib.SMTPSenderRefused as e:
    print("sender refused:", e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPServerDisconnected as e:
    print("disconnected:", e)
