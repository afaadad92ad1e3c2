"""Load test (not run in CI): concurrent API sessions against the real app, no state leaking between them.

Starts ``python app.py`` on a free 127.0.0.1 port with the tabs of cheap endpoints, makes every
distinct call once alone (the reference), then runs ``--sessions`` gradio_client sessions at once for
``--seconds``, each calling the endpoints in turn with its own seed, prompt and image, and checks that
every answer equals the same call made alone (images compared by their decoded pixels; texts, which
carry timings, are not compared). Prints successes, errors, mismatches, p50/p95 latency and the
server's peak resident memory (VmHWM).

    .venv/bin/python benchmarks/load_test.py --sessions 20 --seconds 120
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = "stylegan2,text_to_image,srgan,lapgan,image_translation,emoji"
PROMPTS = ["a woman with curly hair and dark skin tone", "a bald man with light skin tone",
           "a man with red hair and medium skin tone", "a girl with blond hair", "an old man with a beard"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_image(folder: Path, session: int) -> Path:
    """A small picture of its own for each session (32 px: a cheap upscale and translation)."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(session)
    path = folder / f"session{session}.png"
    Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(path)
    return path


def calls_of(session: int, image: str) -> list[tuple[str, dict]]:
    """The calls one session makes, in turn: its own seed, prompt and image in each."""
    from gradio_client import handle_file

    return [
        ("/stylegan2_generate", {"seeds": str(1000 + 7 * session), "psi": 0.7}),
        ("/text_to_image_generate", {"prompt": PROMPTS[session % len(PROMPTS)], "seed": 13 * session, "n": 2}),
        ("/srgan_upscale", {"photo": handle_file(image), "tile": 256}),
        ("/lapgan_generate", {"seed": 31 * session, "how_many": 2}),
        ("/image_translation_cyclegan", {"image": handle_file(image)}),
    ]


def fingerprint(value) -> object:
    """What must be equal between two answers: the pixels of every image file, numbers; not texts."""
    if isinstance(value, (list, tuple)):
        return tuple(fingerprint(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, fingerprint(v)) for k, v in sorted(value.items()) if k in ("image", "value", "path"))
    if isinstance(value, str) and len(value) < 4096 and os.path.isfile(value):
        try:
            from PIL import Image

            with Image.open(value) as img:
                return ("image", img.size, hashlib.sha256(img.tobytes()).hexdigest())
        except Exception:
            return ("file", hashlib.sha256(Path(value).read_bytes()).hexdigest())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--threads", type=int, default=1, help="torch threads of the server")
    args = parser.parse_args(argv)

    from gradio_client import Client

    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE=os.environ.get("HF_HUB_OFFLINE", "1"), OMP_NUM_THREADS=str(args.threads),
               GRADIO_ANALYTICS_ENABLED="False")
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--threads",
                               str(args.threads), "--plugins", PLUGINS], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        start = time.monotonic()
        while True:
            try:
                Client(url, verbose=False)
                break
            except Exception:
                if server.poll() is not None or time.monotonic() - start > 300:
                    print("the server did not start")
                    return 1
                time.sleep(1)
        print(f"server up in {time.monotonic() - start:.0f} s (pid {server.pid}), {args.sessions} sessions, "
              f"{args.seconds:.0f} s, plugins {PLUGINS}")
        folder = Path(tempfile.mkdtemp(prefix="ganhub-load-"))
        plans = {s: calls_of(s, str(session_image(folder, s))) for s in range(args.sessions)}

        alone = Client(url, verbose=False)
        reference: dict[tuple[int, int], object] = {}
        t0 = time.monotonic()
        for session, calls in plans.items():
            for index, (name, kwargs) in enumerate(calls):
                reference[(session, index)] = fingerprint(alone.predict(api_name=name, **kwargs))
        with_images = sum("'image'" in repr(value) for value in reference.values())
        print(f"{len(reference)} reference calls made alone in {time.monotonic() - t0:.0f} s "
              f"({with_images} of them with images to compare)")

        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []
        mismatches: list[str] = []
        per_endpoint: dict[str, list[float]] = {}
        deadline = time.monotonic() + args.seconds

        def run(session: int) -> None:
            client = Client(url, verbose=False)
            calls = plans[session]
            turn = session  # sessions start on different endpoints
            while time.monotonic() < deadline:
                index = turn % len(calls)
                name, kwargs = calls[index]
                turn += 1
                began = time.monotonic()
                try:
                    result = fingerprint(client.predict(api_name=name, **kwargs))
                except Exception as exc:
                    with lock:
                        errors.append(f"{name} (session {session}): {type(exc).__name__}: {str(exc)[:120]}")
                    continue
                took = time.monotonic() - began
                with lock:
                    latencies.append(took)
                    per_endpoint.setdefault(name, []).append(took)
                    if result != reference[(session, index)]:
                        mismatches.append(f"{name} (session {session})")

        workers = [threading.Thread(target=run, args=(s,)) for s in range(args.sessions)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

        def pct(values: list[float], q: float) -> float:
            return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else (values[0] if values else float("nan"))

        print(f"successes {len(latencies)}, errors {len(errors)}, mismatches {len(mismatches)}")
        if latencies:
            print(f"latency p50 {pct(latencies, 50):.2f} s, p95 {pct(latencies, 95):.2f} s, "
                  f"throughput {len(latencies) / args.seconds:.2f} calls/s")
        for name, values in sorted(per_endpoint.items()):
            print(f"  {name}: {len(values)} calls, p50 {pct(values, 50):.2f} s, p95 {pct(values, 95):.2f} s")
        print(f"server peak RSS {peak_rss_mb(server.pid):.0f} MB")
        for line in (errors[:10] + mismatches[:10]):
            print("  " + line)
        return 0 if not errors and not mismatches else 1
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
