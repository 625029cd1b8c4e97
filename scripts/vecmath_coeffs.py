#!/usr/bin/env python3
"""Minimax coefficients for codegen/vecmath.cpp (a development tool).

Runs a linear Remez exchange in mpmath (60 digits) for the two polynomial
kernels of netjit's vector math and prints the coefficients as C++ hex-float
literals, rounded to float and to double, with the error of the rounded
polynomial measured on a dense grid:

  expm1 kernel  e^r - 1 = r + r^2 * P(r),   |r| <= 1/2 (+ margin): exp
                reduces to |r| <= ln2/2, expm1 uses r = x for |x| < 1/2;
                P is fitted to (e^r - 1 - r) / r^2 with the relative weight
                r^2 / (e^r - 1), so expm1 (q) keeps its relative accuracy
                (f64 exp uses it too).
  exp kernel    the same P for f32 exp alone, |r| <= ln2/2 (+ margin), with
                the weight r^2 / e^r: only 1 + q must be accurate, which
                takes two degrees fewer.
  log kernel    log((1+s)/(1-s)) = 2s + s * R(z), z = s^2,
                R(z) = z * Q(z),  s <= (sqrt2-1)/(sqrt2+1)   (fdlibm's form).

Needs mpmath (pip); netjit's build and tests do not. Usage:
  python3 scripts/vecmath_coeffs.py
"""
import struct

import mpmath as mp

mp.mp.dps = 60


def remez(g, w, a, b, deg, iters=30, grid=6000):
    """Coefficients c0..c_deg minimizing max |w(x) (g(x) - sum c_i x^i)|."""
    n = deg + 2
    xs = [(a + b) / 2 + (b - a) / 2 * mp.cos(mp.pi * (n - 1 - i) / (n - 1))
          for i in range(n)]
    pts = [a + (b - a) * mp.mpf(i) / grid for i in range(grid + 1)]
    for _ in range(iters):
        rows = [[x ** j for j in range(deg + 1)] + [(-1) ** i / w(x)]
                for i, x in enumerate(xs)]
        sol = mp.lu_solve(mp.matrix(rows), mp.matrix([g(x) for x in xs]))
        c = [sol[j] for j in range(deg + 1)]
        err = [w(x) * (g(x) - mp.polyval(c[::-1], x)) for x in pts]
        # Local extrema of err, keeping one per sign run (the largest).
        ext = []
        for i, e in enumerate(err):
            if ext and mp.sign(err[ext[-1]]) == mp.sign(e):
                if abs(e) > abs(err[ext[-1]]):
                    ext[-1] = i
            else:
                ext.append(i)
        while len(ext) > n:  # drop the smaller end
            if abs(err[ext[0]]) < abs(err[ext[-1]]):
                ext.pop(0)
            else:
                ext.pop()
        if len(ext) < n:
            break
        xs = [pts[i] for i in ext]
    return c


def rounded(c, bits):
    if bits == 32:
        return [mp.mpf(struct.unpack('f', struct.pack('f', float(v)))[0])
                for v in c]
    return [mp.mpf(float(v)) for v in c]


def hexlit(v, bits):
    h = float(v).hex()
    return h + ('f' if bits == 32 else '')


def maxerr(g, w, a, b, c, grid=4000):
    pts = [a + (b - a) * mp.mpf(i) / grid for i in range(grid + 1)]
    return max(abs(w(x) * (g(x) - mp.polyval(c[::-1], x))) for x in pts)


def expm1_kernel(x):
    if abs(x) < mp.mpf('1e-20'):
        return mp.mpf(1) / 2 + x / 6
    return (mp.expm1(x) - x) / x ** 2


def expm1_weight(x):
    if abs(x) < mp.mpf('1e-20'):
        return mp.mpf(1)
    return x ** 2 / mp.expm1(x)


def exp_weight(x):
    # r^2 / e^r, kept off zero so the exchange's nodes stay solvable.
    return (x ** 2 + mp.mpf('1e-12')) / mp.exp(x)


def log_kernel(z):
    if z < mp.mpf('1e-30'):
        return mp.mpf(2) / 3 + mp.mpf(2) / 5 * z
    s = mp.sqrt(z)
    return (mp.log((1 + s) / (1 - s)) / s - 2) / z


def main():
    rmax = mp.mpf('0.5') * mp.mpf('1.002')
    emax = mp.log(2) / 2 * mp.mpf('1.002')
    smax = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1) * mp.mpf('1.002')
    one = lambda x: mp.mpf(1)
    jobs = [
        ('expm1 P(r)', expm1_kernel, expm1_weight, -rmax, rmax, {32: 6, 64: 11}),
        ('exp P(r)', expm1_kernel, exp_weight, -emax, emax, {32: 4}),
        ('log Q(z)', log_kernel, one, mp.mpf(0), smax ** 2, {32: 3, 64: 6}),
    ]
    import sys
    if len(sys.argv) > 1:
        jobs = [j for j in jobs if j[0].startswith(sys.argv[1])]
    for name, g, w, a, b, degs in jobs:
        for bits, deg in degs.items():
            c = rounded(remez(g, w, a, b, deg), bits)
            e = maxerr(g, w, a, b, c)
            print(f'// {name}, f{bits}, degree {deg}: max weighted error '
                  f'{mp.nstr(e, 4)} (2^{mp.nstr(mp.log(e, 2), 4)})')
            print('  {' + ', '.join(hexlit(v, bits) for v in c) + '}')


if __name__ == '__main__':
    main()
