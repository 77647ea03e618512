"""Presigned requests for tests/interop/browser.sh, made with boto3 at its defaults
(path-style, SigV4, us-east-1), credentials from the environment.

usage: presign.py ENDPOINT ORIGIN OUT_JSON FORM_HTML

Writes OUT_JSON with two presigned POST policies (url + fields) and a presigned GET URL,
and FORM_HTML: a plain HTML form (no script) posting to coffer with the second policy's
fields as hidden inputs, the file input last, redirecting to ORIGIN/done.html.
"""
import html
import json
import sys

import boto3
from botocore.config import Config

endpoint, origin, out_json, form_html = sys.argv[1:5]
s3 = boto3.client(
    "s3",
    endpoint_url=endpoint,
    region_name="us-east-1",
    config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
)

# The fetch upload: 201 with a PostResponse document.
post = s3.generate_presigned_post(
    Bucket="uploads",
    Key="incoming/${filename}",
    Fields={"success_action_status": "201", "Content-Type": "text/plain", "x-amz-meta-note": "from-browser"},
    Conditions=[
        {"success_action_status": "201"},
        ["starts-with", "$key", "incoming/"],
        ["content-length-range", 1, 1048576],
        {"Content-Type": "text/plain"},
        {"x-amz-meta-note": "from-browser"},
    ],
    ExpiresIn=600,
)

# The plain form upload: a 303 to success_action_redirect with bucket, key and etag.
redirect = origin + "/done.html"
form_post = s3.generate_presigned_post(
    Bucket="uploads",
    Key="incoming/form-${filename}",
    Fields={"success_action_redirect": redirect, "Content-Type": "text/plain", "x-amz-meta-note": "from-browser"},
    Conditions=[
        {"success_action_redirect": redirect},
        ["starts-with", "$key", "incoming/form-"],
        ["content-length-range", 1, 1048576],
        {"Content-Type": "text/plain"},
        {"x-amz-meta-note": "from-browser"},
    ],
    ExpiresIn=600,
)

get_url = s3.generate_presigned_url(
    "get_object", Params={"Bucket": "uploads", "Key": "incoming/hello.txt"}, ExpiresIn=600
)

with open(out_json, "w") as f:
    json.dump({"post": post, "formPost": form_post, "getUrl": get_url}, f, indent=2)

inputs = "\n".join(
    f'  <input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in form_post["fields"].items()
)
with open(form_html, "w") as f:
    f.write(f"""<!doctype html>
<html>
<head><meta charset="utf-8"><link rel="icon" href="data:,"><title>coffer form upload</title></head>
<body>
<h1>Form upload to coffer</h1>
<form id="upload" method="post" action="{html.escape(form_post['url'])}" enctype="multipart/form-data">
{inputs}
  <input type="file" name="file">
  <input type="submit" id="send" value="Upload">
</form>
</body>
</html>
""")
