"""Unit tests of the Python client's pure parts: tensors to and from the wire, the direct-reply
endpoint, option checks. Run: python3 -m unittest test_tutti_client (test/python-client.e2e.test.ts does)."""
import unittest

import numpy as np

from tutti_client import TuttiClient, direct_reply_endpoint, from_wire, to_wire


class Tensors(unittest.TestCase):
    def test_round_trip_every_datatype(self):
        for dtype in [np.float32, np.float64, np.float16, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.bool_]:
            array = (np.arange(6) % 2 == 0) if dtype is np.bool_ else np.arange(6, dtype=dtype)
            array = array.reshape(2, 3)
            wire = to_wire("x", array)
            self.assertEqual(wire["shape"], [2, 3])
            self.assertEqual(len(wire["data"]), array.nbytes)
            back = from_wire(wire)
            self.assertEqual(back.dtype, array.dtype)
            np.testing.assert_array_equal(back, array)

    def test_little_endian_on_the_wire(self):
        big = np.array([1.5, -2.0], dtype=">f4")
        wire = to_wire("x", big)
        self.assertEqual(wire["datatype"], "FP32")
        self.assertEqual(wire["data"], np.array([1.5, -2.0], dtype="<f4").tobytes())

    def test_non_contiguous_input_is_sent_in_row_major_order(self):
        array = np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2]
        np.testing.assert_array_equal(from_wire(to_wire("x", array)), array)

    def test_refuses_a_dtype_tutti_does_not_know(self):
        with self.assertRaisesRegex(TypeError, "input 'x': dtype complex64 has no tutti datatype"):
            to_wire("x", np.zeros(2, dtype=np.complex64))


class Endpoints(unittest.TestCase):
    def test_keeps_the_host_the_client_used_and_takes_the_advertised_port(self):
        self.assertEqual(direct_reply_endpoint("tcp://10.0.0.7:5555", "tcp://0.0.0.0:5556"), "tcp://10.0.0.7:5556")
        self.assertEqual(direct_reply_endpoint("ipc:///tmp/t.sock", "ipc:///tmp/t.sock.replies"), "ipc:///tmp/t.sock.replies")


class Options(unittest.TestCase):
    def test_checks_them_when_built(self):
        with self.assertRaisesRegex(ValueError, "timeout must be positive"):
            TuttiClient("tcp://127.0.0.1:9", timeout=0)
        with self.assertRaisesRegex(ValueError, "tries must be >= 1"):
            TuttiClient("tcp://127.0.0.1:9", tries=0)


if __name__ == "__main__":
    unittest.main()
