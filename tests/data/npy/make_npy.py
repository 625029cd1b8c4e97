# Regenerates the .npy fixtures used by tests/runtime/npy_test.cpp.
# Run from this folder: /usr/bin/python3 make_npy.py  (numpy 1.24)
import numpy as np
from numpy.lib import format as fmt

np.save("f32_2x3.npy", (np.arange(6, dtype="<f4") * 0.5 - 1.0).reshape(2, 3))
np.save("f64_4.npy", np.array([1.5, -2.25, 3e300, -0.0], dtype="<f8"))
np.save("i32_2x2.npy", np.array([[1, -2], [2147483647, -2147483648]], dtype="<i4"))
np.save("i64_3.npy", np.array([0, -1, 9007199254740993], dtype="<i8"))
np.save("bool_2x2.npy", np.array([[True, False], [False, True]]))
np.save("f64_scalar.npy", np.array(2.5, dtype="<f8"))
np.save("f32_0x3.npy", np.zeros((0, 3), dtype="<f4"))
np.save("f32_fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype="<f4").reshape(2, 3)))
np.save("i32_fortran_2x3x2.npy", np.asfortranarray(np.arange(12, dtype="<i4").reshape(2, 3, 2)))
for version in [(2, 0), (3, 0)]:
    with open("f32_v%d.npy" % version[0], "wb") as f:
        fmt.write_array(f, np.array([1.0, 2.0, 3.0], dtype="<f4"), version=version)
np.save("f32_bigendian.npy", np.array([1.0, 2.0], dtype=">f4"))
np.save("u8.npy", np.array([1, 0], dtype="u1"))
