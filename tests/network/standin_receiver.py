"""A stand-in NSW endpoint for the fault tests, run by uvicorn as a process of its own.

It sits between the hub and a real NSW endpoint. ``SWX_STANDIN_ROUTES`` (JSON) maps a path
prefix to the real endpoint behind it and how to misbehave; the network directory points a
country at ``http://<stand-in>/<prefix>``, so the hub posts to ``/<prefix>/inbox``::

    {"vn": {"target": "http://127.0.0.1:8116", "behaviour": "flaky"}}

- ``flaky``: every second call answers 500 and passes nothing on;
- ``slow``: every second call is passed on, but its answer is held ``SWX_STANDIN_HOLD``
  seconds, past the hub's delivery timeout (the receiver has the message; the hub never
  hears so);
- ``tamper``: a man in the middle: the last digit of the payload goes one up (the
  envelope's digest and signature are left as the sender made them), then it is passed on;
- ``pass``: passed on as it came.

``GET /calls`` says, per prefix, how many calls came and how many were passed on.
"""

import asyncio
import json
import os
import re
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

LAST_DIGIT = re.compile(r"(\d)(?=\D*$)")


def tampered(body: bytes) -> bytes:
    envelope = json.loads(body)
    envelope["payload"] = LAST_DIGIT.sub(lambda m: str((int(m.group(1)) + 1) % 10), envelope["payload"])
    return json.dumps(envelope).encode("utf-8")


def create_app() -> Starlette:
    routes: dict[str, dict[str, str]] = json.loads(os.environ["SWX_STANDIN_ROUTES"])
    hold = float(os.environ.get("SWX_STANDIN_HOLD", "5"))
    calls: Counter[str] = Counter()
    passed_on: Counter[str] = Counter()
    clients: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=30.0) as client:
            clients["real"] = client
            yield

    async def pass_on(prefix: str, request: Request, body: bytes) -> Response:
        passed_on[prefix] += 1
        headers = {"Authorization": request.headers.get("authorization", ""),
                   "Content-Type": request.headers.get("content-type", "application/json")}
        answer = await clients["real"].post(f"{routes[prefix]['target'].rstrip('/')}/inbox", content=body,
                                            headers=headers)
        return Response(answer.content, status_code=answer.status_code,
                        media_type=answer.headers.get("content-type"))

    async def inbox(request: Request) -> Response:
        prefix = request.path_params["prefix"]
        if prefix not in routes:
            return JSONResponse({"detail": f"no route {prefix}"}, status_code=404)
        calls[prefix] += 1
        call = calls[prefix]  # this call's number: others arrive while this one awaits
        behaviour, body = routes[prefix]["behaviour"], await request.body()
        if behaviour == "flaky" and call % 2 == 0:
            return JSONResponse({"status": 500, "detail": "stand-in: flaky"}, status_code=500)
        if behaviour == "tamper":
            body = tampered(body)
        answer = await pass_on(prefix, request, body)
        if behaviour == "slow" and call % 2 == 0:
            await asyncio.sleep(hold)
        return answer

    async def counts(request: Request) -> JSONResponse:
        return JSONResponse({prefix: {"calls": calls[prefix], "passed_on": passed_on[prefix]} for prefix in routes})

    return Starlette(routes=[Route("/{prefix}/inbox", inbox, methods=["POST"]), Route("/calls", counts)],
                     lifespan=lifespan)
