"""Cold start of the hub: from ``python app.py`` to the first HTTP 200 on ``/``.

    python benchmarks/cold_start.py                 # 3 runs, every installed plugin
    python benchmarks/cold_start.py --runs 5 -- --plugins ""    # extra args go to app.py

Prints, per run: wall seconds to the first 200, the server's CPU seconds by then (less
sensitive to other load on a shared machine), whether torch was already loaded (it should
not be: nothing heavy before first use), and the 1-minute load average. Then an in-process
breakdown (import gradio / load plugins / build the app / launch).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _torch_loaded(pid: int) -> bool:
    return "libtorch" in Path(f"/proc/{pid}/maps").read_text()


def one_run(extra: list[str], timeout: float) -> dict[str, float | bool]:
    port = _free_port()
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False")
    load = os.getloadavg()[0]
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *extra], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - start < timeout:
            if process.poll() is not None:
                raise SystemExit(f"app.py exited with {process.returncode} before answering")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        wall = time.perf_counter() - start
                        return {"wall": wall, "cpu": _cpu_seconds(process.pid),
                                "torch": _torch_loaded(process.pid), "load": load}
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"no HTTP 200 within {timeout} s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def breakdown(extra: list[str]) -> None:
    code = (
        "import time, sys; t0 = time.perf_counter()\n"
        "import gradio; t1 = time.perf_counter()\n"
        "from hub.cli import build_parser, apply_env; apply_env(build_parser().parse_args(['serve', *sys.argv[1:]]))\n"
        "from hub.plugins import Hub, set_default_hub; hub = Hub(); set_default_hub(hub); t2 = time.perf_counter()\n"
        "from hub.app import build_app; app = build_app(hub=hub); t3 = time.perf_counter()\n"
        "app.launch(server_port=int(sys.argv[-1]), prevent_thread_lock=True, quiet=True, ssr_mode=False)\n"
        "t4 = time.perf_counter(); app.close()\n"
        "print(f'  import gradio {t1-t0:.2f} s | load plugins {t2-t1:.2f} s | build app {t3-t2:.2f} s | '\n"
        "      f'launch {t4-t3:.2f} s | torch imported: {\"torch\" in sys.modules}')\n"
        "for notice in hub.notices: print('  notice:', notice)\n"
    )
    port = str(_free_port())
    subprocess.run([sys.executable, "-c", code, *extra, "--port", port], cwd=ROOT,
                   env=dict(os.environ, GRADIO_ANALYTICS_ENABLED="False"), check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--no-breakdown", action="store_true")
    parser.add_argument("app_args", nargs="*", help="arguments for app.py (after --)")
    args = parser.parse_args()
    print(f"cold start: python app.py {' '.join(args.app_args)} -> first HTTP 200 on / "
          f"({os.cpu_count()} CPUs, {args.runs} runs)")
    runs = []
    for index in range(args.runs):
        run = one_run(args.app_args, args.timeout)
        runs.append(run)
        print(f"  run {index + 1}: {run['wall']:.2f} s wall, {run['cpu']:.2f} s CPU, "
              f"torch loaded: {run['torch']}, load average {run['load']:.1f}")
    print(f"median: {statistics.median(r['wall'] for r in runs):.2f} s wall, "
          f"{statistics.median(r['cpu'] for r in runs):.2f} s CPU (target: < 10 s)")
    if not args.no_breakdown:
        print("in-process breakdown:")
        breakdown(args.app_args)


if __name__ == "__main__":
    main()
