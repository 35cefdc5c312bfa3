"""Load without browsers: N websocket clients speak Streamlit's own protocol to the Draw page.

Each client opens ``/_stcore/stream`` like a browser tab, runs the app once, then, until the time is
up, sends the canvas's mouse-up payload (a drawn MNIST test digit as the component's PNG data URL)
as a rerun of the Draw page's fragment, waits for the "Prediction" metric in the reply, checks it
against the digit, and reads the rest of the rerun. Without 20 browsers on the same 2 cores, the
app itself is the bottleneck, so a few minutes make thousands of readings: enough to see whether
the server's memory grows per reading. Loopback only; bounded in time; it stops by itself.

    .venv/bin/python -m bench.bench_load_ws --clients 20 --seconds 180

Prints readings, wrong readings, errors, latency from send to "Prediction" (p50/p99), and the
server's RSS against the number of readings (least-squares slope after a warm-up third), and
writes bench/out/load_ws.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

from bench.bench_load import rss_mb
from bench.support import percentile, write_result
from tests.support import inputs
from tests.support.browser import AppServer, copy_default_registry
from tests.support.inputs import canvas_payload


def drawings(root: Path, n: int = 40) -> list[tuple[str, int]]:
    """(canvas payload JSON, digit) for MNIST test digits drawn on the canvas that the model reads right alone."""
    from mnist_core.data import load_dataset
    from mnist_core.inference import Predictor

    model = Predictor.load(root=root)
    data = load_dataset()
    cases = []
    for i in range(200):
        rgba = inputs.canvas_rgba(data.x_test[i], i, size=336, stroke_width=24, background=(255, 255, 255), colour=(17, 17, 17))
        digit = int(data.y_test[i])
        if model.read_canvas(rgba).digit != digit:
            continue
        cases.append((json.dumps(canvas_payload(rgba)), digit))
        if len(cases) == n:
            break
    return cases


def rerun(page_hash: str, fragment_id: str = "", widgets: list[WidgetState] | None = None) -> bytes:
    state = ClientState(
        query_string="", page_script_hash=page_hash, fragment_id=fragment_id, widget_states=WidgetStates(widgets=widgets or [])
    )
    return BackMsg(rerun_script=state).SerializeToString()


async def read_run(ws) -> tuple[dict, str | None]:
    """Messages until the run finishes: the canvas's widget id and fragment, and the "Prediction" (time, value)."""
    found: dict = {}
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            found["page_hash"] = msg.new_session.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "bidi_component":
                found["canvas"], found["fragment"] = element.bidi_component.id, msg.delta.fragment_id
            elif element.WhichOneof("type") == "metric" and element.metric.label == "Prediction":
                found["prediction"] = (time.perf_counter(), element.metric.body)
        elif kind == "script_finished":
            return found, None
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            return found, "the script failed to compile"


async def client(url: str, cases: list, offset: int, clock: dict, results: dict) -> None:
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=120) as ws:
            await ws.send(rerun(""))
            first, _ = await read_run(ws)
            page_hash, canvas, fragment = first["page_hash"], first["canvas"], first["fragment"]
            results["ready"] += 1
            await clock["start"].wait()
            i = offset
            while time.monotonic() < clock["deadline"]:
                payload, digit = cases[i % len(cases)]
                i += 1
                sent = time.perf_counter()
                await ws.send(rerun(page_hash, fragment, [WidgetState(id=canvas, json_value=payload)]))
                run, error = await asyncio.wait_for(read_run(ws), timeout=120)
                if error or "prediction" not in run:
                    results["errors"].append(error or "a rerun without a Prediction")
                    continue
                shown_at, value = run["prediction"]
                results["latency"].append(shown_at - sent)
                if value != str(digit):
                    results["wrong"].append((digit, value))
    except Exception as exc:  # counted, not hidden
        results["errors"].append(f"{type(exc).__name__}: {str(exc)[:200]}")


def slope_kb_per_reading(samples: list[tuple[float, int, float]]) -> float:
    """Least-squares slope of RSS (MB) against readings served, after the first third, in KB per reading."""
    tail = samples[len(samples) // 3 :]
    readings = np.array([s[1] for s in tail], dtype=float)
    rss = np.array([s[2] for s in tail])
    if len(tail) < 3 or np.ptp(readings) == 0:
        return float("nan")
    return float(np.polyfit(readings, rss, 1)[0] * 1024)


async def main_async(args) -> dict:
    root = copy_default_registry(Path(tempfile.mkdtemp()) / "models")
    cases = drawings(root)
    server = AppServer(root)
    results = {"latency": [], "wrong": [], "errors": [], "ready": 0}
    samples: list[tuple[float, int, float]] = []  # (seconds, readings so far, RSS MB)
    clock = {"start": asyncio.Event(), "deadline": 0.0}
    url = server.url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    try:
        tasks = [asyncio.create_task(client(url, cases, k * 7, clock, results)) for k in range(args.clients)]
        while results["ready"] + len(results["errors"]) < args.clients:
            await asyncio.sleep(0.2)
        rss_start = rss_mb(server.proc.pid)
        began = time.monotonic()
        clock["deadline"] = began + args.seconds
        clock["start"].set()
        while not all(t.done() for t in tasks):
            samples.append((round(time.monotonic() - began, 1), len(results["latency"]), round(rss_mb(server.proc.pid), 1)))
            await asyncio.sleep(2)
        samples.append((round(time.monotonic() - began, 1), len(results["latency"]), round(rss_mb(server.proc.pid), 1)))
    finally:
        server.stop()
    lat = sorted(results["latency"])
    third = max(1, len(samples) // 3)
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "readings": len(lat),
        "readings_per_second": round(len(lat) / args.seconds, 1),
        "wrong": len(results["wrong"]),
        "wrong_examples": results["wrong"][:5],
        "errors": len(results["errors"]),
        "error_examples": results["errors"][:5],
        "latency_ms": {
            "p50": round(percentile(lat, 50) * 1000, 1),
            "p99": round(percentile(lat, 99) * 1000, 1),
            "max": round(max(lat, default=0) * 1000, 1),
        },
        "rss_mb": {
            "before_timing": round(rss_start, 1),
            "first_third_mean": round(statistics.mean(s[2] for s in samples[:third]), 1),
            "last_third_mean": round(statistics.mean(s[2] for s in samples[-third:]), 1),
            "max": max(s[2] for s in samples),
            "slope_kb_per_reading_after_warmup": round(slope_kb_per_reading(samples), 3),
        },
        "load_average_1min_after": round(os.getloadavg()[0], 2),
        "samples_seconds_readings_rss": samples,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--seconds", type=int, default=180)
    result = asyncio.run(main_async(p.parse_args()))
    write_result("load_ws", result)
    print(json.dumps({k: v for k, v in result.items() if k != "samples_seconds_readings_rss"}, indent=2))


if __name__ == "__main__":
    main()
