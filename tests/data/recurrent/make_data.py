#!/usr/bin/env python3
"""Expected values for tests/frontend/recurrent_test.cpp and
tests/frontend/recurrent_more_test.cpp (clockwork, bcrnn).

An independent numpy implementation of netjit's recurrent layer forms (the
equations of frontend/recurrent.h, written here step by step with explicit
Python loops over time), run on a recurrent regressor
{3, (4, form, "tanh"), 2} in float64: input [B=2, T=5, D=3], the recurrent
layer "hid1" of 4 units, a linear feedforward output "out" of 2 units. Every
parameter is filled from a formula that the C++ test repeats:
    param k (1-based, in the model's parameter order): 0.4*sin(0.7*i + 1.1*k)
    input x (flat C order):                            sin(0.5*i) + 0.3*cos(1.7*i)
Writes tests/frontend/recurrent_expected.h. Run from the repository root:
    /usr/bin/python3 tests/data/recurrent/make_data.py
"""
import math
import numpy as np

B, T, D, N, K = 2, 5, 3, 4, 2


def fill(shape, k):
    n = int(np.prod(shape))
    return np.array([0.4 * math.sin(0.7 * i + 1.1 * k) for i in range(n)]).reshape(shape)


X = np.array([math.sin(0.5 * i) + 0.3 * math.cos(1.7 * i) for i in range(B * T * D)]).reshape(B, T, D)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def steps(reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def rnn(x, p, n, reverse=False):
    xh, hh, b = p
    h = np.zeros((B, n))
    pre, out = np.zeros((B, T, n)), np.zeros((B, T, n))
    for t in steps(reverse):
        pre[:, t] = x[:, t] @ xh + b + h @ hh
        h = np.tanh(pre[:, t])
        out[:, t] = h
    return {'pre': pre, 'out': out}


def lstm(x, p, n):
    xh, hh, b, ci, cf, co = p
    h, c = np.zeros((B, n)), np.zeros((B, n))
    out, cell = np.zeros((B, T, n)), np.zeros((B, T, n))
    for t in range(T):
        z = x[:, t] @ xh + b + h @ hh
        zi, zf, zc, zo = z[:, :n], z[:, n:2 * n], z[:, 2 * n:3 * n], z[:, 3 * n:]
        i = sigmoid(zi + c * ci)
        f = sigmoid(zf + c * cf)
        c = f * c + i * np.tanh(zc)
        o = sigmoid(zo + c * co)
        h = o * np.tanh(c)
        out[:, t], cell[:, t] = h, c
    return {'out': out, 'cell': cell}


def gru(x, p, n):
    hh, hr, hz, w, b = p
    h = np.zeros((B, n))
    res = {k: np.zeros((B, T, n)) for k in ('pre', 'hid', 'rate', 'out')}
    for t in range(T):
        xw = x[:, t] @ w + b
        a, rho, zeta = xw[:, :n], xw[:, n:2 * n], xw[:, 2 * n:]
        r = sigmoid(rho + h @ hr)
        z = sigmoid(zeta + h @ hz)
        pre = a + (r * h) @ hh
        hid = np.tanh(pre)
        h = (1 - z) * h + z * hid
        res['pre'][:, t], res['hid'][:, t], res['rate'][:, t], res['out'][:, t] = pre, hid, z, h
    return res


def mrnn(x, p, n):
    xh, xf, hf, fh, b = p
    h = np.zeros((B, n))
    res = {'pre': np.zeros((B, T, n)), 'factors': np.zeros((B, T, xf.shape[1])), 'out': np.zeros((B, T, n))}
    for t in range(T):
        f = x[:, t] @ xf
        pre = x[:, t] @ xh + b + ((h @ hf) * f) @ fh
        h = np.tanh(pre)
        res['pre'][:, t], res['factors'][:, t], res['out'][:, t] = pre, f, h
    return res


def scrn(x, p, n):
    w, sh, hh, ho, so, b, r = p
    h, s = np.zeros((B, n)), np.zeros((B, n))
    rho = sigmoid(r)
    res = {k: np.zeros((B, T, n)) for k in ('state', 'hid', 'out')}
    for t in range(T):
        uv = x[:, t] @ w
        u, v = uv[:, :n], uv[:, n:]
        s = (1 - rho) * s + rho * v
        h = np.tanh(u + h @ hh + s @ sh)
        res['state'][:, t], res['hid'][:, t] = s, h
        res['out'][:, t] = h @ ho + s @ so + b
    res['rate'] = rho
    return res


def bidirectional(x, p, n):
    fw = rnn(x, p[:3], n // 2)
    bw = rnn(x, p[3:], n // 2, reverse=True)
    res = {k: np.concatenate([fw[k], bw[k]], axis=-1) for k in ('out', 'pre')}
    for k in ('pre', 'out'):
        res['fw_' + k], res['bw_' + k] = fw[k], bw[k]
    return res


def block_mask(n, modules):
    """theanets' mask: column block i hears row blocks i and later."""
    m = n // modules
    mask = np.zeros((n, n))
    for i in range(modules):
        mask[i * m:, i * m:(i + 1) * m] = 1
    return mask


def clockwork(x, p, n, periods, reverse=False):
    xh, hh, b = p
    periods = sorted(periods)
    m = n // len(periods)
    period = np.repeat(periods, m)
    whh = hh * block_mask(n, len(periods))
    h, pre_prev = np.zeros((B, n)), np.zeros((B, n))
    pre, out = np.zeros((B, T, n)), np.zeros((B, T, n))
    for k, t in enumerate(steps(reverse)):  # k: the 0-based scan index
        cand = x[:, t] @ xh + b + h @ whh
        p_t = np.where(k % period == 0, cand, pre_prev)
        h = np.tanh(p_t)
        pre_prev = p_t
        pre[:, t], out[:, t] = p_t, h
    return {'pre': pre, 'out': out}


def bcrnn(x, p, n, modules, reverse=False):
    xh, hh, b = p
    m = n // modules
    rho = np.repeat(1 - np.logspace(-1e-4, -6, modules), m)
    whh = hh * block_mask(n, modules)
    h, p_t = np.zeros((B, n)), np.zeros((B, n))
    pre, out = np.zeros((B, T, n)), np.zeros((B, T, n))
    for t in steps(reverse):
        p_t = rho * p_t + (1 - rho) * (x[:, t] @ xh + b + h @ whh)
        h = np.tanh(p_t)
        pre[:, t], out[:, t] = p_t, h
    return {'pre': pre, 'out': out}


# name, form, direction, parameter shapes in the model's order, function
CASES = [
    ('rnn', 'rnn', 'forward', [(D, N), (N, N), (N,)], lambda x, p: rnn(x, p, N)),
    ('rnn_backward', 'rnn', 'backward', [(D, N), (N, N), (N,)], lambda x, p: rnn(x, p, N, True)),
    ('lstm', 'lstm', 'forward', [(D, 4 * N), (N, 4 * N), (4 * N,), (N,), (N,), (N,)], lambda x, p: lstm(x, p, N)),
    ('gru', 'gru', 'forward', [(N, N), (N, N), (N, N), (D, 3 * N), (3 * N,)], lambda x, p: gru(x, p, N)),
    ('mrnn', 'mrnn', 'forward', [(D, N), (D, 2), (N, 2), (2, N), (N,)], lambda x, p: mrnn(x, p, N)),
    ('scrn', 'scrn', 'forward', [(D, 2 * N), (N, N), (N, N), (N, N), (N, N), (N,), (N,)], lambda x, p: scrn(x, p, N)),
    ('bidirectional', 'bidirectional', 'forward',
     [(D, 2), (2, 2), (2,), (D, 2), (2, 2), (2,)], lambda x, p: bidirectional(x, p, N)),
]

# clockwork and bcrnn: name, form, direction, the option (periods or
# num_modules) and its value, function; parameters xh, hh, b as rnn's.
MODULAR_CASES = [
    ('clockwork', 'clockwork', 'forward', 'periods', [3, 1], lambda x, p: clockwork(x, p, N, [3, 1])),
    ('clockwork_backward', 'clockwork', 'backward', 'periods', [1, 2],
     lambda x, p: clockwork(x, p, N, [1, 2], True)),
    ('clockwork_four', 'clockwork', 'forward', 'periods', [1, 2, 3, 4],
     lambda x, p: clockwork(x, p, N, [1, 2, 3, 4])),
    ('bcrnn', 'bcrnn', 'forward', 'num_modules', 2, lambda x, p: bcrnn(x, p, N, 2)),
    ('bcrnn_backward', 'bcrnn', 'backward', 'num_modules', 4, lambda x, p: bcrnn(x, p, N, 4, True)),
    ('bcrnn_one', 'bcrnn', 'forward', 'num_modules', 1, lambda x, p: bcrnn(x, p, N, 1)),
]


def case_outputs(fn, shapes):
    params = [fill(s, k + 1) for k, s in enumerate(shapes)]
    outs = fn(X, params)
    ow, ob = fill((N, K), 11), fill((K,), 12)
    outs = {('hid1:' + k): v for k, v in outs.items()}
    outs['out:out'] = outs['hid1:out'] @ ow + ob
    return outs


def truncated_gradients(limit):
    """The gradient of mse(out:out, Y) for the rnn case with bptt_limit=limit.

    Truncated back-propagation through time: only the last `limit` steps are
    differentiated; the hidden outputs of the older steps and the state
    entering the first differentiated step are held at their values (central
    differences of that function, step 1e-6).
    """
    shapes = [(D, N), (N, N), (N,), (N, K), (K,)]
    ks = [1, 2, 3, 11, 12]
    p0 = [fill(s, k) for s, k in zip(shapes, ks)]
    y = fill((B, T, K), 13)
    frozen = rnn(X, p0[:3], N)['out']

    def loss(p):
        xh, hh, b, ow, ob = p
        outs = frozen.copy()
        h = frozen[:, T - limit - 1] if T - limit - 1 >= 0 else np.zeros((B, N))
        for t in range(T - limit, T):
            h = np.tanh(X[:, t] @ xh + b + h @ hh)
            outs[:, t] = h
        return np.mean((outs @ ow + ob - y) ** 2)

    grads = {}
    for j, name in enumerate(['hid1.xh', 'hid1.hh', 'hid1.b', 'out.w', 'out.b']):
        g = np.zeros(p0[j].size)
        for i in range(p0[j].size):
            up = [q.copy() for q in p0]
            down = [q.copy() for q in p0]
            up[j].flat[i] += 1e-6
            down[j].flat[i] -= 1e-6
            g[i] = (loss(up) - loss(down)) / 2e-6
        grads['grad(%s)' % name] = g
    return grads


def cpp(values):
    items = [repr(float(v)) for v in np.asarray(values).ravel()]
    rows = [', '.join(items[i:i + 3]) for i in range(0, len(items), 3)]
    return '{\n         ' + ',\n         '.join(rows) + '}'


def main():
    lines = [
        '//===- recurrent_expected.h - Expected values for recurrent_test.cpp -===//',
        '//',
        '// Generated by tests/data/recurrent/make_data.py (an independent numpy',
        '// implementation of the recurrent forms); do not edit by hand.',
        '//',
        '//===----------------------------------------------------------------------===//',
        '#pragma once',
        '',
        '#include <cstdint>',
        '#include <string>',
        '#include <utility>',
        '#include <vector>',
        '',
        'namespace netjit::test {',
        '',
        'struct RecurrentCase {',
        '  std::string Name, Form, Direction;',
        '  std::vector<std::pair<std::string, std::vector<double>>> Outputs;',
        '};',
        '',
        'inline const std::vector<RecurrentCase> kRecurrentCases = {',
    ]
    for name, form, direction, shapes, fn in CASES:
        outs = case_outputs(fn, shapes)
        lines.append('    {"%s", "%s", "%s", {' % (name, form, direction))
        for k in sorted(outs):
            lines.append('      {"%s", %s},' % (k, cpp(outs[k])))
        lines.append('    }},')
    lines += ['};', '',
              '// rnn with bptt_limit=2: the gradients of mse(out:out, target)',
              '// (target filled with k = 13), by finite differences.',
              'inline const std::vector<std::pair<std::string, std::vector<double>>>',
              '    kTruncatedGradients = {']
    for k, v in sorted(truncated_gradients(2).items()):
        lines.append('      {"%s", %s},' % (k, cpp(v)))
    lines += ['};', '',
              '// clockwork and bcrnn (recurrent_more_test.cpp): Option is',
              '// "periods" or "num_modules", Values its value.',
              'struct ModularCase {',
              '  std::string Name, Form, Direction, Option;',
              '  std::vector<int64_t> Values;',
              '  std::vector<std::pair<std::string, std::vector<double>>> Outputs;',
              '};',
              '',
              'inline const std::vector<ModularCase> kModularCases = {']
    for name, form, direction, option, value, fn in MODULAR_CASES:
        outs = case_outputs(fn, [(D, N), (N, N), (N,)])
        values = value if isinstance(value, list) else [value]
        lines.append('    {"%s", "%s", "%s", "%s", {%s}, {' % (
            name, form, direction, option, ', '.join(str(v) for v in values)))
        for k in sorted(outs):
            lines.append('      {"%s", %s},' % (k, cpp(outs[k])))
        lines.append('    }},')
    lines += ['};', '', '} // namespace netjit::test', '']
    with open('tests/frontend/recurrent_expected.h', 'w') as f:
        f.write('\n'.join(lines))


if __name__ == '__main__':
    main()
