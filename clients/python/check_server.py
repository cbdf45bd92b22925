"""Drives a running tutti server with the Python client and prints a JSON summary (used by
test/python-client.e2e.test.ts, which compares the answers with onnxruntime and kills the batcher
while the loop below runs).

    python3 check_server.py ENDPOINT CASES.json [--curve SERVER_PUBLIC PUBLIC SECRET] [--loop N]

CASES.json: {"pixels": [[64 floats], ...], "expected": [[10 floats], ...]}.
"""
import json
import sys
import time
from concurrent.futures import wait

import numpy as np

from tutti_client import TuttiClient, TuttiError


def main() -> None:
    endpoint, cases_path = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    curve = None
    if "--curve" in args:
        k = args.index("--curve")
        curve = {"server_public_key": args[k + 1], "public_key": args[k + 2], "secret_key": args[k + 3]}
    loop = int(args[args.index("--loop") + 1]) if "--loop" in args else 0
    cases = json.load(open(cases_path))
    pixels = np.array(cases["pixels"], dtype=np.float32)
    expected = np.array(cases["expected"], dtype=np.float64)
    summary: dict = {}
    with TuttiClient(endpoint, timeout=20.0, curve=curve) as client:
        summary["model"] = client.metadata()["name"]
        summary["ready"] = client.health()["ready"]
        summary["direct"] = client.direct_replies
        # Many in flight, one row each, then all rows in one request with every member's outputs.
        futures = [client.infer_async({"pixels": pixels[k : k + 1]}) for k in range(len(pixels))]
        diffs = [float(np.abs(f.result().outputs["probabilities"][0] - expected[k]).max()) for k, f in enumerate(futures)]
        whole = client.infer({"pixels": pixels}, members=True)
        diffs.append(float(np.abs(whole.outputs["probabilities"] - expected).max()))
        summary["max_diff"] = max(diffs)
        summary["members"] = sorted(whole.members or {})
        try:
            client.infer({"pixels": np.zeros((1, 63), dtype=np.float32)})
            summary["bad_shape"] = "answered"
        except TuttiError as error:
            summary["bad_shape"] = error.code
        if loop:
            # Closed loop, 16 in flight, until `loop` answers: the test kills the batcher meanwhile.
            print("LOOP", flush=True)
            done, failed, wrong = 0, {}, 0
            in_flight = {client.infer_async({"pixels": pixels[k : k + 1]}): k for k in range(16)}
            started = time.monotonic()
            while done < loop and time.monotonic() - started < 60:
                finished, _ = wait(list(in_flight), return_when="FIRST_COMPLETED")
                for future in finished:
                    k = in_flight.pop(future)
                    try:
                        result = future.result()
                        done += 1
                        if np.abs(result.outputs["probabilities"][0] - expected[k]).max() >= 1e-5:
                            wrong += 1
                    except TuttiError as error:
                        failed[error.code] = failed.get(error.code, 0) + 1
                    k = (k + 16) % len(pixels)
                    in_flight[client.infer_async({"pixels": pixels[k : k + 1]})] = k
            wait(list(in_flight))
            summary["loop"] = {"answered": done, "wrong": wrong, "failed": failed}
        summary["counts"] = vars(client.reply_counts)
    # A server that is not there: the client's own timer answers.
    with TuttiClient("tcp://127.0.0.1:9", timeout=0.3, direct_replies=False) as nobody:
        try:
            nobody.health()
            summary["nobody"] = "answered"
        except TuttiError as error:
            summary["nobody"] = error.code
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
