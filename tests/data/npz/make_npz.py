# Writes the .npz fixtures read by tests/runtime/data_io_test.cpp.
# Run with Debian's NumPy: cd tests/data/npz && /usr/bin/python3 make_npz.py
import numpy as np

arrays = {
    "a": (np.arange(6, dtype=np.float32) * 0.5).reshape(2, 3),
    "b": np.array([-1, 0, 7], dtype=np.int64),
    "mask": np.array([[True, False], [False, True]]),
    "ramp": np.arange(1000, dtype=np.float64) * 0.25,
}
np.savez("stored.npz", **arrays)             # method 0 (stored) entries
np.savez_compressed("deflated.npz", **arrays)  # method 8 (deflate) entries
np.savez("u8.npz", x=np.zeros(3, dtype=np.uint8))  # a dtype netjit rejects
