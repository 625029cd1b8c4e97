# Makes the .npy inputs of the netjit tool tests and prints the expected
# outputs (pasted into tests/tools/netjit_test.cpp). Run with
#   cd tests/data/tools && /usr/bin/python3 make_data.py
# Values are small dyadic numbers, so every float32 sum here is exact.
import numpy as np

x = np.array([[1.0, 2.0, -0.5], [0.25, -3.0, 4.0]], dtype=np.float32)
w = np.array([[0.5, -1.0], [2.0, 0.75], [-1.5, 3.0]], dtype=np.float32)
np.save("x.npy", x)
np.save("w.npy", w)
v = np.array([1.0, 2.0, 4.0], dtype=np.float64)
np.save("v.npy", v)
np.save("v_neg.npy", np.array([1.0, -2.0, 4.0]))  # log(-2) is NaN
np.save("x_i32.npy", x.astype(np.int32))

y = x @ w
print("affine total =", repr(float(y.sum(dtype=np.float32))))
print("affine y =", y.tolist())
print("affine updated w =", (w * w).tolist())
print("scaled (N=5) =", repr(float(v.sum() * 5)))
print("logsum =", repr(float(np.log(v).sum())))
