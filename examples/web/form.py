# A form POST (application/x-www-form-urlencoded), handled with the stdlib's urllib.parse.
import html
import os
import sys
from urllib.parse import parse_qs

print("Content-Type: text/html; charset=utf-8")
print()
if os.environ.get("REQUEST_METHOD") == "POST":
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    fields = parse_qs(sys.stdin.buffer.read(length).decode())
    name = fields.get("name", ["stranger"])[0]
    print(f"<p>Thanks, {html.escape(name)}!</p>")
else:
    print('<form method="post"><input name="name"><button>Send</button></form>')
