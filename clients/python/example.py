"""The README's example: one digit to a running `tutti serve ensembles/digits`, and its answer."""
import numpy as np

from tutti_client import TuttiClient

with TuttiClient("tcp://127.0.0.1:5555", timeout=10.0) as client:
    print("members:", ", ".join(client.metadata()["members"]))
    # An 8x8 digit, pixels 0..16: a rough zero.
    zero = np.array([[0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0, 0, 3, 15, 2, 0, 11, 8, 0, 0, 4, 12, 0, 0, 8, 8, 0,
                      0, 5, 8, 0, 0, 9, 8, 0, 0, 4, 11, 0, 1, 12, 7, 0, 0, 2, 14, 5, 10, 12, 0, 0, 0, 0, 6, 13, 10, 0, 0, 0]], dtype=np.float32)
    result = client.infer({"pixels": zero})
    probabilities = result.outputs["probabilities"][0]
    print("answer:", int(probabilities.argmax()), "with probability", round(float(probabilities.max()), 3), "(batch", result.batch_id, ")")
