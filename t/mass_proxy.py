# mass_proxy.py: a forwarding HTTP proxy between a zone and its remote Mass (another zone's /mass), whose answers
# a test can rewrite, drop or delay, to play a Mass that misbehaves: a 201 without its id, garbage after the write
# happened, no answer at all, a slow answer. Every request it sees is logged with its Idempotency-Key.
#
#   proxy = MassProxy(b.url("/mass"))
#   proxy.rule("POST", "/v1/entities", MassProxy.replace(201, {"status": "ACTIVE"}))   # once, then forwards
#   ...; proxy.close()
#
# Actions (the request reaches the target first unless the name says otherwise):
#   replace(status, body)   the target's answer is replaced (body: a dict as JSON, or bytes as text/html)
#   answer(status, body)    that answer, and nothing is forwarded (the target never sees the request)
#   DROP                    the target's answer is dropped: the connection closes without one
#   REFUSE                  nothing is forwarded: the connection closes without an answer
#   delay(seconds)          the target's answer, that much later
#   then(fn)                fn(response, request headers) is called with the target's answer, which is then dropped
#                           (e.g. to kill the zone between its Mass write and its completion)
import http.server
import json
import threading
import time

import requests

from mez_harness import free_port


class MassProxy:
    DROP = ("drop",)
    REFUSE = ("refuse",)

    @staticmethod
    def replace(status, body):
        if isinstance(body, (dict, list)):
            return ("replace", status, json.dumps(body).encode(), "application/json")
        return ("replace", status, body, "text/html")

    @staticmethod
    def answer(status, body):
        return ("answer",) + MassProxy.replace(status, body)[1:]

    @staticmethod
    def delay(seconds):
        return ("delay", seconds)

    @staticmethod
    def then(fn):
        return ("then", fn)

    def __init__(self, target):
        self.target = target.rstrip("/")
        self.rules = []          # [method, path suffix, action, times left (-1: always)]
        self.log = []            # (method, path, Idempotency-Key, action name or None)
        self.lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                self.forward()

            def do_POST(self):
                self.forward()

            def do_PUT(self):
                self.forward()

            def forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                act = proxy._take(self.command, self.path)
                with proxy.lock:
                    proxy.log.append((self.command, self.path, self.headers.get("Idempotency-Key"),
                                      act[0] if act else None))
                if act == MassProxy.REFUSE:
                    self.close_connection = True
                    return
                if act and act[0] == "answer":
                    return self.answer(act[1], act[2], act[3])
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                r = requests.request(self.command, proxy.target + self.path, data=body or None, headers=headers,
                                     timeout=30)
                if act and act[0] == "then":
                    act[1](r, self.headers)
                if act == MassProxy.DROP or (act and act[0] == "then"):
                    self.close_connection = True
                    return
                if act and act[0] == "delay":
                    time.sleep(act[1])
                if act and act[0] == "replace":
                    return self.answer(act[1], act[2], act[3])
                self.answer(r.status_code, r.content, r.headers.get("Content-Type"))

            def answer(self, status, content, ctype):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype or "application/json")
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                except OSError:
                    pass         # the zone gave up waiting (its timeout): nothing to answer

        self.port = free_port()
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def rule(self, method, suffix, action, times=1):
        """The next `times` requests (-1: all) of method whose path ends with suffix get action."""
        with self.lock:
            self.rules.append([method, suffix, action, times])

    def clear(self):
        with self.lock:
            self.rules[:] = []
            self.log[:] = []

    def writes(self):
        """The logged requests that were not GETs: (method, path, Idempotency-Key, action)."""
        with self.lock:
            return [e for e in self.log if e[0] != "GET"]

    def _take(self, method, path):
        with self.lock:
            for rule in self.rules:
                if rule[0] == method and path.split("?")[0].endswith(rule[1]) and rule[3] != 0:
                    if rule[3] > 0:
                        rule[3] -= 1
                    return rule[2]
        return None

    def close(self):
        self.server.shutdown()
        self.server.server_close()
